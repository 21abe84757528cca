/**
 * Choice of the probe's penalty strength C by grouped cross-validation over
 * training subjects / records / excerpts: no group is split between a fold's
 * training and held-out rows, each fold is standardised on its own training
 * rows, and every C is scored by balanced accuracy on the held-out groups.
 *
 * @module
 */
import { DegenerateInputError, OptionError, ShapeError } from "../errors.ts";
import { balancedAccuracy } from "./classification.ts";
import {
  fitLogisticData,
  labelledRows,
  type LogisticFit,
  predictLogistic,
} from "./logistic_regression.ts";
import { type Matrix, type MatrixInput, toLabelledMatrix, toLabels } from "./matrix.ts";
import type { LabelInput } from "./matrix.ts";
import { applyStandardisation, standardise } from "./standardise.ts";

/** Default grid of C values, searched in this order. */
export const DEFAULT_C_GRID: readonly number[] = [1e-3, 1e-2, 1e-1, 1, 10, 100];

/** Default number of inner folds. */
export const DEFAULT_INNER_FOLDS = 5;

/** Assignment of groups to folds. */
export interface GroupFolds {
  /** Fold index of each row, `[n]`. */
  fold: Int32Array;
  /** Group ids of each fold, ascending, `[folds][]`. */
  groups: number[][];
}

/**
 * Assigns groups to `min(innerFolds, #groups)` folds: the distinct group ids
 * are sorted ascending and dealt round-robin (the i-th id to fold `i mod folds`).
 * With at most `innerFolds` groups this is leave-one-group-out.
 *
 * @example
 * ```ts
 * groupFolds([7, 7, 3, 9, 5], 2).groups; // [[3, 7], [5, 9]]
 * ```
 * @throws {DegenerateInputError} with fewer than 2 distinct groups.
 * @throws {OptionError} when `innerFolds` is not an integer ≥ 2.
 */
export function groupFolds(groups: LabelInput, innerFolds = DEFAULT_INNER_FOLDS): GroupFolds {
  if (!Number.isInteger(innerFolds) || innerFolds < 2) {
    throw new OptionError(`innerFolds is ${innerFolds}; expected an integer >= 2`);
  }
  const g = toLabels(groups, "trainGroups");
  const ids = [...new Set(g)].sort((a, b) => a - b);
  if (ids.length < 2) {
    throw new DegenerateInputError(
      `trainGroups: expected at least 2 distinct groups for grouped cross-validation, found ${ids.length}`,
    );
  }
  const folds = Math.min(innerFolds, ids.length);
  const foldOf = new Map(ids.map((id, i) => [id, i % folds]));
  return {
    fold: Int32Array.from(g, (id) => foldOf.get(id)!),
    groups: Array.from({ length: folds }, (_, f) => ids.filter((_, i) => i % folds === f)),
  };
}

/** Options of {@linkcode selectCGroupedCv}. */
export interface GroupedCvOptions {
  /** Training rows `[n, d]`, not standardised (each fold standardises its own). */
  x: MatrixInput;
  /** Labels `[n]`; −1 rows are ignored. */
  y: LabelInput;
  /** Group id per row `[n]` (subject, record, excerpt). */
  groups: LabelInput;
  /** C values, searched in order with warm starts. Default {@linkcode DEFAULT_C_GRID}. */
  cGrid?: readonly number[];
  /** Number of inner folds. Default {@linkcode DEFAULT_INNER_FOLDS}. */
  innerFolds?: number;
  /** Class weighting of every fit. Default `null`. */
  classWeight?: "balanced" | null;
  /** Relative gradient tolerance of every fit (see `fitLogistic`). */
  tolerance?: number;
  /** Iteration cap of every fit. */
  maxIterations?: number;
}

/** Result of {@linkcode selectCGroupedCv}. */
export interface GroupedCvResult {
  /** The chosen C: the first grid value with the largest mean score. */
  C: number;
  /** The grid searched. */
  grid: number[];
  /** Group ids held out in each fold. */
  foldGroups: number[][];
  /** Held-out balanced accuracy, `[grid][folds]`. */
  scores: number[][];
  /** Mean over folds per grid value, `[grid]`. */
  meanScores: number[];
  /** False when any fit stopped before its gradient tolerance. */
  converged: boolean;
}

function checkGrid(grid: readonly number[]): void {
  if (grid.length === 0) throw new OptionError("cGrid: expected at least one value");
  grid.forEach((c, i) => {
    if (!(c > 0) || !Number.isFinite(c)) {
      throw new OptionError(`cGrid[${i}] is ${c}; expected a finite number > 0`);
    }
  });
}

/** Rows of `m` (and their labels) where `keep(i)`. */
function subset(m: Matrix, y: Int32Array, keep: (i: number) => boolean): [Matrix, Int32Array] {
  const rows: number[] = [];
  for (let i = 0; i < m.rows; i++) if (keep(i)) rows.push(i);
  const d = m.cols, data = new Float64Array(rows.length * d);
  rows.forEach((r, i) => data.set(m.data.subarray(r * d, (r + 1) * d), i * d));
  return [{ data, rows: rows.length, cols: d }, Int32Array.from(rows, (r) => y[r])];
}

/** Held-out balanced accuracy of each grid value on one fold, fits warm-started along the grid. */
function scoreFold(
  train: [Matrix, Int32Array],
  test: [Matrix, Int32Array],
  grid: readonly number[],
  options: GroupedCvOptions,
): { scores: number[]; converged: boolean } {
  const s = standardise(train[0], "x (fold training rows)");
  const data = labelledRows(applyStandardisation(train[0], s), train[1]);
  const testX = applyStandardisation(test[0], s);
  if (data.classes.length < 2) { // one class to learn: the constant predictor
    const pred = new Int32Array(test[1].length).fill(data.classes[0]);
    return { scores: grid.map(() => balancedAccuracy(test[1], pred)), converged: true };
  }
  let init: LogisticFit | undefined, converged = true;
  const scores = grid.map((C) => {
    init = fitLogisticData(data, {
      C,
      classWeight: options.classWeight,
      tolerance: options.tolerance,
      maxIterations: options.maxIterations,
      init,
    });
    converged &&= init.converged;
    return balancedAccuracy(test[1], predictLogistic(init, testX));
  });
  return { scores, converged };
}

/**
 * Grouped inner cross-validation of C for the multinomial logistic probe.
 * Groups are dealt to folds by {@linkcode groupFolds} (leave-one-group-out
 * when there are at most `innerFolds` groups). In each fold: standardise on
 * the training groups' labelled rows, fit every C of the grid in order (each
 * fit warm-started from the previous one), predict the held-out labelled rows
 * and score them by balanced accuracy (mean recall over the classes present
 * in the held-out rows). The chosen C is the first grid value whose mean over
 * folds is largest. A fold whose training rows hold one class predicts that
 * class.
 *
 * @example
 * ```ts
 * const cv = selectCGroupedCv({ x, y, groups: subjectOfRow, innerFolds: 4 });
 * cv.C; // e.g. 0.1
 * ```
 * @throws {ShapeError} when `x`, `y` and `groups` differ in length.
 * @throws {DegenerateInputError} with fewer than 2 groups among the labelled rows.
 * @throws {OptionError} on an empty or non-positive grid or a bad `innerFolds`.
 */
export function selectCGroupedCv(options: GroupedCvOptions): GroupedCvResult {
  const grid = [...(options.cGrid ?? DEFAULT_C_GRID)];
  checkGrid(grid);
  const { x: m, y: yAll } = toLabelledMatrix(options.x, options.y, "x", "y");
  const gAll = toLabels(options.groups, "trainGroups", m.rows);
  if (yAll.some((v) => v < -1)) throw new ShapeError("y: expected class ids or -1");
  const [x, y] = subset(m, yAll, (i) => yAll[i] !== -1);
  const groups = gAll.filter((_, i) => yAll[i] !== -1);
  const folds = groupFolds(groups, options.innerFolds);
  const perFold = folds.groups.map((_, f) =>
    scoreFold(
      subset(x, y, (i) => folds.fold[i] !== f),
      subset(x, y, (i) => folds.fold[i] === f),
      grid,
      options,
    )
  );
  const scores = grid.map((_, c) => perFold.map((r) => r.scores[c]));
  const meanScores = scores.map((row) => row.reduce((s, v) => s + v, 0) / row.length);
  let best = 0;
  for (let c = 1; c < grid.length; c++) if (meanScores[c] > meanScores[best]) best = c;
  return {
    C: grid[best],
    grid,
    foldGroups: folds.groups,
    scores,
    meanScores,
    converged: perFold.every((r) => r.converged),
  };
}
