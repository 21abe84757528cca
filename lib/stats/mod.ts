/**
 * Statistics of the study's verdicts (issue #17, point 5): metrics from summed
 * confusion matrices and contingency tables, a seeded cluster bootstrap
 * stratified by fold, intervals of means over runs, paired comparisons over
 * (fold, seed) pairs, Holm's adjustment and the verdict wording. Plain
 * TypeScript in float64, no tfjs.
 *
 * ```ts
 * import {
 *   balancedAccuracyFromConfusion, formatEffect, judgeFamily, meanMetricInterval, pairedDifference,
 * } from "./lib/stats/mod.ts";
 * const ci = meanMetricInterval(runsA, balancedAccuracyFromConfusion, { seed: 1 });
 * const [claim] = judgeFamily([
 *   { ...pairedDifference(runsA, runsB, balancedAccuracyFromConfusion, { seed: 1 }), direction: "greater" },
 * ]);
 * `${claim.verdict}: ${formatEffect(claim)}`; // "supported: Δ = +0.043 [0.012, 0.071], p_Holm = 0.004"
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
export * from "./grouped.ts";
export * from "./run_level.ts";
export * from "./holm.ts";
export * from "./verdict.ts";
