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
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import {
  applyLinear,
  auxPool,
  dropout,
  frozenLinear,
  normalizeRows,
  normalValues,
  trainableLinear,
  uniformValues,
} from "./common.ts";
import type { LinearWeights } from "./common.ts";
import { asComposite, compositeEncoder } from "./composite.ts";
import { costHead, costLossParts, rfftTime } from "./cost.ts";
import type { CostHead } from "./cost.ts";
import type { BaselineSpec } from "./types.ts";

/** Kernel sizes of the trend convolutions. */
export const COST_KERNELS = [1, 2, 4, 8, 16, 32, 64, 128] as const;
/** Width of the trend and season components. */
export const COST_COMPONENT = 160;
/** MoCo queue length `K`. */
export const COST_QUEUE = 256;
const HIDDEN = 320;

/** The frozen parts of CoST that the objective owns. */
interface CostNet {
  inputFc: LinearWeights;
  /** Per kernel `k`: weight `[160, k·320]` (tap-major columns), bias `[160]`. */
  trend: LinearWeights[];
  season: { wRe: Tensor3D; wIm: Tensor3D; bRe: Tensor2D; bIm: Tensor2D };
  headK: CostHead;
  queue: Tensor2D;
  pointer: number;
  pendingK: Tensor2D | null;
}

/** CoST's encoder: frozen FP as `apply`, `head_q` as the only parameters. */
export function createCostEncoder(o: { inFeatures: number; seed: number }): Encoder {
  const rng = makeRng(o.seed);
  const extras: Record<string, Variable> = {};
  trainableLinear(extras, "head_q.0", COST_COMPONENT, COST_COMPONENT, rng);
  trainableLinear(extras, "head_q.2", COST_COMPONENT, COST_COMPONENT, rng);
  const core = createFeatureProjector({ inFeatures: o.inFeatures, seed: o.seed + 1 });
  return compositeEncoder({
    name: "cost",
    core,
    corePrefix: "encoder_q.feature_extractor.",
    extras,
    trainCore: false,
  });
}

function headOf(params: Record<string, Tensor>, prefix: string): CostHead {
  const lin = (i: number): LinearWeights => ({
    weight: params[`${prefix}.${i}.weight`] as Tensor2D,
    bias: params[`${prefix}.${i}.bias`] as tf.Tensor1D,
  });
  return { first: lin(0), second: lin(2) };
}

function createNet(f: number, t: number, headQ: CostHead, rng: Rng): CostNet {
  const trend = COST_KERNELS.map((k) => {
    const bound = 1 / Math.sqrt(HIDDEN * k);
    return {
      weight: tf.tensor2d(uniformValues(k * HIDDEN * COST_COMPONENT, bound, rng), [
        COST_COMPONENT,
        k * HIDDEN,
      ]),
      bias: tf.tensor1d(uniformValues(COST_COMPONENT, bound, rng)),
    };
  });
  const nf = Math.floor(t / 2) + 1, bound = 1 / Math.sqrt(HIDDEN * COST_COMPONENT);
  const w = () =>
    tf.tensor3d(uniformValues(nf * HIDDEN * COST_COMPONENT, bound, rng), [
      nf,
      HIDDEN,
      COST_COMPONENT,
    ]);
  const bias = () =>
    tf.tensor2d(uniformValues(nf * COST_COMPONENT, bound, rng), [nf, COST_COMPONENT]);
  const queue = tf.tidy(() =>
    normalizeRows(
      tf.tensor2d(normalValues(COST_COMPONENT * COST_QUEUE, 1, rng), [COST_COMPONENT, COST_QUEUE])
        .transpose(),
    )
      .transpose() as Tensor2D
  );
  const copy = (l: LinearWeights) => ({ weight: tf.clone(l.weight), bias: tf.clone(l.bias) });
  return {
    inputFc: frozenLinear(f, f, rng),
    trend,
    season: { wRe: w(), wIm: w(), bRe: bias(), bIm: bias() },
    headK: { first: copy(headQ.first), second: copy(headQ.second) },
    queue,
    pointer: 0,
    pendingK: null,
  };
}

/** Mean of the causal trend convolutions at frame `r` of `h [B, T, 320]` → `[B, 160]`. */
function trendAt(h: Tensor3D, r: number, net: CostNet): Tensor2D {
  const [b] = h.shape, maxK = COST_KERNELS[COST_KERNELS.length - 1];
  const padded = tf.pad(h, [[0, 0], [maxK - 1, 0], [0, 0]]);
  const outs = COST_KERNELS.map((k, i) => {
    const taps = tf.slice(padded, [0, r + maxK - k, 0], [b, k, HIDDEN]);
    return applyLinear(tf.reshape(taps, [b, k * HIDDEN]) as Tensor2D, net.trend[i]);
  });
  return tf.div(tf.addN(outs), COST_KERNELS.length) as Tensor2D;
}

/** The banded Fourier layer over all frequencies, then dropout 0.1 → `[B, T, 160]`. */
function seasonOf(h: Tensor3D, net: CostNet, rng: Rng): Tensor3D {
  const [b, t] = h.shape, nf = Math.floor(t / 2) + 1;
  const [re, im] = rfftTime(h).map((p) => tf.transpose(p, [1, 0, 2])); // [nf, B, 320]
  const { wRe, wIm, bRe, bIm } = net.season;
  const outRe = tf.add(tf.sub(tf.matMul(re, wRe), tf.matMul(im, wIm)), tf.expandDims(bRe, 1));
  const outIm = tf.add(tf.add(tf.matMul(re, wIm), tf.matMul(im, wRe)), tf.expandDims(bIm, 1));
  const cos = new Float32Array(nf * t), sin = new Float32Array(nf * t);
  for (let f = 0; f < nf; f++) {
    const weight = f === 0 || 2 * f === t ? 1 / t : 2 / t;
    for (let s = 0; s < t; s++) {
      const angle = (2 * Math.PI * ((s * f) % t)) / t;
      cos[f * t + s] = weight * Math.cos(angle);
      sin[f * t + s] = f === 0 || 2 * f === t ? 0 : -weight * Math.sin(angle);
    }
  }
  const rows = (z: Tensor) => tf.reshape(tf.transpose(z, [1, 2, 0]), [b * COST_COMPONENT, nf]);
  const time = tf.add(
    tf.matMul(rows(outRe), tf.tensor2d(cos, [nf, t])),
    tf.matMul(rows(outIm), tf.tensor2d(sin, [nf, t])),
  );
  const season = tf.transpose(tf.reshape(time, [b, COST_COMPONENT, t]), [0, 2, 1]) as Tensor3D;
  return dropout(season, 0.1, rng);
}

/** `jitter(shift(scale(x)))`, each applied with probability ½, σ = 0.5. */
function augmentKey(x: Tensor3D, rng: Rng): Tensor3D {
  const [b, t, f] = x.shape;
  let out: Tensor = x;
  if (rng.next() < 0.5) out = tf.mul(out, tf.add(1, tf.tensor1d(normalValues(f, 0.5, rng))));
  if (rng.next() < 0.5) out = tf.add(out, tf.tensor1d(normalValues(f, 0.5, rng)));
  if (rng.next() < 0.5) {
    out = tf.add(out, tf.tensor3d(normalValues(b * t * f, 0.5, rng), [b, t, f]));
  }
  return out as Tensor3D;
}

const pool = auxPool();

/** Frees the frozen parts of every CoST objective. */
export function disposeCostObjectives(): void {
  pool.disposeAll();
}

/** The CoST objective (see the module doc). */
export function costObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  let net: CostNet | null = null;
  return (encoder, x) => {
    const cost = asComposite(encoder, "cost");
    const [b, t, f] = x.shape;
    const headQ = headOf(cost.extras, "head_q");
    const n: CostNet = net ??= pool.track(createNet(f, t, headQ, rng.fork()));
    if (n.pendingK) {
      const k = n.pendingK, old = n.queue;
      n.queue = tf.keep(tf.tidy(() => {
        const cols = tf.transpose(k) as Tensor2D;
        const before = tf.slice(old, [0, 0], [COST_COMPONENT, n.pointer]);
        const after = tf.slice(old, [0, n.pointer + b], [
          COST_COMPONENT,
          COST_QUEUE - n.pointer - b,
        ]);
        return tf.concat([before, cols, after], 1) as Tensor2D;
      }));
      n.pointer = (n.pointer + b) % COST_QUEUE;
      tf.dispose([k, old]);
      n.pendingK = null;
    }
    const r = rng.int(t);
    const encodeBoth = (input: Tensor3D) => {
      const h = cost.core.apply(
        tf.reshape(applyLinear(tf.reshape(input, [b * t, f]) as Tensor2D, n.inputFc), [
          b,
          t,
          f,
        ]) as Tensor3D,
        { training: true },
      );
      return { trend: trendAt(h, r, n), season: seasonOf(h, n, rng) };
    };
    const key = tf.tidy(() => {
      const out = encodeBoth(augmentKey(x, rng));
      return { ...out, k: normalizeRows(costHead(out.trend, n.headK)) };
    });
    n.pendingK = tf.keep(key.k);
    const loss = tf.tidy(() => {
      const query = encodeBoth(x);
      return costLossParts(
        query.trend,
        key.trend,
        query.season,
        key.season,
        n.queue,
        headQ,
        n.headK,
      ).loss;
    });
    tf.dispose([key.trend, key.season]);
    return loss;
  };
}

/** CoST in the study grid. */
export const costBaseline: BaselineSpec = {
  name: "cost",
  label: "CoST",
  specSection: "§B5",
  defects: [
    "Query and key encoders are one object, so CoSTModel's init freezes the whole encoder: it stays at its random initialisation and CoST is evaluated as an untrained FeatureProjector.",
    "Only head_q receives gradients; the momentum update of the key encoder is a no-op.",
    "encode runs the FeatureProjector alone on raw frames, skipping input_fc.",
    "The backbone is the per-frame FeatureProjector instead of a dilated TCN.",
  ],
  createEncoder: ({ inFeatures, seed }) => createCostEncoder({ inFeatures, seed }),
  createObjective: ({ seed }) => costObjective({ seed }),
  dispose: disposeCostObjectives,
};
