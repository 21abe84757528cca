/**
 * The shared log-space form of the corrected losses (`infonce` and
 * `emargin-stable`, spec §3 variants 1 and 4, with the §6a edits): positive
 * and negative logits enter max-shifted log-sum-exps, nothing is subtracted,
 * so no step can overflow float32 or take the log of a non-positive number.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../tf.ts";
import { columns, emptyMean, subDiagonal } from "./similarity.ts";
import { logSumExpOf, maskedLogSumExp } from "./log_sum_exp.ts";
import { bandExclusionMask } from "./neighbours.ts";
import { difficultPairMask, difficultSampleMask } from "./difficult.ts";
import type { ResolvedDifficult } from "./difficult.ts";

/** "single": one positive per anchor (HATCL); "ls": left and right neighbour (LS_HATCL). */
export type LossForm = "ls" | "single";

/** Inputs of {@linkcode logSpaceContrastive}. */
export interface LogSpaceTerms {
  /** Cosine-similarity matrix `S [N, N]`. */
  similarity: Tensor2D;
  /** τ. */
  temperature: number;
  form: LossForm;
  /** Whether the positives also enter the denominator (stable: yes; decoupled InfoNCE: no). */
  positivesInDenominator: boolean;
  /** Term added to every negative logit, `[N, N]` (the eMargin penalty), or none. */
  negativeOffset?: Tensor2D;
  /** Difficult-pair edits (spec §6a), or none. */
  difficult?: ResolvedDifficult;
}

/**
 * Log-space contrastive loss over the temporal-neighbour index sets of the
 * reference, with `b_ij = S_ij/τ` for positives and negatives
 * `a_ij = ℓ_ij + offset_ij`, where `ℓ_ij = S_ij/τ`, or `(S_ij − σ)/(ρτ)` on a
 * difficult pair.
 *
 * - single (anchor `k = 0..N−2`, positive `b_{k+1,k}`, negatives `i ∉ {k, k+1}`
 *   of column k): `ℓ_k = −b_{k+1,k} + LSE([b_{k+1,k}], {a_ik})`;
 * - ls (centre `c = 1..N−2`, positives `b_{c,c−1}`, `b_{c+1,c}`, negatives
 *   `N₁ = {i ∉ {c−1, c}}` of column c−1 and `N₂ = {i ∉ {c−1, c, c+1}}` of
 *   column c): `ℓ_c = −LSE(b_{c,c−1}, b_{c+1,c}) + LSE([b…], {a_{i,c−1}}_{N₁}, {a_{i,c}}_{N₂})`;
 *
 * where the bracketed positives are present only with `positivesInDenominator`.
 * `L = mean ℓ` over the anchors kept (all, or all but the difficult samples).
 * Pair removal drops difficult pairs from the negative sets.
 *
 * Shapes: `similarity [N, N]`, `negativeOffset [N, N]` → scalar.
 */
export function logSpaceContrastive(terms: LogSpaceTerms): Scalar {
  return tf.tidy(() => {
    const { similarity: s, temperature, form, positivesInDenominator, difficult } = terms;
    const n = s.shape[0];
    if (form === "ls" && n < 3) return emptyMean(s);
    const logits = tf.div(s, temperature) as Tensor2D;
    let negatives = logits;
    let keepPairs: Tensor2D | null = null;
    let hard: Tensor2D | null = null;
    if (difficult) {
      // Arithmetic blends rather than tf.where: the mask is a (zero-gradient)
      // node of the graph, and tfjs has no gradient for comparisons.
      hard = difficultPairMask(s, difficult);
      const edited = tf.div(tf.sub(s, difficult.sigma), difficult.rho * temperature);
      negatives = tf.add(logits, tf.mul(hard, tf.sub(edited, logits))) as Tensor2D;
      if (difficult.removal === "pairs") keepPairs = tf.sub(1, hard) as Tensor2D;
    }
    if (terms.negativeOffset) negatives = tf.add(negatives, terms.negativeOffset) as Tensor2D;
    const negativeSet = (start: number, count: number, excluded: number[]): Tensor1D => {
      let mask = bandExclusionMask(n, count, excluded, start);
      if (keepPairs) mask = tf.mul(mask, columns(keepPairs, start, start + count)) as Tensor2D;
      return maskedLogSumExp(columns(negatives, start, start + count), mask);
    };
    const lower = subDiagonal(logits);
    let positive: Tensor1D;
    let negative: Tensor1D;
    let anchorStart: number;
    if (form === "single") {
      positive = lower;
      negative = negativeSet(0, n - 1, [0, 1]);
      anchorStart = 0;
    } else {
      positive = logSumExpOf([tf.slice(lower, [0], [n - 2]), tf.slice(lower, [1], [n - 2])]);
      negative = logSumExpOf([negativeSet(0, n - 2, [0, 1]), negativeSet(1, n - 2, [-1, 0, 1])]);
      anchorStart = 1;
    }
    const denominator = positivesInDenominator ? logSumExpOf([positive, negative]) : negative;
    const perAnchor = tf.sub(denominator, positive);
    if (difficult?.removal === "samples" && hard) {
      const dropped = tf.slice(difficultSampleMask(hard, difficult.pRm), [anchorStart], [
        perAnchor.shape[0],
      ]);
      const keep = tf.sub(1, dropped);
      return tf.div(tf.sum(tf.mul(perAnchor, keep)), tf.sum(keep)) as Scalar;
    }
    return tf.mean(perAnchor);
  });
}
