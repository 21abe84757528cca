/**
 * Internal cluster-validity indices (Davies–Bouldin, Calinski–Harabasz,
 * silhouette) of an embedding `x: [n, d]` under a labelling `labels: [n]`,
 * with sklearn's definitions, Euclidean distances, float64.
 *
 * Unlike sklearn, degenerate inputs are errors, never a flattering number
 * (spec D6):
 *
 * | input                                   | error                  |
 * |-----------------------------------------|------------------------|
 * | NaN / ±Inf in `x`                       | `NonFiniteError`       |
 * | `labels.length ≠ n`                     | `ShapeError`           |
 * | fewer than 2 or more than n−1 labels    | `DegenerateInputError` |
 * | all rows of `x` identical               | `DegenerateInputError` |
 * | DBI: two coincident centroids           | `DegenerateInputError` |
 * | CHI: zero within-cluster dispersion     | `DegenerateInputError` |
 * | silhouette: a point with a = b = 0      | `DegenerateInputError` |
 *
 * Written by hand: the formulas are short, and they must follow sklearn's
 * conventions exactly (checked against its outputs to 1e-9) while rejecting
 * the degenerate cases sklearn scores.
 *
 * @module
 */
import { DegenerateInputError } from "../errors.ts";
import { residentRows } from "./dots_wasm.ts";
import {
  countDistinctRows,
  encodeLabels,
  type LabelInput,
  type Matrix,
  type MatrixInput,
  toLabelledMatrix,
} from "./matrix.ts";

/** A validated clustering problem: data, dense label codes and cluster sizes. */
interface Clustering {
  x: Matrix;
  codes: Int32Array;
  nClusters: number;
  sizes: Float64Array;
}

function prepare(x: MatrixInput, labels: LabelInput, fn: string): Clustering {
  const { x: m, y } = toLabelledMatrix(x, labels, `${fn}: x`, `${fn}: labels`);
  const { codes, classes } = encodeLabels(y);
  const nClusters = classes.length;
  if (nClusters < 2 || nClusters > m.rows - 1) {
    throw new DegenerateInputError(
      `${fn}: number of labels is ${nClusters}; expected 2 to n_samples - 1 = ${m.rows - 1}`,
    );
  }
  if (countDistinctRows(m) === 1) {
    throw new DegenerateInputError(`${fn}: all ${m.rows} points are identical`);
  }
  const sizes = new Float64Array(nClusters);
  for (const c of codes) sizes[c]++;
  return { x: m, codes, nClusters, sizes };
}

/** Cluster means, `[nClusters, d]` row-major. */
function centroidsOf({ x, codes, nClusters, sizes }: Clustering): Float64Array {
  const { data, rows, cols } = x;
  const c = new Float64Array(nClusters * cols);
  for (let i = 0; i < rows; i++) {
    const o = codes[i] * cols;
    for (let j = 0; j < cols; j++) c[o + j] += data[i * cols + j];
  }
  for (let k = 0; k < nClusters; k++) {
    for (let j = 0; j < cols; j++) c[k * cols + j] /= sizes[k];
  }
  return c;
}

/** Column means of the first `rows` rows of `data` (row-major, `cols` wide), summed in row order. */
function columnMeans(data: Float64Array, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) mean[j] += data[i * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  return mean;
}

function squaredDistance(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  d: number,
): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = a[ao + j] - b[bo + j];
    s += t * t;
  }
  return s;
}

/**
 * Davies–Bouldin index (lower is better):
 * `DBI = (1/K) Σ_k max_{l≠k} (s_k + s_l) / ‖μ_k − μ_l‖`, where `s_k` is the mean
 * distance of cluster k's points to its centroid `μ_k`.
 *
 * @param x embeddings `[n, d]`
 * @param labels cluster ids `[n]`
 * @throws {NonFiniteError | ShapeError | DegenerateInputError} see the module table.
 */
export function daviesBouldin(x: MatrixInput, labels: LabelInput): number {
  const cl = prepare(x, labels, "daviesBouldin");
  const { data, rows, cols } = cl.x;
  const K = cl.nClusters;
  const mu = centroidsOf(cl);
  const spread = new Float64Array(K);
  for (let i = 0; i < rows; i++) {
    spread[cl.codes[i]] += Math.sqrt(squaredDistance(data, i * cols, mu, cl.codes[i] * cols, cols));
  }
  for (let k = 0; k < K; k++) spread[k] /= cl.sizes[k];
  if (spread.every((s) => s === 0)) {
    throw new DegenerateInputError("daviesBouldin: every cluster has zero spread");
  }
  let total = 0;
  for (let k = 0; k < K; k++) {
    let worst = -Infinity;
    for (let l = 0; l < K; l++) {
      if (l === k) continue;
      const sep = Math.sqrt(squaredDistance(mu, k * cols, mu, l * cols, cols));
      if (sep === 0) {
        throw new DegenerateInputError(
          `daviesBouldin: clusters ${k} and ${l} have the same centroid`,
        );
      }
      worst = Math.max(worst, (spread[k] + spread[l]) / sep);
    }
    total += worst;
  }
  return total / K;
}

/**
 * Calinski–Harabasz index (higher is better):
 * `CHI = [B / (K − 1)] / [W / (n − K)]`, with between-cluster dispersion
 * `B = Σ_k n_k ‖μ_k − μ‖²` and within-cluster dispersion `W = Σ_i ‖x_i − μ_{c(i)}‖²`.
 *
 * @param x embeddings `[n, d]`
 * @param labels cluster ids `[n]`
 * @throws {NonFiniteError | ShapeError | DegenerateInputError} see the module table.
 */
export function calinskiHarabasz(x: MatrixInput, labels: LabelInput): number {
  const cl = prepare(x, labels, "calinskiHarabasz");
  const { data, rows, cols } = cl.x;
  const K = cl.nClusters;
  const mu = centroidsOf(cl);
  const mean = columnMeans(data, rows, cols);
  let between = 0, within = 0;
  for (let k = 0; k < K; k++) between += cl.sizes[k] * squaredDistance(mu, k * cols, mean, 0, cols);
  for (let i = 0; i < rows; i++) {
    within += squaredDistance(data, i * cols, mu, cl.codes[i] * cols, cols);
  }
  if (within === 0) {
    throw new DegenerateInputError("calinskiHarabasz: within-cluster dispersion is 0");
  }
  return (between * (rows - K)) / (within * (K - 1));
}

/** Rows per tile of the blocked distance computation (a tile of 64 × 320 float64 is 160 KiB). */
const TILE = 64;

/**
 * Sums of Euclidean distances from every point to every cluster,
 * `out[i * K + k] = Σ_{j: c(j)=k} ‖x_i − x_j‖`, without materialising the
 * `n × n` distance matrix: the upper triangle is walked tile by tile with a
 * 4 × 2 register-blocked dot product, `‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b` on
 * column-centred data (as sklearn's `euclidean_distances`, clamped at 0).
 */
function distanceSumsPerCluster(cl: Clustering): Float64Array {
  const { rows: n, cols: d } = cl.x;
  const K = cl.nClusters;
  const codes = cl.codes;
  // Centre the columns (distances are unchanged, cancellation is smaller) and
  // pad to a multiple of 4 rows so that the kernel always takes whole blocks.
  const nPad = Math.ceil(n / 4) * 4;
  const x = new Float64Array(nPad * d);
  x.set(cl.x.data);
  const mean = columnMeans(x, n, d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) x[i * d + t] -= mean[t];
  const sq = new Float64Array(nPad);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] * x[i * d + t];
    sq[i] = s;
  }
  const out = new Float64Array(n * K);
  const add = (i: number, j: number, dot: number): void => {
    if (j <= i || j >= n) return; // lower triangle, diagonal or padding
    const dist = Math.sqrt(Math.max(0, sq[i] + sq[j] - 2 * dot));
    out[i * K + codes[j]] += dist;
    out[j * K + codes[i]] += dist;
  };
  const resident = residentRows(x, nPad, d, 0, TILE * TILE);
  for (let bi = 0; bi < nPad; bi += TILE) {
    const rows = Math.min(TILE, nPad - bi);
    for (let bj = bi; bj < nPad; bj += TILE) {
      const cols = Math.min(TILE, nPad - bj);
      // rows and cols are multiples of 4 (nPad and TILE are), as the kernel needs
      const { out: tile, stride } = resident.dotsWithin(bi, rows, bj, cols);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < cols; j++) add(bi + i, bj + j, tile[i * stride + j]);
      }
    }
  }
  return out;
}

/**
 * Mean silhouette coefficient over all samples (higher is better):
 * `s_i = (b_i − a_i) / max(a_i, b_i)`, with `a_i` the mean distance to the
 * other members of i's cluster and `b_i` the smallest mean distance to another
 * cluster; `s_i = 0` for a singleton cluster (sklearn's convention).
 * Cost `O(n² d)` time and `O(n K)` memory.
 *
 * @param x embeddings `[n, d]`
 * @param labels cluster ids `[n]`
 * @throws {NonFiniteError | ShapeError | DegenerateInputError} see the module table.
 */
export function silhouette(x: MatrixInput, labels: LabelInput): number {
  const cl = prepare(x, labels, "silhouette");
  const n = cl.x.rows, K = cl.nClusters;
  const sums = distanceSumsPerCluster(cl);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = cl.codes[i];
    if (cl.sizes[own] === 1) continue;
    const a = sums[i * K + own] / (cl.sizes[own] - 1);
    let b = Infinity;
    for (let k = 0; k < K; k++) if (k !== own) b = Math.min(b, sums[i * K + k] / cl.sizes[k]);
    const denom = Math.max(a, b);
    if (denom === 0) {
      throw new DegenerateInputError(
        `silhouette: point ${i} has zero distance to its own and to its nearest other cluster`,
      );
    }
    total += (b - a) / denom;
  }
  return total / n;
}
