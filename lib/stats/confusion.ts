/**
 * Scores from a confusion matrix or a contingency table, so that a metric can
 * be recomputed from per-group counts summed with bootstrap weights instead of
 * from the frames themselves.
 *
 * A confusion matrix is `[K][K]` counts, rows the true class and columns the
 * predicted class, every group of a run indexed by the same `K` classes (a
 * group lacking a class has a zero row). The scores follow scikit-learn's
 * conventions and agree exactly (same operations in the same order) with
 * `lib/metrics` computed on the frames' labels:
 * - a class takes part in balanced accuracy when its row has support > 0;
 * - a class takes part in macro-F1 when it occurs among the true or the
 *   predicted labels (row or column sum > 0), with `zero_division=0`.
 *
 * @module
 */
import { DegenerateInputError, NonFiniteError, ShapeError } from "../errors.ts";

/** Counts `[rows][cols]` (a confusion matrix or a contingency table). */
export type CountTable = readonly (readonly number[])[];

/**
 * Checks that `table` is a non-empty rectangular table of finite, non-negative
 * counts (square when `square`) and that its total is positive.
 *
 * @throws {ShapeError} empty, ragged or (when `square`) non-square tables.
 * @throws {NonFiniteError} NaN or ±Infinity in a cell.
 * @throws {DegenerateInputError} negative counts or a total of 0.
 */
export function checkCountTable(table: CountTable, name: string, square: boolean): void {
  const rows = table.length;
  if (rows === 0) throw new ShapeError(`${name}: expected at least one row, found none`);
  const cols = table[0].length;
  if (cols === 0) throw new ShapeError(`${name}: expected at least one column, found none`);
  if (square && cols !== rows) {
    throw new ShapeError(`${name}: expected a square [K][K] matrix, found ${rows}×${cols}`);
  }
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = table[i];
    if (row.length !== cols) {
      throw new ShapeError(`${name}: row ${i} has ${row.length} columns, expected ${cols}`);
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (!Number.isFinite(v)) {
        throw new NonFiniteError(`${name}: cell [${i}][${j}]: expected a finite count, found ${v}`);
      }
      if (v < 0) {
        throw new DegenerateInputError(
          `${name}: cell [${i}][${j}]: expected a count ≥ 0, found ${v}`,
        );
      }
      total += v;
    }
  }
  if (total === 0) throw new DegenerateInputError(`${name}: expected a positive total, found 0`);
}

function rowSum(row: readonly number[]): number {
  let s = 0;
  for (const v of row) s += v;
  return s;
}

function colSum(table: CountTable, j: number): number {
  let s = 0;
  for (const row of table) s += row[j];
  return s;
}

/**
 * Fraction of frames on the diagonal: `Σ_k C[k][k] / Σ_{i,j} C[i][j]`.
 *
 * @param confusion `[K][K]` counts, rows true, columns predicted
 * @throws {ShapeError | NonFiniteError | DegenerateInputError} see {@linkcode checkCountTable}.
 * @example
 * ```ts
 * accuracyFromConfusion([[3, 1], [0, 4]]); // 7 / 8
 * ```
 */
export function accuracyFromConfusion(confusion: CountTable): number {
  checkCountTable(confusion, "accuracyFromConfusion: confusion", true);
  let hits = 0, total = 0;
  for (let k = 0; k < confusion.length; k++) {
    hits += confusion[k][k];
    total += rowSum(confusion[k]);
  }
  return hits / total;
}

/**
 * Recall of every class, `C[k][k] / Σ_j C[k][j]`, and `null` for a class
 * without support (its recall is undefined, not 0), as `perClassRecall` of
 * `lib/metrics` on the frames.
 *
 * @param confusion `[K][K]` counts, rows true, columns predicted
 * @returns `[K]` recalls in the matrix's class order
 * @throws {ShapeError | NonFiniteError | DegenerateInputError} see {@linkcode checkCountTable}.
 * @example
 * ```ts
 * perClassRecallFromConfusion([[3, 1, 0], [0, 4, 0], [0, 1, 0]]); // [0.75, 1, 0]
 * perClassRecallFromConfusion([[3, 1, 0], [0, 4, 0], [0, 0, 0]]); // [0.75, 1, null]
 * ```
 */
export function perClassRecallFromConfusion(confusion: CountTable): (number | null)[] {
  checkCountTable(confusion, "perClassRecallFromConfusion: confusion", true);
  return confusion.map((row, k) => {
    const support = rowSum(row);
    return support === 0 ? null : row[k] / support;
  });
}

/**
 * Balanced accuracy, the mean recall over the classes with support:
 * `BA = (1 / |S|) Σ_{k ∈ S} C[k][k] / Σ_j C[k][j]`, `S = {k : Σ_j C[k][j] > 0}`
 * (sklearn's `balanced_accuracy_score`, `adjusted=False`: a class that is only
 * predicted does not count).
 *
 * @param confusion `[K][K]` counts, rows true, columns predicted
 * @throws {ShapeError | NonFiniteError | DegenerateInputError} see {@linkcode checkCountTable}.
 * @example
 * ```ts
 * // class 0: 3 of 4 recalled; class 1: 4 of 4; class 2 only predicted
 * balancedAccuracyFromConfusion([[3, 0, 1], [0, 4, 0], [0, 0, 0]]); // (0.75 + 1) / 2
 * ```
 */
export function balancedAccuracyFromConfusion(confusion: CountTable): number {
  checkCountTable(confusion, "balancedAccuracyFromConfusion: confusion", true);
  let sum = 0, present = 0;
  for (let k = 0; k < confusion.length; k++) {
    const support = rowSum(confusion[k]);
    if (support > 0) {
      sum += confusion[k][k] / support;
      present++;
    }
  }
  return sum / present;
}

/**
 * Macro-F1 over the classes that occur as a true or a predicted label:
 * `F1 = (1 / |L|) Σ_{k ∈ L} 2 P_k R_k / (P_k + R_k)` with
 * `P_k = C[k][k] / Σ_i C[i][k]`, `R_k = C[k][k] / Σ_j C[k][j]`, each 0 on a
 * 0/0 and `F1_k = 0` when `P_k + R_k = 0`; `L = {k : row or column sum > 0}`
 * (sklearn's `f1_score(average="macro", zero_division=0)` on the labels).
 *
 * @param confusion `[K][K]` counts, rows true, columns predicted
 * @throws {ShapeError | NonFiniteError | DegenerateInputError} see {@linkcode checkCountTable}.
 * @example
 * ```ts
 * // class 0: P = 1, R = 0.5; class 1: P = 2/3, R = 1
 * macroF1FromConfusion([[2, 2], [0, 4]]); // (2/3 + 0.8) / 2
 * ```
 */
export function macroF1FromConfusion(confusion: CountTable): number {
  checkCountTable(confusion, "macroF1FromConfusion: confusion", true);
  let sum = 0, present = 0;
  for (let k = 0; k < confusion.length; k++) {
    const support = rowSum(confusion[k]), predicted = colSum(confusion, k);
    if (support === 0 && predicted === 0) continue;
    const tp = confusion[k][k];
    const precision = predicted === 0 ? 0 : tp / predicted;
    const recall = support === 0 ? 0 : tp / support;
    const denom = precision + recall;
    sum += denom === 0 ? 0 : (2 * precision * recall) / denom;
    present++;
  }
  return sum / present;
}

function entropy(sizes: number[], n: number): number {
  if (sizes.length === 1) return 0;
  let h = 0;
  for (const s of sizes) h -= (s / n) * (Math.log(s) - Math.log(n));
  return h;
}

/**
 * Normalised mutual information of the two labellings a contingency table
 * counts (rows: true labels, columns: clusters), arithmetic normalisation
 * (sklearn's `normalized_mutual_info_score` default), natural logs:
 * `NMI = I(A; B) / ((H(A) + H(B)) / 2)`,
 * `I = Σ_{ij} (n_ij / n) log(n n_ij / (a_i b_j))`. Empty rows and columns are
 * dropped first; both labellings constant gives 1, one constant gives 0 (the
 * limits, as sklearn).
 *
 * Counts must be integers for the result to equal the frame-level NMI, which
 * holds for tables summed with bootstrap weights.
 *
 * @param table `[classes][clusters]` counts
 * @throws {ShapeError | NonFiniteError | DegenerateInputError} see {@linkcode checkCountTable}.
 * @example
 * ```ts
 * nmiFromContingency([[5, 0], [0, 5]]); // 1
 * nmiFromContingency([[2, 2], [2, 2]]); // 0
 * ```
 */
export function nmiFromContingency(table: CountTable): number {
  checkCountTable(table, "nmiFromContingency: table", false);
  const rows = table.map(rowSum).map((s, i) => [s, i]).filter(([s]) => s > 0).map(([, i]) => i);
  const cols = table[0].map((_, j) => j).filter((j) => colSum(table, j) > 0);
  if (rows.length === 1 && cols.length === 1) return 1;
  if (rows.length === 1 || cols.length === 1) return 0;
  // The operations and their order follow lib/metrics/agreement.ts (`nmi`) so
  // that the two agree to the last bit on the same frames.
  const rowSums = rows.map(() => 0), colSums = cols.map(() => 0);
  const cells: { a: number; b: number; count: number }[] = [];
  rows.forEach((i, a) =>
    cols.forEach((j, b) => {
      const count = table[i][j];
      if (count === 0) return;
      cells.push({ a, b, count });
      rowSums[a] += count;
      colSums[b] += count;
    })
  );
  let n = 0;
  for (const s of rowSums) n += s;
  const logN = Math.log(n);
  let mi = 0;
  for (const { a, b, count } of cells) {
    const p = count / n;
    const term = p * (Math.log(count) - logN) +
      p * (-Math.log(rowSums[a] * colSums[b]) + logN + logN);
    if (Math.abs(term) >= Number.EPSILON) mi += term;
  }
  mi = Math.max(mi, 0);
  if (mi < Number.EPSILON) return 0;
  return mi / ((entropy(rowSums, n) + entropy(colSums, n)) / 2);
}

/**
 * `Σ_g w_g T_g` of equally shaped count tables (`w_g = 1` when `weights` is
 * omitted), into a fresh table.
 *
 * @throws {ShapeError} no tables, tables of different shapes, or a weight
 *   count that differs from the table count.
 */
export function sumTables(tables: readonly CountTable[], weights?: ArrayLike<number>): number[][] {
  if (tables.length === 0) throw new ShapeError("sumTables: expected at least one table");
  if (weights !== undefined && weights.length !== tables.length) {
    throw new ShapeError(
      `sumTables: expected ${tables.length} weights, one per table, found ${weights.length}`,
    );
  }
  const rows = tables[0].length, cols = rows === 0 ? 0 : tables[0][0].length;
  const out = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  tables.forEach((t, g) => {
    const w = weights === undefined ? 1 : weights[g];
    if (t.length !== rows || t.some((row) => row.length !== cols)) {
      throw new ShapeError(`sumTables: table ${g}: expected ${rows}×${cols} like table 0`);
    }
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i][j] += w * t[i][j];
  });
  return out;
}
