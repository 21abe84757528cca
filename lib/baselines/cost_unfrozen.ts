/**
 * CoST with its freeze removed: the shipped CoST (spec §B5) with a separate
 * key encoder, as MoCo and the CoST paper intend. The query encoder
 * (`input_fc`, FP, trend and season layers) and `head_q` train; the key
 * encoder and `head_k` follow them by momentum, `θ_k ← 0.999 θ_k + 0.001 θ_q`,
 * before each key pass. Loss, augmentation, queue and `encode` (FP alone on
 * raw frames, as shipped) are unchanged, so the variant isolates the effect
 * of the one-object defect. The backbone stays the per-frame FP.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Variable } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import type { Objective } from "../train/mod.ts";
import { auxPool } from "./common.ts";
import { costLayerInits, costLayersOf, createMocoQueue } from "./cost_layers.ts";
import type { MocoQueue } from "./cost_layers.ts";
import { costHeadOf, costObjectiveOf, costQueryEncoder } from "./cost_net.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** MoCo momentum `m`. */
export const COST_MOMENTUM = 0.999;
const LAYER_PREFIX = "encoder_q.";

/** The query encoder with every CoST layer and `head_q` trainable; `apply` is the FP. */
export function createCostUnfrozenEncoder(
  o: { inFeatures: number; seed: number; T: number },
): Encoder {
  return costQueryEncoder(o, "cost-unfrozen", true, (extras, rng) => {
    for (const [name, w] of Object.entries(costLayerInits(o.inFeatures, o.T, rng))) {
      extras[LAYER_PREFIX + name] = tf.tidy(() => tf.variable(tf.tensor(w.values, w.shape), true));
    }
  });
}

/** The key side: a momentum copy of every query weight, and the queue. */
interface KeySide {
  core: Encoder;
  vars: Record<string, Variable>;
  moco: MocoQueue;
}

const pool = auxPool();

/** `θ_k ← m θ_k + (1 − m) θ_q` for every pair. */
function momentumUpdate(pairs: Array<[Variable, Tensor]>): void {
  tf.tidy(() => {
    for (const [k, q] of pairs) {
      k.assign(tf.add(tf.mul(k, COST_MOMENTUM), tf.mul(q, 1 - COST_MOMENTUM)));
    }
  });
}

/** The unfrozen CoST objective. */
export function costUnfrozenObjective(options: { seed: number }): Objective {
  return costObjectiveOf(options.seed, {
    name: "cost-unfrozen",
    pool,
    keep: (query, x, rng): KeySide => {
      const core = createFeatureProjector({ inFeatures: x.shape[2], seed: 0 });
      const vars: Record<string, Variable> = {};
      for (const [name, v] of Object.entries(query.extras)) {
        vars[name.replace("head_q", "head_k")] = tf.tidy(() => tf.variable(tf.clone(v), false));
      }
      for (const [name, v] of Object.entries(query.core.params)) core.params[name].assign(v);
      return { core, vars, moco: createMocoQueue(rng.fork()) };
    },
    sides: (query, k) => {
      momentumUpdate([
        ...Object.entries(query.core.params).map(([n, v]) =>
          [k.core.params[n], v] as [Variable, Tensor]
        ),
        ...Object.entries(query.extras).map(([n, v]) =>
          [k.vars[n.replace("head_q", "head_k")], v] as [Variable, Tensor]
        ),
      ]);
      return {
        query: { core: query.core, layers: costLayersOf(query.extras, LAYER_PREFIX) },
        key: { core: k.core, layers: costLayersOf(k.vars, LAYER_PREFIX) },
        headQ: costHeadOf(query.extras, "head_q"),
        headK: costHeadOf(k.vars, "head_k"),
      };
    },
  });
}

/** CoST with separate query and key encoders (the one-object defect fixed). */
export const costUnfrozenBaseline: BaselineSpec = baselineSpec("cost-unfrozen", {
  createEncoder: createCostUnfrozenEncoder,
  createObjective: costUnfrozenObjective,
  pool,
});
