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
  subDiagonal,
} from "./similarity.ts";
import { expOffDiagonal, negMeanLogRatio, neighbourTerms } from "./exp_domain.ts";
import { checkTemperature } from "./options.ts";

/** Options of the reference InfoNCE losses. */
export interface HatclOptions {
  /** τ > 0. */
  temperature: number;
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
    const e = expOffDiagonal(tf.div(cosineSimilarity(z), options.temperature));
    const positives = subDiagonal(e);
    const denominator = tf.sub(tf.sum(columns(e, 0, n - 1), 0), positives);
    return negMeanLogRatio(positives, denominator);
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
    const e = expOffDiagonal(tf.div(similarity, options.temperature));
    const { numerator, denominator } = neighbourTerms(e, subDiagonal(e));
    return negMeanLogRatio(numerator, denominator);
  });
}
