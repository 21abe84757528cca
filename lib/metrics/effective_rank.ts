/**
 * Effective rank of an embedding matrix (Roy & Vetterli, 2007).
 *
 * Singular values are computed by a Householder QR followed by one-sided
 * (Hestenes) Jacobi on the triangular factor, in float64. Written by hand
 * because no maintained TypeScript package offers a float64 SVD, and the
 * eigenvalues of the Gram matrix `XᵀX` would lose the small singular values
 * that matter for a collapsed embedding (√ε relative accuracy at best).
 *
 * @module
 */
import { type MatrixInput, toFiniteMatrix } from "./matrix.ts";

/**
 * Applies the reflector `v` (column `j` of `a`, from row `j`) to columns
 * `c..c+3`: `a_c −= (2 v·a_c / ‖v‖²) v`. The four dot products run as four
 * independent sums in one pass, each the same sequential sum over i as one
 * column at a time, so the result is bit for bit the same at about three
 * times the speed (one sum alone waits on the latency of each addition).
 */
function reflectFour(a: Float64Array, rows: number, j: number, c: number, vNorm2: number): void {
  const o = j * rows, o0 = c * rows, o1 = o0 + rows, o2 = o1 + rows, o3 = o2 + rows;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let i = j; i < rows; i++) {
    const v = a[o + i];
    s0 += v * a[o0 + i];
    s1 += v * a[o1 + i];
    s2 += v * a[o2 + i];
    s3 += v * a[o3 + i];
  }
  const f0 = (2 * s0) / vNorm2, f1 = (2 * s1) / vNorm2;
  const f2 = (2 * s2) / vNorm2, f3 = (2 * s3) / vNorm2;
  for (let i = j; i < rows; i++) {
    const v = a[o + i];
    a[o0 + i] -= f0 * v;
    a[o1 + i] -= f1 * v;
    a[o2 + i] -= f2 * v;
    a[o3 + i] -= f3 * v;
  }
}

/**
 * Householder QR of a column-major `rows × cols` matrix (`rows ≥ cols`),
 * in place; returns `R` (`cols × cols`) column-major.
 */
function triangularFactor(a: Float64Array, rows: number, cols: number): Float64Array {
  for (let j = 0; j < cols; j++) {
    const o = j * rows;
    let norm2 = 0;
    for (let i = j; i < rows; i++) norm2 += a[o + i] * a[o + i];
    if (norm2 === 0) continue;
    const head = a[o + j];
    const alpha = head > 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    // v = a[j:, j] − alpha e₁, ‖v‖² = ‖a‖² − 2 alpha head + alpha².
    a[o + j] = head - alpha;
    const vNorm2 = norm2 - 2 * alpha * head + alpha * alpha;
    let c = j + 1;
    for (; c + 3 < cols; c += 4) reflectFour(a, rows, j, c, vNorm2);
    for (; c < cols; c++) {
      const oc = c * rows;
      let s = 0;
      for (let i = j; i < rows; i++) s += a[o + i] * a[oc + i];
      const f = (2 * s) / vNorm2;
      for (let i = j; i < rows; i++) a[oc + i] -= f * a[o + i];
    }
    a[o + j] = alpha;
  }
  const r = new Float64Array(cols * cols);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i <= c; i++) r[c * cols + i] = a[c * rows + i];
  }
  return r;
}

/**
 * The sums `α, β, γ` of the pair (p, q) (column offsets `op`, `oq`) into
 * `out[0..2]`, and those of (p, q + 1) into `out[3..5]` when `on ≥ 0` (the
 * offset of column q + 1): one pass, five independent sums, each the same
 * sequential sum over i as a pass of its own.
 */
function pairSums(
  u: Float64Array,
  n: number,
  op: number,
  oq: number,
  on: number,
  out: Float64Array,
) {
  let alpha = 0, beta = 0, gamma = 0, beta2 = 0, gamma2 = 0;
  if (on < 0) {
    for (let i = 0; i < n; i++) {
      const x = u[op + i], y = u[oq + i];
      alpha += x * x;
      beta += y * y;
      gamma += x * y;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const x = u[op + i], y = u[oq + i], z = u[on + i];
      alpha += x * x;
      beta += y * y;
      gamma += x * y;
      beta2 += z * z;
      gamma2 += x * z;
    }
  }
  out[0] = out[3] = alpha;
  out[1] = beta;
  out[2] = gamma;
  out[4] = beta2;
  out[5] = gamma2;
}

/**
 * The pairs (p, q), q = p+1..n−1, of one sweep, in order; returns whether
 * any was rotated. Bit for bit the rotations of computing each pair's sums
 * in a pass of its own, rotating, then moving on, with the latency of those
 * sums hidden: a pair's sums come with the previous pair's, computed
 * alongside them when that pair is not rotated (column p is then unchanged)
 * or inside its rotation loop from the rotated column p (as a later pass
 * would read it back) when it is.
 */
function jacobiRow(u: Float64Array, n: number, p: number): boolean {
  const op = p * n, sums = new Float64Array(6);
  let rotated = false, pending = false;
  for (let q = p + 1; q < n; q++) {
    const oq = q * n, on = q + 1 < n ? oq + n : -1;
    let hasNext = false;
    if (pending) sums.copyWithin(0, 3, 6);
    else {
      pairSums(u, n, op, oq, on, sums);
      hasNext = on >= 0;
    }
    const alpha = sums[0], beta = sums[1], gamma = sums[2];
    if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) {
      pending = hasNext;
      continue;
    }
    rotated = true;
    const zeta = (beta - alpha) / (2 * gamma);
    const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
    const c = 1 / Math.sqrt(1 + t * t), s = c * t;
    if (on < 0) {
      for (let i = 0; i < n; i++) {
        const x = u[op + i], y = u[oq + i];
        u[op + i] = c * x - s * y;
        u[oq + i] = s * x + c * y;
      }
      pending = false;
      continue;
    }
    let alpha2 = 0, beta2 = 0, gamma2 = 0;
    for (let i = 0; i < n; i++) {
      const x = u[op + i], y = u[oq + i], z = u[on + i];
      const xr = c * x - s * y;
      u[op + i] = xr;
      u[oq + i] = s * x + c * y;
      alpha2 += xr * xr;
      beta2 += z * z;
      gamma2 += xr * z;
    }
    sums[3] = alpha2;
    sums[4] = beta2;
    sums[5] = gamma2;
    pending = true;
  }
  return rotated;
}

/**
 * Singular values of a column-major square matrix by one-sided Jacobi
 * rotations (unsorted): cyclic sweeps over the column pairs (p, q), p < q,
 * each rotated to orthogonality unless `|γ| ≤ 1e-15 √(αβ)`
 * (`α = ‖u_p‖²`, `β = ‖u_q‖²`, `γ = u_p·u_q`), until a sweep rotates none.
 */
function jacobiSingularValues(u: Float64Array, n: number): Float64Array {
  const maxSweeps = 60;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) rotated = jacobiRow(u, n, p) || rotated;
    if (!rotated) break;
  }
  const sigma = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += u[j * n + i] * u[j * n + i];
    sigma[j] = Math.sqrt(s);
  }
  return sigma;
}

/**
 * Singular values of `x: [n, d]` (`min(n, d)` values, descending).
 *
 * @throws {NonFiniteError} on NaN / ±Inf. @throws {ShapeError} on a bad shape.
 */
export function singularValues(x: MatrixInput): Float64Array {
  const m = toFiniteMatrix(x, "singularValues: x");
  // Work on the tall orientation: columns of length `tall`, `wide` of them.
  const transpose = m.rows < m.cols;
  const tall = transpose ? m.cols : m.rows, wide = transpose ? m.rows : m.cols;
  const a = new Float64Array(tall * wide);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.data[i * m.cols + j];
      if (transpose) a[i * tall + j] = v;
      else a[j * tall + i] = v;
    }
  }
  const sigma = jacobiSingularValues(triangularFactor(a, tall, wide), wide);
  return sigma.sort().reverse();
}

/**
 * Effective rank `exp(H(p))`, `H(p) = −Σ_k p_k ln p_k`, `p_k = σ_k / Σ_j σ_j`
 * over the singular values σ of `x: [n, d]` itself (no centring); zero `p_k`
 * are skipped and an all-zero matrix has effective rank 0.
 * Ranges from 1 (rank one) to `min(n, d)` (all σ equal).
 *
 * @throws {NonFiniteError} on NaN / ±Inf. @throws {ShapeError} on a bad shape.
 */
export function effectiveRank(x: MatrixInput): number {
  const sigma = singularValues(x);
  let total = 0;
  for (const s of sigma) total += s;
  if (total === 0) return 0;
  let h = 0;
  for (const s of sigma) {
    const p = s / total;
    if (p > 0) h -= p * Math.log(p);
  }
  return Math.exp(h);
}
