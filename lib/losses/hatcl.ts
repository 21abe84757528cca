/**
 * The reference's InfoNCE losses (src/losses/contrastive.py HATCL_LOSS and
 * LS_HATCL_LOSS), bug-for-bug in the exp domain and float32. Positives are
 * temporal neighbours in the flattened batch and are left out of the
 * denominator ("decoupled" form).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import {
  checkEmbeddings,
  columns,
  cosineSimilarity,
  emptyMean,
  offDiagonalMask,
  subDiagonal,
} from "./similarity.ts";
import { checkTemperature } from "./options.ts";

/** Options of the reference InfoNCE losses. */
export interface HatclOptions {
  /** τ > 0. */
  temperature: number;
}

/**
 * `exp(S/τ)` with the diagonal removed after the exponential, as the
 * reference does (`E − diag(diag(E))`). Shapes: `z [N, D]` → `[N, N]`.
 */
function expSimilarities(similarity: Tensor2D, temperature: number): Tensor2D {
  const n = similarity.shape[0];
  const e = tf.exp(tf.div(similarity, temperature));
  // E ⊙ (1 − I) is the reference's E − diag(diag(E)) bit for bit (both turn
  // an infinite diagonal into NaN) and has the same zero diagonal gradient.
  return tf.mul(e, offDiagonalMask(n)) as Tensor2D;
}

/**
 * HATCL_LOSS: single-positive decoupled InfoNCE.
 *
 * `E_ij = exp(S_ij/τ)` (i ≠ j), `E_ii = 0`; `p_k = E_{k+1,k}`;
 * `den_k = Σ_i E_ik − p_k` for `k = 0..N−2`;
 * `L = −mean_k log(p_k / den_k)`.
 *
 * Shapes: `z [N, D]` (N ≥ 2) → scalar. N = 2 gives `den = 0` → −∞, as in the reference.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 */
export function hatclLoss(z: Tensor2D, options: HatclOptions): Scalar {
  checkEmbeddings(z);
  checkTemperature(options.temperature);
  return tf.tidy(() => {
    const n = z.shape[0];
    const e = expSimilarities(cosineSimilarity(z), options.temperature);
    const positives = subDiagonal(e);
    const denominator = tf.sub(tf.sum(columns(e, 0, n - 1), 0), positives);
    return tf.neg(tf.mean(tf.log(tf.div(positives, denominator)))) as Scalar;
  });
}

/**
 * LS_HATCL_LOSS: two-positive (left and right neighbour) decoupled InfoNCE.
 *
 * With `E`, `ℓ_k = E_{k+1,k}` as in {@linkcode hatclLoss}, for centres
 * `c = k+1`, `k = 0..N−3`:
 * `num_k = ℓ_{k+1} + ℓ_k`,
 * `den_k = (Σ_i E_ik − ℓ_k) + (Σ_i E_{i,k+1} − num_k)`,
 * `L = −mean_k log(num_k / den_k)`.
 *
 * Shapes: `z [N, D]` (N ≥ 2) → scalar. N = 2 averages an empty vector → NaN, as in the reference.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 */
export function lsHatclLoss(z: Tensor2D, options: HatclOptions): Scalar {
  checkEmbeddings(z);
  checkTemperature(options.temperature);
  return tf.tidy(() => {
    const n = z.shape[0];
    const similarity = cosineSimilarity(z);
    if (n < 3) return emptyMean(similarity);
    const e = expSimilarities(similarity, options.temperature);
    const lower = subDiagonal(e);
    const left = tf.slice(lower, [0], [n - 2]);
    const right = tf.slice(lower, [1], [n - 2]);
    const numerator = tf.add(right, left);
    const denominator = tf.add(
      tf.sub(tf.sum(columns(e, 0, n - 2), 0), left),
      tf.sub(tf.sum(columns(e, 1, n - 1), 0), tf.add(right, left)),
    );
    return tf.neg(tf.mean(tf.log(tf.div(numerator, denominator)))) as Scalar;
  });
}
