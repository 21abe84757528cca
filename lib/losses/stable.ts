/**
 * Variant `emargin-stable` (spec §3 variant 4): the margin on the cosine
 * distance, applied anchor-wise by the intended sim vector, in log space.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { checkEmbeddings, cosineSimilarity } from "./similarity.ts";
import { checkGamma, checkMargin, checkRawInputs, checkTemperature } from "./options.ts";
import { simVector } from "./sim_vector.ts";
import { logSpaceContrastive } from "./log_space.ts";
import type { LossForm } from "./log_space.ts";
import { resolveDifficult } from "./difficult.ts";
import type { DifficultOptions, ResolvedDifficult } from "./difficult.ts";
import { addVrns, resolveVrns } from "./combine.ts";
import type { VrnsCombination } from "./vrns.ts";
import { REFERENCE_GAMMA } from "./margin.ts";

/** Options of {@linkcode stableMarginLoss}. */
export interface StableMarginOptions {
  /** τ > 0. */
  temperature: number;
  /** m, the margin on the cosine distance. */
  margin: number;
  /** θ: anchors whose raw frame has `cos(x_n, x_{n+1}) < θ` get the margin. */
  threshold: number;
  /** γ (default 0.05, the reference's constant). */
  gamma?: number;
  form: LossForm;
  /** Difficult-pair edits of the similarity part of the negatives (spec §6a). */
  difficult?: DifficultOptions;
  /** Adds `λ·L_VRN` (spec §6b). */
  vrns?: VrnsCombination;
}

/**
 * eMargin, corrected. With `v = 1[cos(x_n, x_{n+1}) < θ]` (the intended sim
 * vector, length N, wrap pair included), `d_ij = 1 − S_ij`:
 *
 * - negative logits `a_ij = S_ij/τ + v_j·γ·½·max(0, m − d_ij)²/τ` (anchor column j);
 * - positive logits `b_ij = S_ij/τ`;
 * - ls (centre `c = 1..N−2`):
 *   `ℓ_c = −LSE(b_{c,c−1}, b_{c+1,c}) + LSE(b_{c,c−1}, b_{c+1,c}, {a_{i,c−1}}_{i∉{c−1,c}}, {a_{i,c}}_{i∉{c−1,c,c+1}})`;
 * - single (anchor `k = 0..N−2`): `ℓ_k = −b_{k+1,k} + LSE(b_{k+1,k}, {a_ik}_{i∉{k,k+1}})`;
 * - `L = mean ℓ (+ λ·L_VRN)`; LSE is max-shifted, so `ℓ ≥ 0` and finite in
 *   float32 for every shipped config (largest logit `1/τ + γ(m+1)²/(2τ)`, 512 at ECG).
 *
 * Difficult negatives get `(S − σ)/(ρτ)` in place of `S/τ` (the margin term
 * is added unchanged) or are removed.
 *
 * Shapes: `z [N, D]`, `x [N, F]` or `[B, T, F]` with `B·T = N` (raw inputs,
 * same row order) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]` or `x` does not have N rows.
 * @throws {OptionError} on invalid τ, m, γ, difficult or vrns options.
 */
export function stableMarginLoss(z: Tensor2D, x: Tensor, options: StableMarginOptions): Scalar {
  checkEmbeddings(z);
  const { temperature, margin, threshold, gamma = REFERENCE_GAMMA, form } = options;
  checkTemperature(temperature);
  checkMargin(margin);
  checkGamma(gamma);
  const n = z.shape[0];
  checkRawInputs(x, n);
  const difficult = options.difficult ? resolveDifficult(options.difficult) : undefined;
  const vrns = options.vrns ? resolveVrns(options.vrns) : undefined;
  return tf.tidy(() => {
    const v = simVector(x, { threshold, variant: "intended", length: "double" });
    const similarity = cosineSimilarity(z);
    const contrastive = stableMarginFromSimilarity(similarity, v, {
      temperature,
      margin,
      gamma,
      form,
      difficult,
    });
    return addVrns(contrastive, similarity, vrns);
  });
}

/** Options of {@linkcode stableMarginFromSimilarity} (validated). */
export interface StableTerms {
  temperature: number;
  margin: number;
  gamma: number;
  form: LossForm;
  difficult?: ResolvedDifficult;
}

/**
 * The contrastive part of {@linkcode stableMarginLoss} as a function of the
 * cosine-similarity matrix and the sim vector (same formula, no VRN term).
 *
 * Shapes: `similarity [N, N]`, `v [N]` → scalar.
 */
export function stableMarginFromSimilarity(
  similarity: Tensor2D,
  v: Tensor1D,
  terms: StableTerms,
): Scalar {
  return tf.tidy(() => {
    const { temperature, margin, gamma, form, difficult } = terms;
    const n = similarity.shape[0];
    // max(0, m − d)² with d = 1 − S, i.e. max(0, S + m − 1)².
    const hinge = tf.square(tf.relu(tf.add(similarity, margin - 1)));
    const negativeOffset = tf.mul(
      tf.reshape(v, [1, n]),
      tf.mul(hinge, (gamma * 0.5) / temperature),
    ) as Tensor2D;
    return logSpaceContrastive({
      similarity,
      temperature,
      form,
      positivesInDenominator: true,
      negativeOffset,
      difficult,
    });
  });
}
