/**
 * Multinomial (softmax) logistic regression with an L2 penalty, solved to
 * convergence with L-BFGS in float64 on plain TypedArrays — the model of the
 * converged linear probe. Matches scikit-learn's
 * `LogisticRegression(multi_class="multinomial", solver="lbfgs")` at its exact
 * optimum.
 *
 * @module
 */
import { DegenerateInputError, OptionError, ShapeError } from "../errors.ts";
import { minimizeLbfgs } from "./lbfgs.ts";
import { dotAt, softmaxObjective } from "./softmax_objective.ts";
import {
  type LabelInput,
  type Matrix,
  type MatrixInput,
  toFiniteMatrix,
  toLabelledMatrix,
} from "./matrix.ts";

/** Starting point of a fit (e.g. the fit at the previous C of a path). */
export interface LogisticInit {
  /** `[k][d]`. */
  coef: readonly (readonly number[])[];
  /** `[k]`. */
  intercept: readonly number[];
}

/** Options of {@linkcode fitLogistic}. */
export interface LogisticOptions {
  /** Inverse penalty strength C > 0. */
  C: number;
  /** `"balanced"`: sample weight `n / (k · n_c)`; `null` (default): weight 1. */
  classWeight?: "balanced" | null;
  /**
   * Relative gradient tolerance: stop when max |∇| ≤ `tolerance · max(1, C·n)`.
   * Default {@linkcode DEFAULT_LOGISTIC_TOLERANCE}.
   */
  tolerance?: number;
  /** L-BFGS iteration cap. Default 1000. */
  maxIterations?: number;
  /** Warm start; shapes must match the classes present and the features. Default zeros. */
  init?: LogisticInit;
}

/** A fitted model and how the solver ended. */
export interface LogisticFit {
  /** Label ids of the k output rows: the classes present in `y`, ascending. */
  classes: number[];
  /** Weights `[k][d]`. */
  coef: number[][];
  /** Intercepts `[k]`, centred to sum 0 (softmax is invariant to a common shift). */
  intercept: number[];
  /** `C · Σ_i w_i · CE_i + ½‖W‖²_F` at the solution. */
  objective: number;
  /** L-BFGS iterations. */
  iterations: number;
  /** Objective-and-gradient evaluations (line-search trials included). */
  evaluations: number;
  /** max |∇| of the objective at the solution. */
  maxAbsGradient: number;
  /** True when max |∇| ≤ `tolerance · max(1, C·n)`. */
  converged: boolean;
}

/**
 * Default relative gradient tolerance of {@linkcode fitLogistic}. The
 * stopping scale `max(1, C·n)` is loose for a large C: at 1e-8 the C = 100
 * case of `../shared/golden/probe.json` (n = 400) ends 1.4× the test's
 * tolerance (rtol 1e-4) away from the optimum; at 1e-9 every case is within
 * a sixth of it, for 15–25 % more iterations.
 */
export const DEFAULT_LOGISTIC_TOLERANCE = 1e-9;

/** Training data reduced to labelled rows, with class codes `0..k-1`. */
export interface LogisticData {
  /** Labelled rows `[n, d]`, float64. */
  x: Matrix;
  /** Class code per row, `0..classes.length-1`. */
  codes: Int32Array;
  /** Class ids present, ascending. */
  classes: number[];
}

/**
 * Keeps the rows of `x` whose label is not −1 and codes their labels as
 * indices into the sorted present classes.
 *
 * @throws {ShapeError} on a length mismatch or a label below −1.
 */
export function labelledRows(x: Matrix, y: Int32Array, name = "y"): LogisticData {
  if (y.length !== x.rows) {
    throw new ShapeError(`${name}: expected ${x.rows} labels (one per row), got ${y.length}`);
  }
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (y[i] < -1) throw new ShapeError(`${name}[${i}] is ${y[i]}; expected a class id or -1`);
    if (y[i] !== -1) keep.push(i);
  }
  const classes = [...new Set(keep.map((i) => y[i]))].sort((a, b) => a - b);
  const index = new Map(classes.map((c, k) => [c, k]));
  const d = x.cols, data = new Float64Array(keep.length * d);
  const codes = new Int32Array(keep.length);
  keep.forEach((r, i) => {
    data.set(x.data.subarray(r * d, (r + 1) * d), i * d);
    codes[i] = index.get(y[r])!;
  });
  return { x: { data, rows: keep.length, cols: d }, codes, classes };
}

/** Sample weights: 1, or `n / (k · n_c)` for `"balanced"`. */
function sampleWeights(data: LogisticData, classWeight: "balanced" | null): Float64Array {
  const n = data.codes.length, k = data.classes.length;
  const w = new Float64Array(n).fill(1);
  if (classWeight !== "balanced") return w;
  const counts = new Float64Array(k);
  for (const c of data.codes) counts[c]++;
  for (let i = 0; i < n; i++) w[i] = n / (k * counts[data.codes[i]]);
  return w;
}

function initialParams(init: LogisticInit | undefined, k: number, d: number): Float64Array {
  const p = new Float64Array(k * d + k);
  if (init === undefined) return p;
  if (init.coef.length !== k || init.intercept.length !== k) {
    throw new ShapeError(`init: expected coef [${k}][${d}] and intercept [${k}] (classes present)`);
  }
  init.coef.forEach((row, c) => {
    if (row.length !== d) throw new ShapeError(`init.coef[${c}]: expected ${d} values`);
    p.set(row, c * d);
  });
  p.set(init.intercept, k * d);
  return p;
}

function checkOptions(o: LogisticOptions): void {
  if (!(o.C > 0) || !Number.isFinite(o.C)) {
    throw new OptionError(`C is ${o.C}; expected a finite number > 0`);
  }
  if (o.tolerance !== undefined && !(o.tolerance > 0)) {
    throw new OptionError(`tolerance is ${o.tolerance}; expected a number > 0`);
  }
  const it = o.maxIterations;
  if (it !== undefined && (!Number.isInteger(it) || it < 0)) {
    throw new OptionError(`maxIterations is ${it}; expected an integer >= 0`);
  }
  const cw = o.classWeight;
  if (cw !== undefined && cw !== null && cw !== "balanced") {
    throw new OptionError(`classWeight is ${cw}; expected "balanced" or null`);
  }
}

/**
 * Fits the model on already-prepared labelled rows (see {@linkcode labelledRows});
 * the entry point of the cross-validation loops, which avoids re-copying `x`.
 *
 * @throws {DegenerateInputError} with fewer than 2 classes present.
 */
export function fitLogisticData(data: LogisticData, options: LogisticOptions): LogisticFit {
  checkOptions(options);
  const { C, classWeight = null, tolerance = DEFAULT_LOGISTIC_TOLERANCE, maxIterations = 1000 } =
    options;
  const k = data.classes.length, n = data.x.rows, d = data.x.cols;
  if (k < 2) {
    throw new DegenerateInputError(
      `y: expected at least 2 classes among the labelled rows, found ${k} ([${data.classes}])`,
    );
  }
  const fg = softmaxObjective({
    x: data.x.data,
    n,
    d,
    k,
    codes: data.codes,
    weights: sampleWeights(data, classWeight),
    C,
  });
  const r = minimizeLbfgs(fg, initialParams(options.init, k, d), {
    gradientTolerance: tolerance * Math.max(1, C * n),
    maxIterations,
  });
  let shift = 0;
  for (let c = 0; c < k; c++) shift += r.x[k * d + c] / k;
  return {
    classes: data.classes,
    coef: Array.from({ length: k }, (_, c) => Array.from(r.x.subarray(c * d, (c + 1) * d))),
    intercept: Array.from({ length: k }, (_, c) => r.x[k * d + c] - shift),
    objective: r.f,
    iterations: r.iterations,
    evaluations: r.evaluations,
    maxAbsGradient: r.maxAbsGradient,
    converged: r.converged,
  };
}

/**
 * Multinomial logistic regression over the classes present in `y`:
 * minimises `C · Σ_i w_i · CE_i + ½‖W‖²_F` (intercept unpenalised), with
 * `CE_i = log Σ_c exp(z_ic) − z_{i,y_i}`, `z_i = W x_i + b`, `w_i = 1` or
 * `n / (k · n_c)` (`classWeight: "balanced"`), by L-BFGS to
 * max |∇| ≤ `tolerance · max(1, C·n)`.
 *
 * Shapes: `x` `[n, d]`, `y` `[n]` (class ids; −1 rows are ignored);
 * result `coef` `[k][d]`, `intercept` `[k]` for the k ≥ 2 classes present.
 *
 * @example
 * ```ts
 * const fit = fitLogistic([[0], [1], [3], [4]], [0, 0, 1, 1], { C: 1 });
 * // fit.classes = [0, 1]; predictLogistic(fit, [[5]]) → [1]
 * ```
 * @throws {ShapeError} on mismatched lengths, labels below −1 or a wrong `init`.
 * @throws {NonFiniteError} on NaN / ±Inf in `x`.
 * @throws {DegenerateInputError} with fewer than 2 classes present.
 * @throws {OptionError} on C ≤ 0, tolerance ≤ 0, a bad iteration cap or class weight.
 */
export function fitLogistic(x: MatrixInput, y: LabelInput, options: LogisticOptions): LogisticFit {
  const labelled = toLabelledMatrix(x, y, "x", "y");
  return fitLogisticData(labelledRows(labelled.x, labelled.y), options);
}

/** Decision values `z = W x + b` `[n, k]` of a fit on already-checked rows. */
function decision(fit: LogisticFit, x: Matrix): Float64Array {
  const k = fit.classes.length, d = x.cols;
  if (fit.coef[0].length !== d) {
    throw new ShapeError(
      `x: expected ${fit.coef[0].length} columns (the fit's features), got ${d}`,
    );
  }
  const w = Float64Array.from(fit.coef.flat());
  const z = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) {
    for (let c = 0; c < k; c++) z[i * k + c] = dotAt(x.data, i * d, w, c * d, d) + fit.intercept[c];
  }
  return z;
}

/**
 * Class probabilities `softmax(W x + b)` `[n, k]` (columns in `fit.classes` order).
 *
 * @throws {ShapeError} when `x` has not the fit's number of features.
 */
export function predictProba(fit: LogisticFit, x: MatrixInput): Matrix {
  const m = toFiniteMatrix(x, "x");
  const k = fit.classes.length, z = decision(fit, m);
  for (let i = 0; i < m.rows; i++) {
    let zmax = -Infinity, sum = 0;
    for (let c = 0; c < k; c++) zmax = Math.max(zmax, z[i * k + c]);
    for (let c = 0; c < k; c++) sum += z[i * k + c] = Math.exp(z[i * k + c] - zmax);
    for (let c = 0; c < k; c++) z[i * k + c] /= sum;
  }
  return { data: z, rows: m.rows, cols: k };
}

/**
 * Predicted class ids `[n]`: the class of the largest decision value (the
 * first on a tie, as numpy's `argmax`).
 *
 * @throws {ShapeError} when `x` has not the fit's number of features.
 */
export function predictLogistic(fit: LogisticFit, x: MatrixInput): Int32Array {
  const m = toFiniteMatrix(x, "x");
  const k = fit.classes.length, z = decision(fit, m);
  const out = new Int32Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (z[i * k + c] > z[i * k + best]) best = c;
    out[i] = fit.classes[best];
  }
  return out;
}
