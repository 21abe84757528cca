import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import {
  wasmBandSquares,
  wasmColumnKernelsActive,
  wasmColumnValues,
  wasmSymmetricGradients,
} from "../lib/losses/fused/wasm_kernels.ts";
import { columnGradients, columnValues } from "../lib/losses/fused/column_terms.ts";
import type { ColumnTermOptions } from "../lib/losses/fused/column_terms.ts";
import { makeRng } from "../lib/random.ts";
import { ShapeError } from "../lib/errors.ts";
import { assertClose } from "./_util.ts";

/** A symmetric `[n, n]` similarity-like matrix with a unit diagonal. */
function symmetric(n: number, seed: number): Tensor2D {
  const rng = makeRng(seed);
  const values = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    values[i * n + i] = 1;
    for (let j = 0; j < i; j++) values[i * n + j] = values[j * n + i] = 2 * rng.next() - 1;
  }
  return tf.tensor2d(values, [n, n]);
}

/** 1 off the band `|i − j| ≤ 1`, 0 on it, `[n, n]`. */
function offBand(n: number): Tensor2D {
  const values = Array.from({ length: n * n }, (_, k) => Math.abs(Math.floor(k / n) - (k % n)));
  return tf.tensor2d(values.map((d) => (d > 1 ? 1 : 0)), [n, n]);
}

/** The kernel's `M` is `H + Hᵀ` of the tfjs column gradients `h`. */
function assertSymmetricSum(m: Tensor2D, h: Tensor, label: string): void {
  assertClose(m.dataSync(), tf.add(h, tf.transpose(h)).dataSync(), {
    rtol: 1e-6,
    atol: 1e-6,
    label: `${label} M`,
  });
}

const KINDS: ColumnTermOptions[] = [
  { kind: "exp", temperature: 0.5, margin: 0, gamma: 0 },
  { kind: "margin", temperature: 0.1, margin: 0.7, gamma: 0.05 },
  { kind: "lsMargin", temperature: 0.1, margin: 0.7, gamma: 0.05 },
];

const STABLE: ColumnTermOptions = { kind: "stable", temperature: 0.1, margin: 0.4, gamma: 0.05 };

Deno.test("wasm column kernels: on wasm for the whole matrix of every kind", async () => {
  await initBackend({ prefer: "wasm" });
  assert.ok(wasmColumnKernelsActive(8, 8), "every kind, InfoNCE's band included");
  assert.equal(wasmColumnKernelsActive(4, 8), false, "a block of rows keeps tfjs' ops");
  await initBackend({ prefer: "cpu" });
  assert.equal(wasmColumnKernelsActive(8, 8), false);
});

Deno.test("wasm column kernels: values, sums with the diagonal rule and H + Hᵀ equal tfjs' column terms", async () => {
  await initBackend({ prefer: "wasm" });
  // 13 and 22 columns leave tails of 1 and 2 past the SIMD groups
  for (const n of [13, 16, 22]) {
    for (const o of KINDS) {
      tf.tidy(() => {
        const s = symmetric(n, n);
        const rng = makeRng(100 + n);
        const v = tf.tensor2d(Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1)), [
          n,
          1,
        ]);
        const w = tf.tensor2d(Float32Array.from({ length: n }, () => rng.normal()), [n, 1]);
        const label = `${o.kind} N ${n}`;
        const [sums, values] = wasmColumnValues(s, v, o);
        const want = columnValues(s, v, o);
        const off = tf.sub(1, tf.eye(n));
        const offValues = tf.mul(want.value, off);
        assertClose(values.dataSync(), offValues.dataSync(), {
          rtol: 1e-6,
          atol: 1e-7,
          label: `${label} F`,
        });
        // the diagonal rule: MARGIN_LOSS counts f_j(0), the others nothing (f_jj·0)
        const diagonal = o.kind === "margin"
          ? columnValues(tf.zeros([n, 1]), v, o).value
          : tf.zeros([n, 1]);
        const wantSums = tf.add(tf.sum(offValues, 1), tf.reshape(diagonal, [n]));
        assertClose(sums.dataSync(), wantSums.dataSync(), {
          rtol: 1e-6,
          atol: 1e-6,
          label: `${label} sums`,
        });
        const h = tf.mul(
          columnGradients(s, { value: offValues, hinge: tf.relu(tf.sub(o.margin, s)) }, v, w, o),
          off,
        );
        assertSymmetricSum(wasmSymmetricGradients(s, values, v, w, o), h, label);
      });
    }
  }
});

Deno.test("wasm column kernels: an overflowing diagonal makes its column sum NaN, as the reference's Inf·0", async () => {
  await initBackend({ prefer: "wasm" });
  const n = 9;
  const o: ColumnTermOptions = { kind: "exp", temperature: 0.01, margin: 0, gamma: 0 };
  const s = tf.mul(symmetric(n, 3), 0.5);
  const [sums, values] = wasmColumnValues(
    tf.add(s, tf.mul(tf.eye(n), 0.5)) as Tensor2D,
    tf.zeros([n, 1]),
    o,
  );
  // S_jj = 1 → exp(100) = Inf on every diagonal: every column sum is NaN, its F_jj NaN
  assert.ok(Array.from(sums.dataSync()).every(Number.isNaN));
  const f = values.dataSync();
  for (let j = 0; j < n; j++) assert.ok(Number.isNaN(f[j * n + j]));
  tf.dispose([s, sums, values]);
});

Deno.test("wasm column kernels: band 1 leaves InfoNCE's band out of F and the sums; the exp gradient reads neither S nor v", async () => {
  await initBackend({ prefer: "wasm" });
  const o: ColumnTermOptions = { kind: "exp", temperature: 0.1, margin: 0, gamma: 0 };
  // 13 and 22 columns leave tails of 1 and 2 past the SIMD groups
  for (const n of [5, 13, 16, 22]) {
    tf.tidy(() => {
      const s = symmetric(n, 40 + n);
      const rng = makeRng(n);
      const w = tf.tensor1d(Float32Array.from({ length: n }, () => rng.normal()));
      const keep = offBand(n);
      const t = tf.mul(tf.exp(tf.mul(s, 1 / o.temperature)), keep);
      const [sums, values] = wasmColumnValues(s, null, o, 1);
      const label = `N ${n}`;
      assertClose(values.dataSync(), t.dataSync(), { rtol: 1e-6, atol: 0, label: `${label} F` });
      assertClose(sums.dataSync(), tf.sum(t, 1).dataSync(), {
        rtol: 1e-6,
        atol: 0,
        label: `${label} sums`,
      });
      // M_ij = F_ij·(w_i/τ + w_j/τ), to rounding (w_i + w_j may cancel)
      const scaled = tf.mul(w, 1 / o.temperature);
      const want = tf.mul(t, tf.add(tf.reshape(scaled, [n, 1]), tf.reshape(scaled, [1, n])));
      const m = wasmSymmetricGradients(null, values, null, w, o);
      const atol = 1e-6 * tf.max(tf.abs(want)).dataSync()[0];
      assertClose(m.dataSync(), want.dataSync(), { rtol: 1e-6, atol, label: `${label} M` });
    });
  }
  // the hinge kinds need S and v
  const s = symmetric(8, 1);
  const margin: ColumnTermOptions = { kind: "margin", temperature: 0.1, margin: 0.7, gamma: 0 };
  assert.throws(() => wasmColumnValues(s, null, margin), ShapeError);
  assert.throws(() => wasmSymmetricGradients(null, s, null, tf.ones([8]), margin), ShapeError);
  s.dispose();
});

Deno.test("wasm column kernels: stable's values without the band, their sums and H + Hᵀ equal tfjs' column terms", async () => {
  await initBackend({ prefer: "wasm" });
  for (const margin of [0.4, 1.5]) {
    const o = { ...STABLE, margin };
    for (const n of [5, 13, 16, 22]) {
      tf.tidy(() => {
        const s = symmetric(n, 70 + n);
        const rng = makeRng(n);
        const v = tf.tensor2d(Float32Array.from({ length: n }, () => (rng.next() < 0.5 ? 0 : 1)), [
          n,
          1,
        ]);
        const w = tf.tensor2d(Float32Array.from({ length: n }, () => rng.normal()), [n, 1]);
        const keep = offBand(n);
        const want = columnValues(s, v, o);
        const kept = tf.mul(want.value, keep);
        const [sums, values] = wasmColumnValues(s, v, o, 1);
        const label = `margin ${margin} N ${n}`;
        assertClose(values.dataSync(), kept.dataSync(), {
          rtol: 1e-6,
          atol: 1e-7,
          label: `${label} F`,
        });
        assertClose(sums.dataSync(), tf.sum(kept, 1).dataSync(), {
          rtol: 1e-6,
          atol: 1e-6,
          label: `${label} sums`,
        });
        const h = columnGradients(s, { value: kept, hinge: want.hinge }, v, w, o);
        assertSymmetricSum(wasmSymmetricGradients(s, values, v, w, o), h, label);
      });
    }
  }
});

Deno.test("wasm column kernels: InfoNCE's VRN sums over the negatives and its gradient term off the band", async () => {
  await initBackend({ prefer: "wasm" });
  const o: ColumnTermOptions = { kind: "exp", temperature: 0.1, margin: 0, gamma: 0 };
  const delta = -0.05;
  for (const n of [5, 13, 16, 22]) {
    tf.tidy(() => {
      const s = symmetric(n, 90 + n);
      const rng = makeRng(n);
      const w = tf.tensor1d(Float32Array.from({ length: n }, () => rng.normal()));
      const keep = offBand(n);
      const centred = tf.mul(tf.sub(s, delta), keep);
      const label = `N ${n}`;
      assertClose(
        wasmBandSquares(s, delta, 1).dataSync(),
        tf.sum(tf.square(centred), 1).dataSync(),
        {
          rtol: 1e-6,
          atol: 1e-6,
          label: `${label} squares`,
        },
      );
      const [, values] = wasmColumnValues(s, null, o, 1);
      const kappa = tf.tensor1d([2.5]);
      const scaled = tf.mul(w, 1 / o.temperature);
      const pairs = tf.add(tf.reshape(scaled, [n, 1]), tf.reshape(scaled, [1, n]));
      const want = tf.add(tf.mul(values, pairs), tf.mul(centred, 2.5));
      const m = wasmSymmetricGradients(s, values, null, w, o, { kappa, delta });
      const atol = 1e-6 * tf.max(tf.abs(want)).dataSync()[0];
      assertClose(m.dataSync(), want.dataSync(), { rtol: 1e-6, atol, label: `${label} M` });
    });
  }
});
