/**
 * CoST's network, augmentation and objective as shipped (spec §B5).
 *
 * ```
 * CoSTEncoder: x → input_fc Linear(F→F) → FP(F→320) = h [B, T, 320]
 *   trend  = mean over k ∈ {1,2,4,…,128} of causal Conv1d(320→160, k)(h)     [B, T, 160]
 *   season = Dropout₀.₁(irfft(rfft_t(h)·W_f + b_f))  (complex W [⌊T/2⌋+1, 320, 160]) [B, T, 160]
 * x_k = jitter(shift(scale(x))), each w.p. ½, σ = 0.5;  x_q = x;  r ~ U{0..T−1}
 * L = costLossParts(trend_q[:, r], trend_k[:, r], season_q, season_k, queue, head_q, head_k).loss
 * then the queue [160, 256] takes k at its pointer.
 * ```
 *
 * `CoSTModel(net, net)` passes one object as query and key encoder: its
 * init copies the parameters onto themselves and freezes them, so the whole
 * encoder keeps its random initialisation and only `head_q` trains. Here the
 * encoder's `params` are `head_q`'s (what the official optimiser updates),
 * its `apply` is the frozen FP (the shipped `encode`: FP only, on raw
 * frames, skipping `input_fc`), and its BatchNorm statistics still move in
 * training, as the shipped module is in train mode. `input_fc`, the trend
 * and season layers and `head_k` are frozen at init in the objective's
 * closure. Only the trend at `r` is computed (all MoCo reads).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import { auxPool, normalizeRows, trainableLinear } from "./common.ts";
import type { AuxPool, LinearWeights } from "./common.ts";
import { asComposite, compositeEncoder } from "./composite.ts";
import type { CompositeEncoder } from "./composite.ts";
import { costHead, costLossParts } from "./cost.ts";
import type { CostHead } from "./cost.ts";
import {
  advanceQueue,
  augmentKey,
  COST_COMPONENT,
  costEncode,
  costLayerInits,
  costLayersOf,
  createMocoQueue,
} from "./cost_layers.ts";
import type { CostLayers, MocoQueue } from "./cost_layers.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/**
 * A CoST query encoder: the FeatureProjector (seed + 1) under
 * `encoder_q.feature_extractor.` and the head `head_q` (drawn first from
 * `seed`), then whatever `more` adds to the extras from the same draws.
 */
export function costQueryEncoder(
  o: { inFeatures: number; seed: number },
  name: string,
  trainCore: boolean,
  more?: (extras: Record<string, Variable>, rng: Rng) => void,
): Encoder {
  const rng = makeRng(o.seed);
  const extras: Record<string, Variable> = {};
  trainableLinear(extras, "head_q.0", COST_COMPONENT, COST_COMPONENT, rng);
  trainableLinear(extras, "head_q.2", COST_COMPONENT, COST_COMPONENT, rng);
  more?.(extras, rng);
  const core = createFeatureProjector({ inFeatures: o.inFeatures, seed: o.seed + 1 });
  return compositeEncoder({
    name,
    core,
    corePrefix: "encoder_q.feature_extractor.",
    extras,
    trainCore,
  });
}

/** CoST's encoder: frozen FP as `apply`, `head_q` as the only parameters. */
export function createCostEncoder(o: { inFeatures: number; seed: number }): Encoder {
  return costQueryEncoder(o, "cost", false);
}

/** The head `<prefix>.0`, `<prefix>.2` in `params`. */
export function costHeadOf(params: Record<string, Tensor>, prefix: string): CostHead {
  const lin = (i: number): LinearWeights => ({
    weight: params[`${prefix}.${i}.weight`] as Tensor2D,
    bias: params[`${prefix}.${i}.bias`] as Tensor1D,
  });
  return { first: lin(0), second: lin(2) };
}

/** The frozen parts the shipped objective owns. */
interface FrozenCost {
  layers: CostLayers;
  tensors: Record<string, Tensor>;
  headK: CostHead;
  moco: MocoQueue;
}

const pool = auxPool();

/** Frees the frozen parts of every CoST objective. */
export function disposeCostObjectives(): void {
  pool.disposeAll();
}

/** The CoST objective (see the module doc). */
export function costObjective(options: { seed: number }): Objective {
  return costObjectiveOf(options.seed, {
    name: "cost",
    pool,
    keep: (cost, x, rng) => {
      const [, t, f] = x.shape;
      const headQ = costHeadOf(cost.extras, "head_q");
      const init = rng.fork();
      const tensors: Record<string, Tensor> = {};
      for (const [name, w] of Object.entries(costLayerInits(f, t, init))) {
        tensors[name] = tf.tensor(w.values, w.shape);
      }
      const copy = (l: LinearWeights) => ({ weight: tf.clone(l.weight), bias: tf.clone(l.bias) });
      return {
        layers: costLayersOf(tensors),
        tensors,
        headK: { first: copy(headQ.first), second: copy(headQ.second) },
        moco: createMocoQueue(init),
      };
    },
    sides: (cost, { layers, headK }) => ({
      query: { core: cost.core, layers },
      key: { core: cost.core, layers },
      headQ: costHeadOf(cost.extras, "head_q"),
      headK,
    }),
  });
}

/** What a CoST objective brings to {@linkcode costObjectiveOf}. */
export interface CostObjectiveParts<K extends { moco: MocoQueue }> {
  /** The encoder's name (checked against the encoder each step). */
  name: string;
  /** Where what the objective keeps across steps lives until the spec's `dispose`. */
  pool: AuxPool;
  /** What the objective keeps across steps, built on the first step (it may draw from `rng`). */
  keep(cost: CompositeEncoder, x: Tensor3D, rng: Rng): K;
  /** The two sides of a step, asked once the queue has advanced and before `r` is drawn. */
  sides(cost: CompositeEncoder, kept: K): Pick<CostStep, "query" | "key" | "headQ" | "headK">;
}

/**
 * A CoST objective from its parts; each step, with `rng = makeRng(seed)`:
 * build and keep `K` on the first step, advance the queue, take the sides,
 * draw `r ~ U{0..T−1}` and return {@linkcode costStepLoss}.
 */
export function costObjectiveOf<K extends { moco: MocoQueue }>(
  seed: number,
  parts: CostObjectiveParts<K>,
): Objective {
  const rng = makeRng(seed);
  let kept: K | null = null;
  return (encoder, x) => {
    const cost = asComposite(encoder, parts.name);
    kept ??= parts.pool.track(parts.keep(cost, x, rng));
    advanceQueue(kept.moco);
    const sides = parts.sides(cost, kept);
    const r = rng.int(x.shape[1]);
    return costStepLoss({ ...sides, moco: kept.moco, x, r, rng });
  };
}

/** The two sides of a CoST step and the queue of keys. */
export interface CostStep {
  query: { core: Encoder; layers: CostLayers };
  key: { core: Encoder; layers: CostLayers };
  headQ: CostHead;
  headK: CostHead;
  moco: MocoQueue;
  /** The batch `[B, T, F]`. */
  x: Tensor3D;
  /** The crop offset drawn for this step. */
  r: number;
  rng: Rng;
}

/**
 * One CoST step once the queue has advanced: the key side on the augmented
 * batch (its normalised head output becomes the queue's pending keys), then
 * the query side and the loss (`costLossParts`). Draws from `rng` in the
 * shipped order: the key's augmentation and crop, then the query's.
 */
export function costStepLoss(step: CostStep): Scalar {
  const { query, key, headQ, headK, moco, x, r, rng } = step;
  const keyOut = tf.tidy(() => {
    const out = costEncode(key.core, key.layers, augmentKey(x, rng), r, rng);
    return { ...out, k: normalizeRows(costHead(out.trend, headK)) };
  });
  moco.pending = tf.keep(keyOut.k);
  const loss = tf.tidy(() => {
    const q = costEncode(query.core, query.layers, x, r, rng);
    return costLossParts(q.trend, keyOut.trend, q.season, keyOut.season, moco.queue, headQ, headK)
      .loss;
  });
  tf.dispose([keyOut.trend, keyOut.season]);
  return loss;
}

/** CoST in the study grid. */
export const costBaseline: BaselineSpec = baselineSpec("cost", {
  createEncoder: createCostEncoder,
  createObjective: costObjective,
  pool,
});
