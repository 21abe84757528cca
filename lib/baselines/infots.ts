/**
 * InfoTS as shipped with the eMargin reference (baselines/infots.py,
 * src/models/infotsaugmentation.py, spec §B3).
 *
 * ```
 * enc: the original TS2Vec dilated CNN (hidden 64, depth 10, D = 320)
 * a1 = AutoAUG(x) (x w.p. 0.8), a2 = x;  o1 = enc(a1), o2 = enc(a2)   [B, T, D]
 * L_global: g = max_t o  [B, D]; rows R = [g¹; g²] [2B, D]; G = R Rᵀ
 *           L = mean_i [logsumexp_{j≠i} G_ij − G_{i, i±B}]
 * L_local (o1 only): s = ⌊T/8⌋, P_k = max over o1[0, u+ks : u+(k+1)s]  [8, D]
 *           A = P Pᵀ [8, 8]; row i: positive i+1 (row 7: 6), negatives
 *           {j : |i−j| > 1} minus j=2 for row 0 and j=5 for row 7
 *           L = mean_i [logsumexp(pos_i, negs_i) − pos_i]
 * L = L_global + L_local      (temperature 1, no normalisation)
 * ```
 *
 * Defects of the shipped code: the augmentation weights are never trained
 * (no meta step, not in the optimiser); the annealed temperature is not
 * passed to the sampler; the local term uses only view 1 and only
 * sequence 0 of the batch. `time_warp` uses a documented substitute for
 * tsaug (see `infots_aug.ts`). The augmentations run on the CPU and read
 * the batch synchronously (a `BackendError` on webgpu under Deno).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D, Tensor3D } from "../tf.ts";
import { createTs2vecEncoder } from "../ts2vec/mod.ts";
import { ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import { dataSyncOrThrow } from "../backend.ts";
import type { Objective } from "../train/mod.ts";
import { normalValues } from "./common.ts";
import { autoAugView } from "./infots_aug.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** Segments of the local term (`k = 8`). */
export const INFOTS_SEGMENTS = 8;

/**
 * Row-wise `mean_i [logsumexp_{j ∈ allowed_i} S_ij − S_{i,pos_i}]` on
 * `s [R, C]`; `allowed` is a 0/1 matrix (the positive included).
 */
function maskedCrossEntropy(s: Tensor2D, allowed: number[][], positive: number[]): Scalar {
  return tf.tidy(() => {
    const [rows, cols] = s.shape;
    const mask = allowed.flat().map((a) => (a ? 0 : -Infinity));
    const pos = new Float32Array(rows * cols);
    positive.forEach((p, i) => (pos[i * cols + p] = 1));
    const lse = tf.logSumExp(tf.add(s, tf.tensor2d(mask, [rows, cols])), 1);
    const picked = tf.sum(tf.mul(s, tf.tensor2d(pos, [rows, cols])), 1);
    return tf.mean(tf.sub(lse, picked)) as Scalar;
  });
}

/** The global term on `o1, o2 [B, T, D]` (max over time, instance InfoNCE). */
export function infotsGlobalLoss(o1: Tensor3D, o2: Tensor3D): Scalar {
  const b = o1.shape[0];
  return tf.tidy(() => {
    const rows = tf.concat([tf.max(o1, 1), tf.max(o2, 1)], 0) as Tensor2D;
    const g = tf.matMul(rows, rows, false, true) as Tensor2D;
    const allowed = Array.from(
      { length: 2 * b },
      (_, i) => Array.from({ length: 2 * b }, (_, j) => (j === i ? 0 : 1)),
    );
    const positive = Array.from({ length: 2 * b }, (_, i) => (i < b ? i + b : i - b));
    return maskedCrossEntropy(g, allowed, positive);
  });
}

/** Positives and allowed columns of the shipped local term for `k` segments. */
export function infotsLocalPairs(k: number): { positive: number[]; allowed: number[][] } {
  const positive = Array.from({ length: k }, (_, i) => (i < k - 1 ? i + 1 : k - 2));
  const allowed = Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => {
      if (j === positive[i]) return 1;
      if (Math.abs(i - j) <= 1) return 0;
      if (i === 0 && j === 2) return 0;
      if (i === k - 1 && j === k - 3) return 0;
      return 1;
    }));
  return { positive, allowed };
}

/** The local term on view 1 `o1 [B, T, D]` from start frame `u` (sequence 0 only). */
export function infotsLocalLoss(o1: Tensor3D, start: number, k = INFOTS_SEGMENTS): Scalar {
  const [, t, d] = o1.shape;
  const s = Math.floor(t / k);
  if (s < 1 || start < 0 || start + k * s > t) {
    throw new ShapeError(`infots: ${k} segments from frame ${start} do not fit in T = ${t}`);
  }
  return tf.tidy(() => {
    const seq = tf.slice(o1, [0, start, 0], [1, k * s, d]);
    const p = tf.max(tf.reshape(seq, [k, s, d]), 1) as Tensor2D;
    const a = tf.matMul(p, p, false, true) as Tensor2D;
    const { positive, allowed } = infotsLocalPairs(k);
    return maskedCrossEntropy(a, allowed, positive);
  });
}

/** `L_global(o1, o2) + L_local(o1, u)`. */
export function infotsLoss(o1: Tensor3D, o2: Tensor3D, start: number): Scalar {
  return tf.tidy(() => tf.add(infotsGlobalLoss(o1, o2), infotsLocalLoss(o1, start)) as Scalar);
}

/**
 * The InfoTS objective: view 1 from `AutoAUG` with its `[2, 7]` weights
 * drawn once from `N(0, 0.01²)` and never trained, view 2 = x, both encoded
 * in train mode; the local start `u ~ U[0, T − 8⌊T/8⌋]`.
 */
export function infotsObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  const weight0 = normalValues(7, 0.01, rng);
  normalValues(7, 0.01, rng); // the unused second row of AutoAUG.weight
  return (encoder, x) => {
    const [b, t, f] = x.shape;
    const data = dataSyncOrThrow(x, "infots augmentation") as Float32Array;
    const a1 = autoAugView({ data, B: b, T: t, F: f }, weight0, rng);
    const start = rng.int(t - INFOTS_SEGMENTS * Math.floor(t / INFOTS_SEGMENTS) + 1);
    return tf.tidy(() => {
      const o1 = encoder.apply(tf.tensor3d(a1, [b, t, f]), { training: true });
      const o2 = encoder.apply(x, { training: true });
      return infotsLoss(o1, o2, start);
    });
  };
}

/** InfoTS in the study grid. */
export const infotsBaseline: BaselineSpec = baselineSpec("infots", {
  createEncoder: createTs2vecEncoder,
  createObjective: infotsObjective,
});
