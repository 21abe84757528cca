/**
 * Input coercion for the metrics: every matrix becomes a dense row-major
 * float64 {@linkcode Matrix}, every label vector an `Int32Array`, and bad
 * shapes or non-finite values become typed errors naming the argument.
 *
 * @module
 */
import { NonFiniteError, ShapeError } from "../errors.ts";
import type { Tensor2D } from "../tf.ts";
import { dataSyncOrThrow } from "../backend.ts";

/** A dense row-major matrix: element (i, j) is `data[i * cols + j]`. */
export interface DenseMatrix {
  /** `rows * cols` values, row-major. */
  data: Float32Array | Float64Array;
  /** Number of rows (samples). */
  rows: number;
  /** Number of columns (features). */
  cols: number;
}

/** A float64 dense matrix, the internal form of every metric input. */
export interface Matrix extends DenseMatrix {
  data: Float64Array;
}

/** Accepted matrix inputs, `[rows, cols]`: nested arrays, a 2-D tensor or a dense buffer. */
export type MatrixInput = readonly (readonly number[])[] | Tensor2D | DenseMatrix;

/** Accepted label vectors (integer ids). */
export type LabelInput = ArrayLike<number>;

function isDense(x: MatrixInput): x is DenseMatrix {
  return !Array.isArray(x) && "data" in x && "rows" in x && "cols" in x;
}

/**
 * Copies `x` into a float64 row-major {@linkcode Matrix}.
 * A tensor is read synchronously, which the webgpu backend cannot do under Deno
 * (`BackendError`): pass an array there.
 *
 * @throws {ShapeError} ragged rows, a buffer whose length is not `rows * cols`,
 *   a tensor that is not 2-D, or an empty matrix.
 */
export function toMatrix(x: MatrixInput, name = "x"): Matrix {
  let out: Matrix;
  if (Array.isArray(x)) {
    const rows = x.length;
    const cols = rows === 0 ? 0 : x[0].length;
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i];
      if (row.length !== cols) {
        throw new ShapeError(`${name}: row ${i} has ${row.length} columns, expected ${cols}`);
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = row[j];
    }
    out = { data, rows, cols };
  } else if (isDense(x as MatrixInput)) {
    const { data, rows, cols } = x as DenseMatrix;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || data.length !== rows * cols) {
      throw new ShapeError(
        `${name}: buffer of length ${data.length} does not hold ${rows} x ${cols} values`,
      );
    }
    out = { data: Float64Array.from(data), rows, cols };
  } else {
    const t = x as Tensor2D;
    if (t.rank !== 2) {
      throw new ShapeError(`${name}: expected a 2-D tensor, got shape [${t.shape}]`);
    }
    out = { data: Float64Array.from(dataSyncOrThrow(t, name)), rows: t.shape[0], cols: t.shape[1] };
  }
  if (out.rows === 0 || out.cols === 0) {
    throw new ShapeError(`${name}: expected a non-empty matrix, got ${out.rows} x ${out.cols}`);
  }
  return out;
}

/** True when every value of `m` is finite. */
export function allFinite(m: Matrix): boolean {
  const d = m.data;
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return false;
  return true;
}

/**
 * Throws unless every value of `m` is finite.
 *
 * @throws {NonFiniteError} naming the first non-finite entry.
 */
export function assertFinite(m: Matrix, name = "x"): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      const r = Math.floor(i / m.cols), c = i % m.cols;
      throw new NonFiniteError(`${name}[${r}][${c}] is ${d[i]}; expected finite values`);
    }
  }
}

/** {@linkcode toMatrix} followed by {@linkcode assertFinite}. */
export function toFiniteMatrix(x: MatrixInput, name = "x"): Matrix {
  const m = toMatrix(x, name);
  assertFinite(m, name);
  return m;
}

/**
 * Copies integer labels into an `Int32Array`.
 *
 * @throws {ShapeError} when `length` is given and differs, or a label is not an integer.
 */
export function toLabels(labels: LabelInput, name = "labels", length?: number): Int32Array {
  if (length !== undefined && labels.length !== length) {
    throw new ShapeError(`${name}: expected ${length} labels, got ${labels.length}`);
  }
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isInteger(v)) throw new ShapeError(`${name}[${i}] is ${v}; expected an integer`);
    out[i] = v;
  }
  return out;
}

/** A finite matrix and one integer label per row (see {@linkcode toLabelledMatrix}). */
export interface LabelledMatrix {
  x: Matrix;
  /** `[x.rows]`. */
  y: Int32Array;
}

/**
 * {@linkcode toFiniteMatrix} of `x` (named `xName`) and {@linkcode toLabels}
 * of `labels` (named `yName`), which must hold one label per row.
 *
 * @throws {NonFiniteError} on NaN / ±Inf in `x`
 * @throws {ShapeError} on a ragged `x`, a label count other than its rows, or a non-integer label
 * @example
 * ```ts
 * import { toLabelledMatrix } from "./matrix.ts";
 * const { x, y } = toLabelledMatrix([[0, 1], [2, 3]], [1, 0], "x", "y");
 * // x.rows === 2, y: Int32Array [1, 0]
 * ```
 */
export function toLabelledMatrix(
  x: MatrixInput,
  labels: LabelInput,
  xName: string,
  yName: string,
): LabelledMatrix {
  const m = toFiniteMatrix(x, xName);
  return { x: m, y: toLabels(labels, yName, m.rows) };
}

/** Labels re-coded as `0..classes.length-1` in the order of the sorted distinct ids. */
export interface EncodedLabels {
  /** `codes[i]` is the index of `labels[i]` in `classes`. */
  codes: Int32Array;
  /** The distinct label ids, ascending. */
  classes: number[];
}

/** Re-codes label ids as dense indices (sklearn's `LabelEncoder`). */
export function encodeLabels(labels: Int32Array): EncodedLabels {
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  const index = new Map(classes.map((c, i) => [c, i]));
  const codes = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) codes[i] = index.get(labels[i])!;
  return { codes, classes };
}

/**
 * Number of distinct rows of `m` (exact equality; `-0` equals `0`).
 * Rows are bucketed by a hash of their bits and compared exactly within a bucket.
 */
export function countDistinctRows(m: Matrix): number {
  const { data, rows, cols } = m;
  const bits = new Uint32Array(2);
  const cell = new Float64Array(bits.buffer);
  const buckets = new Map<number, number[]>();
  const sameRow = (a: number, b: number): boolean => {
    for (let j = 0; j < cols; j++) if (data[a * cols + j] !== data[b * cols + j]) return false;
    return true;
  };
  let distinct = 0;
  for (let i = 0; i < rows; i++) {
    let h = 0x811c9dc5;
    for (let j = 0; j < cols; j++) {
      cell[0] = data[i * cols + j] + 0; // + 0 maps -0 to 0
      h = Math.imul(h ^ bits[0], 0x01000193);
      h = Math.imul(h ^ bits[1], 0x01000193);
    }
    const bucket = buckets.get(h);
    if (bucket === undefined) {
      buckets.set(h, [i]);
      distinct++;
    } else if (!bucket.some((r) => sameRow(r, i))) {
      bucket.push(i);
      distinct++;
    }
  }
  return distinct;
}
