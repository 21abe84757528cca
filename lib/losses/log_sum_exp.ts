/**
 * Masked, max-shifted log-sum-exp with an explicit softmax gradient.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";

type Saver = (tensors: Tensor[]) => void;

// Written out rather than composed from tf.logSumExp so that fully masked
// columns give −∞ (an empty sum) instead of NaN from (−∞) − (−∞), and so that
// masked entries get an exact zero gradient.
const maskedLse = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [x, mask, save] = args as [Tensor2D, Tensor2D, Saver];
  const keep = tf.greater(mask, 0);
  const xm = tf.where(keep, x, tf.fill(x.shape, -Infinity));
  const peak = tf.max(xm, 0);
  const shift = tf.where(tf.isFinite(peak), peak, tf.zerosLike(peak));
  const value = tf.add(shift, tf.log(tf.sum(tf.exp(tf.sub(xm, shift)), 0)));
  save([xm, keep, value]);
  return {
    value,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sx, sKeep, sValue] = saved;
      const softmax = tf.exp(tf.sub(sx, sValue));
      const g = tf.mul(tf.where(sKeep, softmax, tf.zerosLike(softmax)), dy);
      return [g, tf.zerosLike(g)];
    },
  };
}) as (x: Tensor2D, mask: Tensor2D) => Tensor1D;

/**
 * `LSE_j = M_j + log Σ_i mask_ij·exp(x_ij − M_j)` over rows, `M_j` the largest
 * kept entry of column j (0 when none). A column with no kept entry gives −∞.
 * Gradient: `∂LSE_j/∂x_ij = mask_ij·exp(x_ij − LSE_j)`.
 *
 * Shapes: `x [R, C]`, `mask [R, C]` (1 = keep, 0 = drop) → `[C]`.
 */
export function maskedLogSumExp(x: Tensor2D, mask: Tensor2D): Tensor1D {
  return maskedLse(x, mask);
}

/**
 * Log-sum-exp of vectors taken elementwise: `LSE(a_j, b_j, …)`.
 *
 * Shapes: `k` tensors `[C]` → `[C]`.
 */
export function logSumExpOf(parts: Tensor1D[]): Tensor1D {
  return tf.tidy(() => {
    const stacked = tf.stack(parts, 0) as Tensor2D;
    return maskedLse(stacked, tf.onesLike(stacked));
  });
}
