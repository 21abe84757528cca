/**
 * TS2Vec's hierarchical contrastive loss (yuezhihan/ts2vec models/losses.py),
 * with `temporal_unit = 0`. No normalisation and no temperature: logits are
 * raw dot products.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor2D, Tensor3D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { batchMatMul } from "../ops/mod.ts";

type Saver = (tensors: Tensor[]) => void;

/** `[n, n]` float32: −∞ on the diagonal, 0 elsewhere (filled on the host). */
function selfExclusion(n: number): Tensor2D {
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) values[i * n + i] = -Infinity;
  return tf.tensor2d(values, [n, n]);
}

// Written out rather than left to autodiff: tfjs' gradient of `logSumExp`
// goes through `max` (a comparison per logit), and both its forward and
// backward products use transposed operands, the slow case on wasm.
const selfExcludedLogSumExp = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [z, save] = args as [Tensor3D, Saver];
  const [g, rows] = z.shape;
  const logits = tf.add(batchMatMul(z, tf.transpose(z, [0, 2, 1])), selfExclusion(rows));
  const peak = tf.max(logits, 2, true);
  const e = tf.exp(tf.sub(logits, peak));
  const total = tf.sum(e, 2, true);
  save([z, tf.div(e, total)]);
  return {
    value: tf.reshape(tf.add(peak, tf.log(total)), [g, rows]),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sz, softmax] = saved as [Tensor3D, Tensor3D];
      const w = tf.mul(softmax, tf.reshape(dy, [g, rows, 1]));
      return [batchMatMul(tf.add(w, tf.transpose(w, [0, 2, 1])) as Tensor3D, sz)];
    },
  };
}) as (z: Tensor3D) => Tensor2D;

/**
 * Cross-entropy between two aligned groups. `z [G, 2M, C]` holds, per group,
 * view 1 in rows `0..M−1` and view 2 in rows `M..2M−1`. Logits of row `i` are
 * `z_i·z_j` over `j ≠ i` (2M − 1 of them); the positive of `i < M` is `M + i`
 * and of `M + i` is `i`. Returns the mean of `−log softmax` at the positives:
 * `mean_i (LSE_{j≠i} z_i·z_j − z_i·z_pos(i))`, the log-sum-exp with the
 * analytic gradient `(W + Wᵀ)·z`, `W_ij = ∂L/∂LSE_i · softmax_ij`.
 */
function pairedCrossEntropy(z: Tensor3D): Scalar {
  return tf.tidy(() => {
    const [g, twoM, c] = z.shape;
    const m = twoM / 2;
    const swapped = tf.concat([
      tf.slice(z, [0, m, 0], [g, m, c]),
      tf.slice(z, [0, 0, 0], [g, m, c]),
    ], 1);
    const positiveLogit = tf.sum(tf.mul(z, swapped), 2); // [G, 2M]
    return tf.mean(tf.sub(selfExcludedLogSumExp(z), positiveLogit)) as Scalar;
  });
}

/**
 * Instance contrast at every timestamp: `z1, z2 [B, T, C]`; for each `t` the
 * `2B` vectors `[z1[·,t]; z2[·,t]]` are classified against each other.
 * Returns 0 when `B = 1`.
 */
export function instanceContrastiveLoss(z1: Tensor3D, z2: Tensor3D): Scalar {
  if (z1.shape[0] === 1) return tf.scalar(0);
  return tf.tidy(() => pairedCrossEntropy(tf.transpose(tf.concat([z1, z2], 0), [1, 0, 2])));
}

/**
 * Temporal contrast within every sequence: for each `b` the `2T` vectors
 * `[z1[b,·]; z2[b,·]]`, positives `(t, T + t)`. Returns 0 when `T = 1`.
 */
export function temporalContrastiveLoss(z1: Tensor3D, z2: Tensor3D): Scalar {
  if (z1.shape[1] === 1) return tf.scalar(0);
  return tf.tidy(() => pairedCrossEntropy(tf.concat([z1, z2], 1)));
}

// The gradient is written out: tfjs' gradient of `max` over a reshaped axis
// compares through a broadcast, which is slow on wasm.
const pairMax = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [z, save] = args as [Tensor3D, Saver];
  const [b, t, c] = z.shape;
  const half = Math.floor(t / 2);
  const pairs = tf.reshape(tf.slice(z, [0, 0, 0], [b, 2 * half, c]), [b, half, 2 * c]);
  const even = tf.slice(pairs, [0, 0, 0], [b, half, c]);
  const odd = tf.slice(pairs, [0, 0, c], [b, half, c]);
  const first = tf.greaterEqual(even, odd);
  save([first]);
  return {
    value: tf.maximum(even, odd),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sFirst] = saved;
      const zero = tf.zerosLike(dy);
      const both = tf.concat([tf.where(sFirst, dy, zero), tf.where(sFirst, zero, dy)], 2);
      const rows = tf.reshape(both, [b, 2 * half, c]);
      return [t === 2 * half ? rows : tf.pad(rows, [[0, 0], [0, t - 2 * half], [0, 0]])];
    },
  };
}) as (z: Tensor3D) => Tensor3D;

/**
 * Max-pool with kernel 2, stride 2 along time (floor): `[B, T, C] → [B, ⌊T/2⌋, C]`;
 * the gradient goes to the first of two equal entries, as torch's `max_pool1d`.
 */
function halveTime(z: Tensor3D): Tensor3D {
  return pairMax(z);
}

/**
 * Hierarchical contrastive loss of two aligned views `z1, z2 [B, T, C]`:
 *
 * ```
 * L = 0, d = 0
 * while T' > 1: L += α·L_inst + (1−α)·L_temp; d += 1; halve T' by max-pool
 * if T' = 1:    L += α·L_inst; d += 1
 * return L / d
 * ```
 */
export function hierarchicalContrastiveLoss(
  z1: Tensor3D,
  z2: Tensor3D,
  { alpha = 0.5 }: { alpha?: number } = {},
): Scalar {
  if (z1.shape.join() !== z2.shape.join()) {
    throw new ShapeError(
      `hierarchicalContrastiveLoss: views differ, [${z1.shape}] vs [${z2.shape}]`,
    );
  }
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new OptionError(`hierarchicalContrastiveLoss: alpha must lie in [0, 1], got ${alpha}`);
  }
  return tf.tidy(() => {
    let a = z1, b = z2;
    let total: Scalar = tf.scalar(0);
    let scales = 0;
    while (a.shape[1] > 1) {
      if (alpha !== 0) total = tf.add(total, tf.mul(instanceContrastiveLoss(a, b), alpha));
      if (alpha !== 1) total = tf.add(total, tf.mul(temporalContrastiveLoss(a, b), 1 - alpha));
      scales++;
      a = halveTime(a);
      b = halveTime(b);
    }
    if (a.shape[1] === 1) {
      if (alpha !== 0) total = tf.add(total, tf.mul(instanceContrastiveLoss(a, b), alpha));
      scales++;
    }
    return tf.div(total, scales) as Scalar;
  });
}
