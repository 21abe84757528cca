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
    for (let c = j + 1; c < cols; c++) {
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

/** Singular values of a column-major square matrix by one-sided Jacobi rotations (unsorted). */
function jacobiSingularValues(u: Float64Array, n: number): Float64Array {
  const maxSweeps = 60;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * n;
      for (let q = p + 1; q < n; q++) {
        const oq = q * n;
        let alpha = 0, beta = 0, gamma = 0;
        for (let i = 0; i < n; i++) {
          const x = u[op + i], y = u[oq + i];
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        for (let i = 0; i < n; i++) {
          const x = u[op + i], y = u[oq + i];
          u[op + i] = c * x - s * y;
          u[oq + i] = s * x + c * y;
        }
      }
    }
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
