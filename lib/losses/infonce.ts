/**
 * Variant `infonce` (spec §3 variant 1): HATCL_LOSS / LS_HATCL_LOSS in log
 * space, with the §6a difficult-pair and §6b VRN options.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import { checkEmbeddings, cosineSimilarity } from "./similarity.ts";
import { checkTemperature } from "./options.ts";
import { logSpaceContrastive } from "./log_space.ts";
import type { LossForm } from "./log_space.ts";
import { resolveDifficult } from "./difficult.ts";
import type { DifficultOptions } from "./difficult.ts";
import { addVrns, resolveVrns } from "./combine.ts";
import type { VrnsCombination } from "./vrns.ts";

/** Options of {@linkcode infoNceLoss}. */
export interface InfoNceOptions {
  /** τ > 0. */
  temperature: number;
  form: LossForm;
  /** Difficult-pair edits of the negatives (spec §6a). */
  difficult?: DifficultOptions;
  /** Adds `λ·L_VRN` (spec §6b). */
  vrns?: VrnsCombination;
}

/**
 * Decoupled InfoNCE in log space, mathematically identical to the reference
 * HATCL_LOSS ("single") and LS_HATCL_LOSS ("ls"), with `ℓ_ij = S_ij/τ`:
 *
 * - single: `ℓ_k = −ℓ_{k+1,k} + LSE_{i∉{k,k+1}} ℓ_ik`, `k = 0..N−2`;
 * - ls: `ℓ_c = −LSE(ℓ_{c,c−1}, ℓ_{c+1,c}) + LSE({ℓ_{i,c−1}}_{i∉{c−1,c}} ∪ {ℓ_{i,c}}_{i∉{c−1,c,c+1}})`,
 *   `c = 1..N−2`;
 *
 * `L = mean ℓ (+ λ·L_VRN)`. Difficult negatives get `(S − σ)/(ρτ)` or are removed.
 *
 * Shapes: `z [N, D]` → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 * @throws {OptionError} on invalid τ, difficult or vrns options.
 */
export function infoNceLoss(z: Tensor2D, options: InfoNceOptions): Scalar {
  checkEmbeddings(z);
  checkTemperature(options.temperature);
  const difficult = options.difficult ? resolveDifficult(options.difficult) : undefined;
  const vrns = options.vrns ? resolveVrns(options.vrns) : undefined;
  return tf.tidy(() => {
    const similarity = cosineSimilarity(z);
    const contrastive = logSpaceContrastive({
      similarity,
      temperature: options.temperature,
      form: options.form,
      positivesInDenominator: false,
      difficult,
    });
    return addVrns(contrastive, similarity, vrns);
  });
}
