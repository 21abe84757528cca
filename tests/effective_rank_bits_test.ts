/**
 * The blocked Householder QR and the latency-hiding Jacobi sweeps of
 * `effective_rank.ts` against the plain loops they replaced (copied below as
 * the reference), bit for bit: singular values of random, rank-deficient,
 * wide and collapsed matrices.
 */
import assert from "node:assert/strict";
import { singularValues } from "../lib/metrics/effective_rank.ts";
import { makeRng } from "../lib/random.ts";

// The reference: one column at a time, each pair's sums in a pass of its own.
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

function referenceSingularValues(data: Float64Array, rows: number, cols: number): Float64Array {
  const transpose = rows < cols;
  const tall = transpose ? cols : rows, wide = transpose ? rows : cols;
  const a = new Float64Array(tall * wide);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (transpose) a[i * tall + j] = data[i * cols + j];
      else a[j * tall + i] = data[i * cols + j];
    }
  }
  return jacobiSingularValues(triangularFactor(a, tall, wide), wide).sort().reverse();
}

Deno.test("singularValues: bit-identical to one column and one pair at a time", () => {
  const rng = makeRng(3);
  const cases: [number, number, (i: number, j: number) => number][] = [
    [40, 13, () => rng.normal()],
    [9, 30, () => rng.normal()], // wide: transposed
    [50, 21, (i, j) => (i % 3) * (j + 1) + 1e-9 * rng.normal()], // nearly rank 2
    [33, 8, (_, j) => j], // collapsed: every row identical
    [17, 17, (i, j) => (i === j ? 2 : 0) + (j < 4 ? rng.normal() : 0)],
    [3, 1, () => rng.normal()],
  ];
  for (const [rows, cols, value] of cases) {
    const data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = value(i, j);
    const got = singularValues({ data, rows, cols });
    const want = referenceSingularValues(data, rows, cols);
    assert.equal(got.length, want.length);
    got.forEach((v, i) =>
      assert.ok(Object.is(v, want[i]), `${rows} x ${cols}: σ${i} ${v} ≠ ${want[i]}`)
    );
  }
});
