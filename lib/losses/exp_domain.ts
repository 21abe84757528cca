/**
 * The exp-domain pieces the reference losses (HATCL_LOSS, LS_HATCL_LOSS,
 * MARGIN_LOSS, LS_MARGIN_LOSS) share: `E = exp(X)` with its diagonal removed
 * after the exponential, the two-positive numerator and denominator of the
 * LS losses, and the `−mean log(num/den)` they all end in. Float32 and
 * subtraction as the reference, so its overflows and non-positive
 * denominators (D3, D4) stay.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { columns, offDiagonalMask } from "./similarity.ts";

/**
 * The two-positive terms of the reference's LS losses for the centres
 * `c = k + 1`, `k = 0..N−3`: with `ℓ = f(lower)` sliced as `ℓ_k` (left) and
 * `ℓ_{k+1}` (right), `num_k = ℓ_{k+1} + ℓ_k` and
 * `den_k = (Σ_i E_ik − ℓ_k) + (Σ_i E_{i,k+1} − num_k)`.
 *
 * Shapes: `e [N, N]` (N ≥ 3), `lower [N − 1]` (the sub-diagonal the
 * positives come from) → `numerator`, `denominator` `[N − 2]`. `f` (default
 * identity) maps each slice, e.g. `x ↦ exp(x/τ)` when `lower` is of `S`.
 */
export function neighbourTerms(
  e: Tensor2D,
  lower: Tensor1D,
  f: (x: Tensor1D) => Tensor1D = (x) => x,
): { numerator: Tensor1D; denominator: Tensor1D } {
  const n = e.shape[0];
  const left = f(tf.slice(lower, [0], [n - 2]));
  const right = f(tf.slice(lower, [1], [n - 2]));
  const numerator = tf.add(right, left) as Tensor1D;
  const denominator = tf.add(
    tf.sub(tf.sum(columns(e, 0, n - 2), 0), left),
    tf.sub(tf.sum(columns(e, 1, n - 1), 0), numerator),
  ) as Tensor1D;
  return { numerator, denominator };
}

/** `−mean_k log(num_k / den_k)`, the InfoNCE-style ratio every reference loss ends in. */
export function negMeanLogRatio(numerator: Tensor, denominator: Tensor): Scalar {
  return tf.neg(tf.mean(tf.log(tf.div(numerator, denominator)))) as Scalar;
}

/**
 * `exp(X)` with the diagonal removed after the exponential, as the reference
 * does (`E − diag(diag(E))`). Shapes: `x [N, N]` → `[N, N]`.
 */
export function expOffDiagonal(x: Tensor2D): Tensor2D {
  // E ⊙ (1 − I) is the reference's E − diag(diag(E)) bit for bit (both turn
  // an infinite diagonal into NaN) and has the same zero diagonal gradient.
  return tf.mul(tf.exp(x), offDiagonalMask(x.shape[0])) as Tensor2D;
}
