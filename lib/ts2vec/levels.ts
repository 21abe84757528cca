/**
 * One scale of TS2Vec's hierarchical loss, forward and backward written out
 * on both views stacked along the batch, `Z = [z1; z2]` `[2B, L, C]`.
 *
 * Per scale, with weights `wI` (instance) and `wT` (temporal):
 *
 * ```
 * LSE_I[t, i] = log Σ_{j≠i} exp(Z[i,t]·Z[j,t])        (2B rows per t)
 * LSE_T[b, r] = log Σ_{s≠r} exp(Y_b[r]·Y_b[s])        (Y_b = [z1[b]; z2[b]], 2L rows)
 * P = Σ_{b,t} z1[b,t]·z2[b,t]                          (both terms' positives)
 * value = (wI·ΣLSE_I + wT·ΣLSE_T) / (2BL) − (wI + wT)·P / (BL)
 * ∂Z = sI·(S_I + S_Iᵀ)·Z_I + sT·(S_T + S_Tᵀ)·Y − (wI + wT)/(BL)·[z2; z1]
 * ```
 *
 * with `S` the softmax of each row's logits (self excluded), `sI = wI/(2BL)`,
 * `sT = wT/(2BL)`. The positives are read off the Gram matrices of one term
 * (`P = ½·Σ G ⊙ Q`, `Q` pairing row `i` with `i ± m/2`) and their gradient
 * folded into that term's weights, `(s·(S + Sᵀ) − p·Q)·Z`, so the views are
 * never split, swapped or concatenated per term. Off the GPU the batched
 * products are loops of 2-D products on entries cut on the host.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor2D, Tensor3D } from "../tf.ts";
import { batchedProductsFast } from "../ops/mod.ts";

/** `[n, n]` float32: −∞ on the diagonal, 0 elsewhere (filled on the host). */
function selfExclusion(n: number): Tensor2D {
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) values[i * n + i] = -Infinity;
  return tf.tensor2d(values, [n, n]);
}

/** `[n, n]` float32 pairing row `i` with its positive: `Q_ij = 1` iff `|i − j| = n/2`. */
function positivePairs(n: number): Tensor2D {
  const values = new Float32Array(n * n);
  const m = n / 2;
  for (let i = 0; i < m; i++) values[i * n + m + i] = values[(m + i) * n + i] = 1;
  return tf.tensor2d(values, [n, n]);
}

/** `[G, m, C]` → `[G, C, m]`. */
const swapInner = (z: Tensor3D): Tensor3D => tf.transpose(z, [0, 2, 1]);

/**
 * The entries `x[g]` of `x [G, m, k]` as `[m, k]` tensors, cut on the host
 * from one read: every wasm `tf.slice` (and so `tf.split`) copies its whole
 * input, `G` copies for `G` entries.
 */
function entries(x: Tensor3D): Tensor2D[] {
  const [g, m, k] = x.shape;
  const values = x.dataSync() as Float32Array;
  return Array.from(
    { length: g },
    (_, i) => tf.tensor2d(values.subarray(i * m * k, (i + 1) * m * k), [m, k]),
  );
}

/**
 * Batched product `a_g·b_g` (`b_g = a_gᵀ` when `b` is null) of `a [G, m, k]`:
 * one batched call where that is fast (`batchedProductsFast`: off wasm, and
 * where `lib/wasm/gemm.ts` runs wasm's products). On tfjs' own wasm kernel
 * a loop of untransposed 2-D products: its batched kernel runs at ≈ 1
 * GFLOP/s and its 2-D one at ≈ 25, so the loop wins from the instance
 * term's `16×320×16` entries up (measured 2.1 ms against 3.9 for 50 of
 * them, 1.2 against 5.6 for `8 × 50×320×50`).
 */
function entryProducts(a: Tensor3D, b: Tensor3D | null): Tensor3D {
  if (batchedProductsFast()) return tf.matMul(a, b ?? a, false, b === null);
  const as = entries(a);
  const bs = b ? entries(b) : as.map((e) => tf.transpose(e));
  return tf.stack(as.map((e, i) => tf.matMul(e, bs[i]))) as Tensor3D;
}

/** Gram matrices `z_g·z_gᵀ` of `z [G, m, C]` → `[G, m, m]`. */
const gram = (z: Tensor3D): Tensor3D => entryProducts(z, null);

/**
 * Row log-sum-exp of the self-excluded Gram logits of `z [G, m, C]`, summed,
 * `Σ_{g,i} log Σ_{j≠i} exp(z_gi·z_gj)`, the softmax `[G, m, m]`, and with
 * `positives` the positive logits' sum `Σ_g Σ_{i<m/2} z_gi·z_g(i+m/2)`
 * (read off the Gram matrices).
 */
function excludedLse(
  z: Tensor3D,
  positives: boolean,
): { sum: Scalar; softmax: Tensor3D; positive: Scalar | null } {
  const m = z.shape[1];
  const g = gram(z);
  const logits = tf.add(g, selfExclusion(m));
  const peak = tf.max(logits, 2, true);
  const e = tf.exp(tf.sub(logits, peak));
  const total = tf.sum(e, 2, true);
  return {
    sum: tf.sum(tf.add(peak, tf.log(total))) as Scalar,
    softmax: tf.div(e, total) as Tensor3D,
    positive: positives ? tf.mul(tf.sum(tf.mul(g, positivePairs(m))), 0.5) as Scalar : null,
  };
}

/**
 * `∂(s·ΣLSE − p·Σ positives)/∂z = (s·(S + Sᵀ) − p·Q)·z` for `z [G, m, C]`,
 * softmax `S [G, m, m]`, `Q` the {@linkcode positivePairs} (`p` null: none).
 */
function excludedLseGrad(z: Tensor3D, softmax: Tensor3D, s: Tensor, p: Tensor | null): Tensor3D {
  let w = tf.mul(tf.add(softmax, swapInner(softmax)), s);
  if (p) w = tf.sub(w, tf.mul(positivePairs(z.shape[1]), p));
  return entryProducts(w as Tensor3D, z);
}

/** Instance layout: `[2B, L, C]` ↔ `[L, 2B, C]` (its own inverse). */
const instanceLayout = (z: Tensor3D): Tensor3D => tf.transpose(z, [1, 0, 2]);

/** Temporal layout: `[2B, L, C]` → `[B, 2L, C]` (row `b` is `[z1[b]; z2[b]]`). */
function toTemporal(z: Tensor3D): Tensor3D {
  const [twoB, l, c] = z.shape;
  const b = twoB / 2;
  return tf.reshape(tf.transpose(tf.reshape(z, [2, b, l * c]), [1, 0, 2]), [b, 2 * l, c]);
}

/** Inverse of {@linkcode toTemporal}: `[B, 2L, C]` → `[2B, L, C]`. */
function fromTemporal(y: Tensor3D): Tensor3D {
  const [b, twoL, c] = y.shape;
  const l = twoL / 2;
  return tf.reshape(tf.transpose(tf.reshape(y, [b, 2, l * c]), [1, 0, 2]), [2 * b, l, c]);
}

/** Term weights of one scale. */
export interface LevelWeights {
  instance: number;
  temporal: number;
}

/** What one scale's backward needs besides `Z`. */
export interface LevelSaved {
  instanceSoftmax: Tensor3D | null;
  temporalSoftmax: Tensor3D | null;
}

/**
 * The value of one scale on `z [2B, L, C]` (see the module formula) and its
 * softmaxes. The positives' sum is read off the instance Gram matrices (the
 * temporal ones when the instance term is off).
 */
export function levelForward(
  z: Tensor3D,
  weights: LevelWeights,
): { value: Scalar; saved: LevelSaved } {
  const [twoB, l] = z.shape;
  const rows = twoB * l;
  const both = weights.instance + weights.temporal;
  let value: Scalar = tf.scalar(0);
  const saved: LevelSaved = { instanceSoftmax: null, temporalSoftmax: null };
  const terms = [
    { weight: weights.instance, layout: instanceLayout, key: "instanceSoftmax" },
    { weight: weights.temporal, layout: toTemporal, key: "temporalSoftmax" },
  ] as const;
  let positivesTaken = false;
  for (const { weight, layout, key } of terms) {
    if (weight === 0) continue;
    const { sum, softmax, positive } = excludedLse(layout(z), !positivesTaken);
    value = tf.add(value, tf.mul(sum, weight / rows));
    if (positive) value = tf.sub(value, tf.mul(positive, (2 * both) / rows));
    positivesTaken = true;
    saved[key] = softmax;
  }
  return { value, saved };
}

/** `∂value/∂z` of one scale, times the scalar `scale` (`[2B, L, C]`). */
export function levelBackward(
  z: Tensor3D,
  weights: LevelWeights,
  saved: LevelSaved,
  scale: Scalar,
): Tensor3D {
  const [twoB, l] = z.shape;
  const rows = twoB * l;
  const both = weights.instance + weights.temporal;
  const parts: Tensor3D[] = [];
  let positivesTaken = false;
  const term = (softmax: Tensor3D | null, weight: number) => {
    if (!softmax) return null;
    const p = positivesTaken ? null : tf.mul(scale, (2 * both) / rows);
    positivesTaken = true;
    return (y: Tensor3D) => excludedLseGrad(y, softmax, tf.mul(scale, weight / rows), p);
  };
  const instance = term(saved.instanceSoftmax, weights.instance);
  if (instance) parts.push(instanceLayout(instance(instanceLayout(z))));
  const temporal = term(saved.temporalSoftmax, weights.temporal);
  if (temporal) parts.push(fromTemporal(temporal(toTemporal(z))));
  if (parts.length === 0) return tf.zerosLike(z);
  return parts.length === 1 ? parts[0] : tf.add(parts[0], parts[1]) as Tensor3D;
}

/**
 * Max-pool with kernel 2, stride 2 along time (floor): `[N, L, C] → [N, ⌊L/2⌋, C]`,
 * and the mask `first [N, ⌊L/2⌋, C]` (1 where the earlier frame is the max,
 * ties included, as torch's `max_pool1d`).
 */
export function poolForward(z: Tensor3D): { pooled: Tensor3D; first: Tensor3D } {
  const [n, l, c] = z.shape;
  const half = Math.floor(l / 2);
  const paired = l === 2 * half ? z : tf.slice(z, [0, 0, 0], [n, 2 * half, c]);
  const pairs = tf.reshape(paired, [n * half, 2 * c]);
  const first = tf.greaterEqual(
    tf.slice(pairs, [0, 0], [n * half, c]),
    tf.slice(pairs, [0, c], [n * half, c]),
  );
  // XNNPACK's pooling on wasm; tf.maximum of the two halves runs ≈ 6× slower.
  const pooled = tf.maxPool(tf.reshape(z, [n, 1, l, c]) as tf.Tensor4D, [1, 2], [1, 2], "valid");
  return {
    pooled: tf.reshape(pooled, [n, half, c]),
    first: tf.reshape(tf.cast(first, "float32"), [n, half, c]),
  };
}

/** The max-pool's gradient: `dy [N, ⌊L/2⌋, C]` to the chosen frames of `[N, L, C]`. */
export function poolBackward(dy: Tensor3D, first: Tensor3D, l: number): Tensor3D {
  const [n, half, c] = dy.shape;
  const toEven = tf.mul(dy, first);
  const rows = tf.reshape(tf.concat([toEven, tf.sub(dy, toEven)], 2), [n, 2 * half, c]) as Tensor3D;
  return l === 2 * half ? rows : tf.pad(rows, [[0, 0], [0, l - 2 * half], [0, 0]]) as Tensor3D;
}
