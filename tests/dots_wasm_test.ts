/**
 * The resident-rows wasm dot-product kernel against the JavaScript
 * `crossDots`, bit for bit, over row and column counts that are not
 * multiples of 4, d = 1, and tiles of resident rows with resident rows.
 */
import assert from "node:assert/strict";
import { crossDots, roundUp } from "../lib/metrics/dots.ts";
import { residentRows } from "../lib/metrics/dots_wasm.ts";
import { makeRng } from "../lib/random.ts";

const rng = makeRng(5);
const randomRows = (rows: number, d: number, padTo: number) => {
  const out = new Float64Array(padTo * d);
  for (let i = 0; i < rows * d; i++) out[i] = 4 * rng.next() - 2;
  return out;
};

Deno.test("residentRows.dotsWith: bit-identical to crossDots", () => {
  for (const [n, m, d] of [[1, 1, 1], [5, 3, 7], [9, 12, 33], [70, 6, 156], [13, 8, 2]]) {
    const nPad = roundUp(n, 4), mPad = roundUp(m, 2);
    const a = randomRows(n, d, nPad), b = randomRows(m, d, mPad);
    a[0] = -0;
    const ref = new Float64Array(nPad * mPad);
    crossDots(a, n, b, m, d, ref);
    const rows = residentRows(a, n, d, m, nPad * roundUp(m, 4));
    for (const [i0, ni] of [[0, nPad], [nPad - 4, 4]]) {
      const { out, stride } = rows.dotsWith(b, m, i0, ni);
      assert.ok(stride >= m);
      for (let i = 0; i < ni; i++) {
        for (let c = 0; c < m; c++) {
          const want = ref[(i0 + i) * mPad + c], got = out[i * stride + c];
          assert.ok(
            Object.is(got, want),
            `n ${n} m ${m} d ${d}: [${i0 + i}][${c}] ${got} ≠ ${want}`,
          );
        }
      }
    }
  }
});

Deno.test("residentRows.dotsWithin: tiles of resident rows, bit-identical to crossDots", () => {
  const n = 24, d = 19, a = randomRows(n, d, n);
  const rows = residentRows(a, n, d, 0, 16 * 8);
  const ref = new Float64Array(16 * 8);
  for (const [i0, ni, j0, nj] of [[0, 16, 8, 8], [8, 12, 0, 8], [20, 4, 20, 4]]) {
    crossDots(a.subarray(i0 * d), ni, a.subarray(j0 * d), nj, d, ref);
    const { out, stride } = rows.dotsWithin(i0, ni, j0, nj);
    assert.equal(stride, nj);
    for (let i = 0; i < ni * nj; i++) {
      assert.ok(Object.is(out[i], ref[i]), `tile ${i0},${j0}: ${i}`);
    }
  }
  assert.throws(() => rows.dotsWithin(0, 24, 0, 24), RangeError);
  assert.throws(() => rows.dotsWithin(2, 4, 0, 4), RangeError);
});

Deno.test("residentRows: two sets of rows sharing the kernel's memory, used in turn", () => {
  const small = randomRows(6, 5, 8), large = randomRows(41, 23, 44), b = randomRows(3, 23, 4);
  const first = residentRows(small, 6, 5, 0, 8 * 8),
    second = residentRows(large, 41, 23, 3, 44 * 4);
  const refSmall = new Float64Array(8 * 8), refLarge = new Float64Array(44 * 4);
  crossDots(small, 6, small, 8, 5, refSmall);
  crossDots(large, 41, b, 3, 23, refLarge);
  for (let round = 0; round < 2; round++) {
    const s = first.dotsWithin(0, 8, 0, 8);
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 6; j++) {
        assert.ok(Object.is(s.out[i * s.stride + j], refSmall[i * 8 + j]));
      }
    }
    const l = second.dotsWith(b, 3);
    for (let i = 0; i < 41; i++) {
      for (let c = 0; c < 3; c++) {
        assert.ok(Object.is(l.out[i * l.stride + c], refLarge[i * 4 + c]));
      }
    }
  }
});
