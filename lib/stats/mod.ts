/**
 * Statistics of the study's verdicts (issue #17, point 5): metrics from summed
 * confusion matrices and contingency tables, a seeded cluster bootstrap
 * stratified by fold, intervals of means over runs, paired comparisons over
 * (fold, seed) pairs with a bootstrap or a permutation p-value, Holm's
 * adjustment and the verdict wording. Plain TypeScript in float64, no tfjs.
 *
 * Which to use:
 * - a metric that decomposes over held-out groups (balanced accuracy,
 *   macro-F1, accuracy, NMI from per-group tables): `meanMetricInterval`,
 *   `pairedDifference` (cluster bootstrap over groups, stratified by fold;
 *   `pMethod: "permutation"` for a p-value that holds its level with few
 *   groups per fold);
 * - a run-level scalar (DBI, CHI, silhouette, effective rank):
 *   `runLevelInterval`, `pairedRunLevel` (bootstrap over runs within folds;
 *   sign-flip p-value by default, since the bootstrap p is far too liberal
 *   with 3 seeds);
 * - a family of claims: `judgeFamily` (Holm, then `verdict`), `formatEffect`;
 *   resample `resamplesForFamily(m)` times, or Holm can resolve nothing.
 *
 * ```ts
 * import {
 *   balancedAccuracyFromConfusion,
 *   formatEffect,
 *   type GroupedRun,
 *   judgeFamily,
 *   meanMetricInterval,
 *   pairedDifference,
 * } from "./mod.ts";
 * // per run (fold, seed): a confusion matrix per held-out subject
 * const a: GroupedRun[] = [
 *   { fold: "0", seed: 1, groups: { s1: [[9, 1], [1, 9]], s2: [[8, 2], [0, 10]] } },
 *   { fold: "1", seed: 1, groups: { s3: [[9, 1], [2, 8]], s4: [[10, 0], [1, 9]] } },
 * ];
 * const b: GroupedRun[] = [
 *   { fold: "0", seed: 1, groups: { s1: [[7, 3], [2, 8]], s2: [[6, 4], [1, 9]] } },
 *   { fold: "1", seed: 1, groups: { s3: [[8, 2], [3, 7]], s4: [[7, 3], [2, 8]] } },
 * ];
 * const ci = meanMetricInterval(a, balancedAccuracyFromConfusion, { seed: 1 });
 * const [claim] = judgeFamily([
 *   { ...pairedDifference(a, b, balancedAccuracyFromConfusion, { seed: 1 }), direction: "greater" },
 * ]);
 * console.log(ci.estimate, ci.lower, ci.upper, `${claim.verdict}: ${formatEffect(claim)}`);
 * // 0.9 0.875 0.925 "supported: Δ = +0.15 [0.13, 0.17], p_Holm < 0.001"
 * ```
 *
 * Errors raised on bad input:
 * - `ShapeError`: ragged or mismatched tables, repeated (fold, seed) runs,
 *   runs of a fold with different groups, a group in two folds, empty input;
 * - `NonFiniteError`: NaN / ±Infinity in counts, values or a statistic;
 * - `DegenerateInputError`: negative counts, a table with total 0, no pairs;
 * - `OptionError`: fewer than 1000 resamples, a level, alpha or p-value out of range.
 *
 * @module
 */
export * from "./confusion.ts";
export * from "./bootstrap.ts";
export * from "./pairing.ts";
export * from "./permutation.ts";
export * from "./grouped.ts";
export * from "./run_level.ts";
export * from "./holm.ts";
export * from "./verdict.ts";
