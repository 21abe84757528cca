import assert from "node:assert/strict";
import {
  besselI0,
  firwinKaiser,
  gcd,
  kaiserWindow,
  resamplePoly,
} from "../lib/features/resample.ts";
import { OptionError } from "../lib/errors.ts";
import { assertClose, readGolden } from "./_util.ts";

interface ResampleCase {
  up: number;
  down: number;
  x: number[];
  y: number[];
}

const golden = readGolden<{ resample_cases: ResampleCase[] }>("dreams_features.json");

function peak(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

Deno.test("resamplePoly matches scipy resample_poly on every golden case (≤ 1e-5 of the peak)", () => {
  assert.ok(golden.resample_cases.length >= 6);
  for (const c of golden.resample_cases) {
    const y = resamplePoly(c.x, c.up, c.down);
    assert.equal(y.length, Math.ceil((c.x.length * c.up) / c.down));
    assertClose(y, c.y, { rtol: 0, atol: 1e-5 * peak(c.y), label: `${c.up}/${c.down}` });
  }
});

Deno.test("resamplePoly reduces the ratio by its gcd", () => {
  const c = golden.resample_cases.find((k) => k.up === 3 && k.down === 7)!;
  const y = resamplePoly(c.x, 6, 14);
  assertClose(y, c.y, { rtol: 0, atol: 1e-5 * peak(c.y), label: "6/14" });
});

Deno.test("resamplePoly with up = down returns an equal copy", () => {
  const x = new Float64Array([1, -2, 3.5, 4]);
  const y = resamplePoly(x, 3, 3);
  assert.deepEqual(Array.from(y), Array.from(x));
  y[0] = 99;
  assert.equal(x[0], 1);
});

Deno.test("resamplePoly keeps a constant signal within the filter ripple away from the zero-padded ends", () => {
  const x = new Float64Array(400).fill(2);
  const y = resamplePoly(x, 3, 2);
  assert.equal(y.length, 600);
  for (let i = 100; i < 500; i++) assert.ok(Math.abs(y[i] - 2) < 4e-3, `y[${i}] = ${y[i]}`);
  assert.ok(Math.abs(y[0] - 2) > 1e-3 || Math.abs(y[599] - 2) > 1e-3);
});

Deno.test("resamplePoly rejects non-integer or non-positive factors", () => {
  assert.throws(() => resamplePoly([1, 2], 0, 1), OptionError);
  assert.throws(() => resamplePoly([1, 2], 1.5, 1), OptionError);
  assert.throws(() => resamplePoly([1, 2], 2, -1), OptionError);
});

Deno.test("besselI0 matches tabulated values", () => {
  // Abramowitz & Stegun table 9.8 / scipy.special.i0.
  assertClose(besselI0(0), 1, { rtol: 1e-15 });
  assertClose(besselI0(1), 1.2660658777520082, { rtol: 1e-14 });
  assertClose(besselI0(5), 27.239871823604442, { rtol: 1e-14 });
  assertClose(besselI0(-2.5), 3.2898391440501231, { rtol: 1e-14 });
});

Deno.test("kaiserWindow is symmetric with unit peak and scipy's end values", () => {
  const w = kaiserWindow(11, 5);
  assert.equal(w[5], 1);
  for (let i = 0; i < 11; i++) assertClose(w[i], w[10 - i], { rtol: 1e-15 });
  assertClose(w[0], 1 / 27.239871823604442, { rtol: 1e-13 }); // I0(0)/I0(5)
  assert.deepEqual(Array.from(kaiserWindow(1, 5)), [1]);
});

Deno.test("firwinKaiser has unit DC gain and is linear-phase", () => {
  const h = firwinKaiser(61, 1 / 3, 5);
  const sum = h.reduce((a, b) => a + b, 0);
  assertClose(sum, 1, { rtol: 1e-14 });
  for (let i = 0; i < 61; i++) assertClose(h[i], h[60 - i], { rtol: 1e-12, atol: 1e-17 });
  assert.throws(() => firwinKaiser(11, 1.5, 5), OptionError);
});

Deno.test("gcd", () => {
  assert.equal(gcd(180000, 360140), 20);
  assert.equal(gcd(7, 3), 1);
  assert.equal(gcd(12, 0), 12);
});
