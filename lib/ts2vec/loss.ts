/**
 * TS2Vec's hierarchical contrastive loss (yuezhihan/ts2vec models/losses.py),
 * with `temporal_unit = 0`. No normalisation and no temperature: logits are
 * raw dot products.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor3D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";

/**
 * Cross-entropy between two aligned groups. `z [G, 2M, C]` holds, per group,
 * view 1 in rows `0..M−1` and view 2 in rows `M..2M−1`. Logits of row `i` are
 * `z_i·z_j` over `j ≠ i` (2M − 1 of them); the positive of `i < M` is `M + i`
 * and of `M + i` is `i`. Returns the mean of `−log softmax` at the positives.
 */
function pairedCrossEntropy(z: Tensor3D): Scalar {
  return tf.tidy(() => {
    const [, twoM] = z.shape;
    const m = twoM / 2;
    const sim = tf.matMul(z, z, false, true); // [G, 2M, 2M]
    const selfMask = tf.where(
      tf.cast(tf.eye(twoM), "bool"),
      tf.fill([twoM, twoM], -Infinity),
      tf.zeros([twoM, twoM]),
    );
    const selfExcluded = tf.add(sim, selfMask);
    const positive = tf.concat([
      tf.concat([tf.zeros([m, m]), tf.eye(m)], 1),
      tf.concat([tf.eye(m), tf.zeros([m, m])], 1),
    ]);
    const logNorm = tf.logSumExp(selfExcluded, 2); // [G, 2M]
    const positiveLogit = tf.sum(tf.mul(sim, positive), 2); // [G, 2M]
    return tf.mean(tf.sub(logNorm, positiveLogit)) as Scalar;
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

/** Max-pool with kernel 2, stride 2 along time (floor): `[B, T, C] → [B, ⌊T/2⌋, C]`. */
function halveTime(z: Tensor3D): Tensor3D {
  const [b, t, c] = z.shape;
  const half = Math.floor(t / 2);
  return tf.tidy(() =>
    tf.max(tf.reshape(tf.slice(z, [0, 0, 0], [b, 2 * half, c]), [b, half, 2, c]), 2) as Tensor3D
  );
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
