/**
 * SoftCLT with its soft labels switched on: the shipped Soft wrapper
 * (baselines/soft_ts2vec.py, models/soft_losses.py, models/timelags.py)
 * with `soft_instance = soft_temporal = True`, `τ_temp = 2`, `λ = 0.5`.
 * This is the "published method" variant of §B4: the shipped code computes
 * these labels every step and discards them.
 *
 * ```
 * instance labels (save_sim_mat on the batch x [B, T, F]):
 *   d = −cos(x_i, x_j) of flattened sequences, diag ← min off-diagonal,
 *   d ← per-column min-max to [0, 1],  S = 1 − d                          [B, B]
 * temporal labels at scale k: S_t = 2/(1 + e^{|t−t'|·τ_temp·2^k}), < 1e−6 → 0  [T', T']
 * soft CE of a group of 2M rows [view 1; view 2] with labels S [M, M]:
 *   W = [[S, S], [S, S]] with a zero diagonal
 *   L = Σ_i Σ_{j≠i} W_ij·(−log softmax_{j≠i}(z_i·z_j)) / (2·M·G)   (G groups)
 * hierarchy as TS2Vec: Σ_k [λ L_inst^soft + (1−λ) L_temp^soft] (+ λ L_inst^soft at T'=1) / #scales
 * ```
 *
 * Discrepancy kept from the shipped labels: the SoftCLT paper derives the
 * instance labels from DTW distances through a sigmoid with `τ_inst`; the
 * shipped `save_sim_mat` (used here) takes min-max-scaled negative cosine
 * similarities of the raw batch. With identity labels both soft terms
 * reduce to TS2Vec's hard terms.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor3D } from "../tf.ts";
import { cropViews, drawCrop } from "../ts2vec/mod.ts";
import { ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import { dataSyncOrThrow } from "../backend.ts";
import type { Objective } from "../train/mod.ts";
import { createSoftEncoder, SOFT_ALPHA } from "./softclt.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** `τ_temp` of the shipped wrapper. */
export const SOFT_TAU_TEMP = 2;

/** `save_sim_mat(x)` for `x [B, T, F]` row-major → the instance labels `[B][B]`. */
export function softInstanceLabels(x: Float32Array, B: number): number[][] {
  const len = x.length / B;
  const rows = Array.from({ length: B }, (_, i) => x.subarray(i * len, (i + 1) * len));
  const norm = rows.map((r) => Math.sqrt(r.reduce((s, v) => s + v * v, 0)));
  const d = rows.map((a, i) =>
    rows.map((b, j) => {
      let dot = 0;
      for (let k = 0; k < len; k++) dot += a[k] * b[k];
      const n = norm[i] * norm[j];
      return -(n === 0 ? 0 : dot / n);
    })
  );
  let offMin = Infinity;
  d.forEach((row, i) => row.forEach((v, j) => (offMin = i === j ? offMin : Math.min(offMin, v))));
  d.forEach((row, i) => (row[i] = B > 1 ? offMin : row[i]));
  for (let j = 0; j < B; j++) {
    const col = d.map((row) => row[j]);
    const lo = Math.min(...col), range = Math.max(...col) - lo;
    // sklearn's MinMaxScaler divides by 1 where a column is constant
    for (let i = 0; i < B; i++) d[i][j] = 1 - (d[i][j] - lo) / (range === 0 ? 1 : range);
  }
  return d;
}

/** `timelag_sigmoid(T, σ)`: `2/(1 + e^{|t−t'|σ})`, entries below 1e−6 set to 0. */
export function softTimelag(T: number, sigma: number): number[][] {
  return Array.from({ length: T }, (_, t) =>
    Array.from({ length: T }, (_, u) => {
      const v = 2 / (1 + Math.exp(Math.abs(t - u) * sigma));
      return v < 1e-6 ? 0 : v;
    }));
}

/**
 * Soft cross-entropy of `z [G, 2M, C]` (view 1 then view 2 in every group)
 * with labels `s [M][M]` (see the module doc).
 */
export function softPairedCrossEntropy(z: Tensor3D, s: number[][]): Scalar {
  const [groups, twoM] = z.shape;
  const m = twoM / 2;
  if (s.length !== m) {
    throw new ShapeError(`soft labels are ${s.length}×${s.length}, expected ${m}×${m}`);
  }
  const w = new Float32Array(twoM * twoM);
  for (let i = 0; i < twoM; i++) {
    for (let j = 0; j < twoM; j++) w[i * twoM + j] = i === j ? 0 : s[i % m][j % m];
  }
  return tf.tidy(() => {
    const sim = tf.matMul(z, z, false, true);
    const selfOff = tf.sub(sim, tf.mul(tf.eye(twoM), 1e30));
    const negLogP = tf.sub(tf.logSumExp(selfOff, 2, true), sim);
    const weighted = tf.sum(tf.mul(negLogP, tf.tensor2d(w, [twoM, twoM])));
    return tf.div(weighted, 2 * m * groups) as Scalar;
  });
}

function maxPoolHalf(z: Tensor3D): Tensor3D {
  const [b, t, c] = z.shape, half = Math.floor(t / 2);
  return tf.max(
    tf.reshape(tf.slice(z, [0, 0, 0], [b, 2 * half, c]), [b, half, 2, c]),
    2,
  ) as Tensor3D;
}

/** `hier_CL_soft(z1, z2, labels, τ_temp = 2, λ = 0.5, soft_instance = soft_temporal = True)`. */
export function softHierarchicalLoss(z1: Tensor3D, z2: Tensor3D, labels: number[][]): Scalar {
  return tf.tidy(() => {
    let a = z1, b = z2, total: Scalar = tf.scalar(0), d = 0;
    const inst = () =>
      softPairedCrossEntropy(tf.transpose(tf.concat([a, b], 0), [1, 0, 2]) as Tensor3D, labels);
    while (a.shape[1] > 1) {
      const lag = softTimelag(a.shape[1], SOFT_TAU_TEMP * 2 ** d);
      const temp = softPairedCrossEntropy(tf.concat([a, b], 1) as Tensor3D, lag);
      total = tf.addN([total, tf.mul(SOFT_ALPHA, inst()), tf.mul(1 - SOFT_ALPHA, temp)]);
      d++;
      a = maxPoolHalf(a);
      b = maxPoolHalf(b);
    }
    if (a.shape[1] === 1) {
      total = tf.add(total, tf.mul(SOFT_ALPHA, inst()));
      d++;
    }
    return tf.div(total, d) as Scalar;
  });
}

/** The objective: TS2Vec overlap crops, labels from the uncropped batch. */
export function softPublishedObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  return (encoder, x) => {
    const [b, t] = x.shape;
    const labels = softInstanceLabels(dataSyncOrThrow(x, "soft labels") as Float32Array, b);
    const crop = drawCrop(b, t, rng);
    return tf.tidy(() => {
      const [view1, view2] = cropViews(x, crop);
      const out1 = encoder.apply(view1, { training: true });
      const out2 = encoder.apply(view2, { training: true });
      const d = encoder.outFeatures, len1 = out1.shape[1];
      const z1 = tf.slice(out1, [0, len1 - crop.length, 0], [b, crop.length, d]) as Tensor3D;
      const z2 = tf.slice(out2, [0, 0, 0], [b, crop.length, d]) as Tensor3D;
      return softHierarchicalLoss(z1, z2, labels);
    });
  };
}

/** SoftCLT with soft labels on (the published method on the shipped encoder). */
export const softcltPublishedBaseline: BaselineSpec = baselineSpec("softclt-published", {
  createEncoder: createSoftEncoder,
  createObjective: softPublishedObjective,
});
