/**
 * Per-feature z-score normalisation with statistics from the training split
 * (spec D5: the reference computes them over every file, so evaluation frames
 * leak into the normalisation; `statsFrom: "all"` reproduces that on purpose).
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";

/** Which frames the statistics come from. */
export type StatsSource = "train" | "all";

/** Per-feature mean and population standard deviation. */
export interface ZScoreStats {
  /** `[F]` means. */
  mean: Float64Array;
  /** `[F]` population standard deviations; 0 replaced by 1e−10 (as the reference). */
  std: Float64Array;
}

/** Standard deviation used for constant features (the reference's value). */
export const ZERO_STD_REPLACEMENT = 1e-10;

/**
 * Mean and population standard deviation of every feature over the frames of
 * all given recordings: `μ_f = Σ x[t,f] / n`, `σ_f = √(Σ (x[t,f] − μ_f)² / n)`,
 * two passes in float64; `σ_f = 0` becomes 1e−10.
 *
 * @param recordings frame matrices `[n_r, F]` row-major.
 * @param nFeatures `F`.
 * @throws {ShapeError} when a matrix is not a whole number of rows or there are no frames.
 */
export function zScoreStats(recordings: readonly Float32Array[], nFeatures: number): ZScoreStats {
  if (!Number.isInteger(nFeatures) || nFeatures < 1) {
    throw new OptionError(`zScoreStats: nFeatures must be a positive integer, got ${nFeatures}`);
  }
  const mean = new Float64Array(nFeatures);
  const std = new Float64Array(nFeatures);
  let n = 0;
  for (const [r, x] of recordings.entries()) {
    if (x.length % nFeatures !== 0) {
      throw new ShapeError(
        `zScoreStats: recording ${r} has ${x.length} values, not a multiple of ${nFeatures}`,
      );
    }
    for (let i = 0; i < x.length; i += nFeatures) {
      for (let f = 0; f < nFeatures; f++) mean[f] += x[i + f];
    }
    n += x.length / nFeatures;
  }
  if (n === 0) throw new ShapeError("zScoreStats: no frames to compute statistics from");
  for (let f = 0; f < nFeatures; f++) mean[f] /= n;
  for (const x of recordings) {
    for (let i = 0; i < x.length; i += nFeatures) {
      for (let f = 0; f < nFeatures; f++) {
        const d = x[i + f] - mean[f];
        std[f] += d * d;
      }
    }
  }
  for (let f = 0; f < nFeatures; f++) {
    std[f] = Math.sqrt(std[f] / n);
    if (std[f] === 0) std[f] = ZERO_STD_REPLACEMENT;
  }
  return { mean, std };
}

/**
 * Statistics for a split: from the training recordings only (`"train"`, ours)
 * or from training and evaluation recordings together (`"all"`, the
 * reference's leak, D5).
 *
 * @param train training frame matrices `[n_r, F]`.
 * @param evaluation evaluation frame matrices `[n_r, F]`.
 */
export function splitZScoreStats(
  train: readonly Float32Array[],
  evaluation: readonly Float32Array[],
  nFeatures: number,
  { statsFrom }: { statsFrom: StatsSource },
): ZScoreStats {
  if (statsFrom === "train") return zScoreStats(train, nFeatures);
  if (statsFrom === "all") return zScoreStats([...train, ...evaluation], nFeatures);
  throw new OptionError(`splitZScoreStats: statsFrom must be "train" or "all", got ${statsFrom}`);
}

/**
 * Normalises `[n, F]` frames in place: `x[t,f] ← (x[t,f] − μ_f) / σ_f`.
 *
 * @returns the same array.
 */
export function applyZScore(x: Float32Array, { mean, std }: ZScoreStats): Float32Array {
  const nFeatures = mean.length;
  if (x.length % nFeatures !== 0) {
    throw new ShapeError(`applyZScore: ${x.length} values are not a multiple of ${nFeatures}`);
  }
  for (let i = 0; i < x.length; i += nFeatures) {
    for (let f = 0; f < nFeatures; f++) x[i + f] = (x[i + f] - mean[f]) / std[f];
  }
  return x;
}
