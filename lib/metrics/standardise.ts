/**
 * Feature standardisation with training-split statistics (sklearn's
 * `StandardScaler`): `z_ij = (x_ij − μ_j) / σ_j` with the training mean μ and
 * the population standard deviation σ (ddof 0); a constant feature gets σ = 1.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";
import { type Matrix, type MatrixInput, toFiniteMatrix } from "./matrix.ts";

/** Per-feature statistics of a training split, each `[d]`. */
export interface Standardisation {
  /** Training mean μ_j. */
  mean: Float64Array;
  /** Population standard deviation σ_j (ddof 0), 1 for a constant feature. */
  std: Float64Array;
}

/**
 * Mean and population standard deviation of each column of `train` `[n, d]`.
 * A feature counts as constant, and gets σ = 1, when its variance is within
 * float64 rounding of 0 (sklearn's bound `var ≤ n·ε·var + (n·ε·μ)²`), so a
 * column of identical values is left centred but unscaled.
 *
 * @example
 * ```ts
 * const s = standardise([[1, 5], [3, 5]]);
 * // s.mean = [2, 5], s.std = [1, 1]
 * ```
 * @throws {ShapeError} on an empty or ragged matrix.
 * @throws {NonFiniteError} on NaN / ±Inf.
 */
export function standardise(train: MatrixInput, name = "train"): Standardisation {
  const { data, rows, cols } = toFiniteMatrix(train, name);
  const mean = new Float64Array(cols), std = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  }
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j] - mean[j];
      std[j] += v * v;
    }
  }
  const eps = Number.EPSILON;
  for (let j = 0; j < cols; j++) {
    const v = std[j] / rows;
    const constant = v <= rows * eps * v + (rows * mean[j] * eps) ** 2;
    std[j] = constant ? 1 : Math.sqrt(v);
  }
  return { mean, std };
}

/**
 * Applies `s` to `x` `[m, d]`: returns a new float64 matrix `(x − μ) / σ`.
 *
 * @throws {ShapeError} when `x` has not `s.mean.length` columns.
 * @throws {NonFiniteError} on NaN / ±Inf.
 */
export function applyStandardisation(x: MatrixInput, s: Standardisation, name = "x"): Matrix {
  const m = toFiniteMatrix(x, name);
  const d = s.mean.length;
  if (m.cols !== d) {
    throw new ShapeError(`${name}: expected ${d} columns (the training features), got ${m.cols}`);
  }
  const out = m.data;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < d; j++) out[i * d + j] = (out[i * d + j] - s.mean[j]) / s.std[j];
  }
  return m;
}
