/**
 * The reference's margin losses (src/losses/contrastive.py MARGIN_LOSS and
 * LS_MARGIN_LOSS), bug-for-bug in the exp domain and float32, including
 * defects D2 (the margin rewards similar negatives), D3 (float32 overflow at
 * m = 100) and D4 (non-positive denominators at small τ). Spec §2.2, §3.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { ShapeError } from "../errors.ts";
import {
  checkEmbeddings,
  columns,
  cosineSimilarity,
  emptyMean,
  offDiagonalMask,
  subDiagonal,
} from "./similarity.ts";
import { expOffDiagonal, negMeanLogRatio, neighbourTerms } from "./exp_domain.ts";
import { checkGamma, checkMargin, checkTemperature } from "./options.ts";

/** The γ the reference hard-codes in LS_MARGIN_LOSS. */
export const REFERENCE_GAMMA = 0.05;

/** Options of {@linkcode marginLoss}. */
export interface MarginOptions {
  /** τ > 0. */
  temperature: number;
  /** m, the margin. */
  margin: number;
}

/** Options of {@linkcode lsMarginLoss}. */
export interface LsMarginOptions extends MarginOptions {
  /** γ, the reference's hard-coded 0.05. */
  gamma?: number;
}

/**
 * Checks that a sim vector broadcasts against `columns` anchor columns the
 * way torch does (equal lengths, or either of them 1).
 */
function checkSimVector(s: Tensor, columnCount: number, what: string): asserts s is Tensor1D {
  if (s.rank !== 1) {
    throw new ShapeError(
      `s: expected a 1-D sim vector [${what}], got shape [${s.shape.join(", ")}]`,
    );
  }
  const length = s.shape[0];
  if (length !== columnCount && length !== 1 && columnCount !== 1) {
    throw new ShapeError(
      `s: expected a sim vector of length ${what} = ${columnCount}, got length ${length}`,
    );
  }
}

/** `max(0, m − x)²`, elementwise (the reference's `torch.max(tensor(0), m − x)**2`). */
function hingeSquared(x: Tensor, margin: number): Tensor {
  return tf.square(tf.maximum(tf.scalar(0), tf.sub(margin, x)));
}

/**
 * MARGIN_LOSS (used with the single sim vector, length N − 1).
 *
 * `S'` = S with the diagonal set to 0; `p_k = S'_{k+1,k}`; for the columns
 * `j = 0..N−2` of `S'` and `v` broadcast along columns:
 * `M_ij = (1−v_j)·½·S'_ij² + v_j·½·max(0, m − S'_ij)²` (no τ, no γ);
 * `den_k = Σ_i exp(M_ik) − exp(p_k/τ)`;
 * `L = −mean_k log(exp(p_k/τ) / den_k)`.
 *
 * Shapes: `z [N, D]`, `s [N − 1]` (or a length that broadcasts as in torch) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]` or `s` does not broadcast against N − 1 columns.
 */
export function marginLoss(z: Tensor2D, s: Tensor1D, options: MarginOptions): Scalar {
  checkEmbeddings(z);
  const n = z.shape[0];
  checkSimVector(s, n - 1, "N − 1");
  const { temperature, margin } = options;
  checkTemperature(temperature);
  checkMargin(margin);
  return tf.tidy(() => {
    const sim = tf.mul(cosineSimilarity(z), offDiagonalMask(n)) as Tensor2D;
    const positives = subDiagonal(sim);
    const negatives = columns(sim, 0, n - 1);
    const v = tf.cast(s, "float32");
    const marginTerm = tf.add(
      tf.mul(tf.mul(tf.sub(1, v), 0.5), tf.square(negatives)),
      tf.mul(tf.mul(v, 0.5), hingeSquared(negatives, margin)),
    );
    const expNumerator = tf.exp(tf.div(positives, temperature));
    const denominator = tf.sub(tf.sum(tf.exp(marginTerm), 0), expNumerator);
    return negMeanLogRatio(expNumerator, denominator);
  });
}

/**
 * LS_MARGIN_LOSS (used with the double sim vector, length N; the loss of all
 * three shipped configs).
 *
 * `ℓ_k = S_{k+1,k}`; `num_k = exp(ℓ_{k+1}/τ) + exp(ℓ_k/τ)` for `k = 0..N−3`;
 * `M_ij = −(1−v_j)·½·S_ij² + v_j·½·max(0, m − S_ij)²` (v along columns);
 * `E = exp(γ·M/τ)` with the diagonal zeroed after the exponential;
 * `den_k = (Σ_i E_ik − exp(ℓ_k/τ)) + (Σ_i E_{i,k+1} − num_k)`;
 * `L = −mean_k log(num_k / (den_k + num_k))`.
 *
 * Shapes: `z [N, D]`, `s [N]` (or a length that broadcasts as in torch) → scalar.
 * At (τ, m) = (0.5, 100) every `E_ij` overflows float32 and the loss is NaN (D3).
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]` or `s` does not broadcast against N columns.
 */
export function lsMarginLoss(z: Tensor2D, s: Tensor1D, options: LsMarginOptions): Scalar {
  checkEmbeddings(z);
  const n = z.shape[0];
  checkSimVector(s, n, "N");
  const { temperature, margin, gamma = REFERENCE_GAMMA } = options;
  checkTemperature(temperature);
  checkMargin(margin);
  checkGamma(gamma);
  return tf.tidy(() => {
    const sim = cosineSimilarity(z);
    if (n < 3) return emptyMean(sim);
    const v = tf.cast(s, "float32");
    const marginTerm = tf.add(
      tf.mul(tf.mul(tf.neg(tf.sub(1, v)), 0.5), tf.square(sim)),
      tf.mul(tf.mul(v, 0.5), hingeSquared(sim, margin)),
    );
    const e = expOffDiagonal(tf.div(tf.mul(gamma, marginTerm), temperature) as Tensor2D);
    const { numerator, denominator } = neighbourTerms(
      e,
      subDiagonal(sim),
      (x) => tf.exp(tf.div(x, temperature)),
    );
    return negMeanLogRatio(numerator, tf.add(denominator, numerator));
  });
}
