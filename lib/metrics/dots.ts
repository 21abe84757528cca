/**
 * Register-blocked float64 dot products between the rows of two matrices: the
 * JavaScript reference of the wasm SIMD kernel in `dots_wasm.ts` (which
 * K-means and the silhouette use, bit for bit the same sums). Written by hand
 * because plain TypeScript has no BLAS; the 4 × 2 blocking loads each value
 * once per four (or two) products, which roughly doubles throughput over a
 * naive loop.
 *
 * @module
 */

/** `n` rounded up to a multiple of `m`. */
export function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

/**
 * `out[i * roundUp(m, 2) + c] = a_i · b_c` for `a: [roundUp(n, 4), d]` and
 * `b: [roundUp(m, 2), d]`, both row-major and zero- or copy-padded by the caller.
 */
export function crossDots(
  a: Float64Array,
  n: number,
  b: Float64Array,
  m: number,
  d: number,
  out: Float64Array,
): void {
  const nPad = roundUp(n, 4), mPad = roundUp(m, 2);
  for (let i = 0; i < nPad; i += 4) {
    const r0 = i * d, r1 = r0 + d, r2 = r1 + d, r3 = r2 + d;
    for (let c = 0; c < mPad; c += 2) {
      const c0 = c * d, c1 = c0 + d;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let t = 0; t < d; t++) {
        const b0 = b[c0 + t], b1 = b[c1 + t];
        const a0 = a[r0 + t], a1 = a[r1 + t], a2 = a[r2 + t], a3 = a[r3 + t];
        s00 += a0 * b0;
        s01 += a0 * b1;
        s10 += a1 * b0;
        s11 += a1 * b1;
        s20 += a2 * b0;
        s21 += a2 * b1;
        s30 += a3 * b0;
        s31 += a3 * b1;
      }
      const o = i * mPad + c;
      out[o] = s00;
      out[o + 1] = s01;
      out[o + mPad] = s10;
      out[o + mPad + 1] = s11;
      out[o + 2 * mPad] = s20;
      out[o + 2 * mPad + 1] = s21;
      out[o + 3 * mPad] = s30;
      out[o + 3 * mPad + 1] = s31;
    }
  }
}
