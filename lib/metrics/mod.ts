/**
 * Evaluation metrics of the study (spec §2.5, D6): K-means, internal cluster
 * indices, label agreement, classification scores, effective rank, the
 * D6-safe clustering evaluator, the reference linear probe (spec §2.5) and
 * the converged logistic probe (standardisation, L-BFGS, grouped CV of C).
 * Everything except the reference linear probe is computed in float64 in
 * TypeScript; the inner loops of the logistic objective and of the K-means /
 * silhouette dot products run on small wasm f64x2 SIMD kernels
 * (`softmax_wasm.ts`, `dots_wasm.ts`, assembled at load by `lib/wasm/emit.ts`)
 * that give bit for bit the sums of their JavaScript references.
 *
 * Errors raised on bad input:
 * - `NonFiniteError`: NaN / ±Inf in an embedding matrix (every matrix function);
 * - `ShapeError`: malformed matrices, label vectors of the wrong length;
 * - `DegenerateInputError`: cluster indices on one label, on all-identical
 *   points or with coincident centroids / zero dispersion; K-means with fewer
 *   distinct points than `k`;
 * - `OptionError`: out-of-range options (`k`, `nInit`, `epochs`, …).
 *
 * `evaluateClustering` never throws on degenerate embeddings: it reports a status.
 *
 * @module
 */
export * from "./matrix.ts";
export * from "./kmeans.ts";
export * from "./clustering_indices.ts";
export * from "./agreement.ts";
export * from "./classification.ts";
export * from "./effective_rank.ts";
export * from "./evaluate_clustering.ts";
export * from "./probe_data.ts";
export * from "./linear_probe.ts";
export * from "./lbfgs.ts";
export * from "./standardise.ts";
export * from "./logistic_regression.ts";
export * from "./grouped_cv.ts";
export * from "./logistic_probe.ts";
export { crossDots, roundUp } from "./dots.ts";
export { type DotsView, type ResidentRows, residentRows } from "./dots_wasm.ts";
export { softmaxObjective, softmaxObjectiveJs, type SoftmaxProblem } from "./softmax_objective.ts";
