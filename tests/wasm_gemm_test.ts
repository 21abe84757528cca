import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import {
  GEMM_COLUMNS,
  GEMM_ROWS,
  hasRelaxedSimd,
  installWasmGemm,
  uninstallWasmGemm,
  wasmGemmState,
} from "../lib/wasm/mod.ts";
import { makeRng } from "../lib/random.ts";

/** `C_g = op(A_g)·op(B_g)` in float64 from row-major values. */
function reference(
  a: Float32Array,
  b: Float32Array,
  [batchA, batchB, m, k, n]: number[],
  ta: boolean,
  tb: boolean,
): Float64Array {
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  for (let g = 0; g < batch; g++) {
    const ao = batchA === 1 ? 0 : g * m * k, bo = batchB === 1 ? 0 : g * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let t = 0; t < k; t++) {
          s += a[ao + (ta ? t * m + i : i * k + t)] * b[bo + (tb ? j * k + t : t * n + j)];
        }
        out[(g * m + i) * n + j] = s;
      }
    }
  }
  return out;
}

function randomTensor(shape: number[], seed: number): Tensor {
  const rng = makeRng(seed);
  const size = shape.reduce((p, d) => p * d, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
}

/** The kernels this engine can run: multiply-then-add, and the fused one with relaxed SIMD. */
const KERNELS = hasRelaxedSimd() ? [false, true] : [false];

for (const fused of KERNELS) {
  Deno.test(`wasm GEMM (${fused ? "fused" : "multiply + add"}): every transpose, ragged edges, odd k and batches match a float64 product`, async () => {
    await initBackend({ prefer: "wasm" });
    assert.deepEqual(installWasmGemm({ fused }), { installed: true, fused });
    // [batchA, batchB, m, k, n]; m and n off the 6 × 8 tile, k odd and even, 1 × n and m × 1
    const shapes = [
      [1, 1, 13, 7, 19],
      [1, 1, GEMM_ROWS * 3, 32, GEMM_COLUMNS * 5],
      [1, 1, 1, 9, 30],
      [1, 1, 25, 40, 1],
      [1, 1, 6, 1, 8],
      [3, 3, 11, 10, 9],
      [1, 4, 7, 5, 17],
      [4, 1, 9, 6, 8],
    ];
    let seed = 1;
    for (const [batchA, batchB, m, k, n] of shapes) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          const shapeA = ta ? [k, m] : [m, k], shapeB = tb ? [n, k] : [k, n];
          const a = randomTensor(batchA > 1 ? [batchA, ...shapeA] : shapeA, seed++);
          const b = randomTensor(batchB > 1 ? [batchB, ...shapeB] : shapeB, seed++);
          const c = tf.matMul(a, b, ta, tb);
          const label = `${batchA}/${batchB} × ${m}×${k}×${n} ${ta ? "Aᵀ" : "A"}${tb ? "Bᵀ" : "B"}`;
          const batch = Math.max(batchA, batchB);
          assert.deepEqual(c.shape, [...(batch > 1 ? [batch] : []), m, n], label);
          const want = reference(
            a.dataSync() as Float32Array,
            b.dataSync() as Float32Array,
            [batchA, batchB, m, k, n],
            ta,
            tb,
          );
          const got = c.dataSync();
          for (let i = 0; i < want.length; i++) {
            const tol = 1e-5 * (1 + Math.sqrt(k) * 3);
            assert.ok(Math.abs(got[i] - want[i]) <= tol, `${label}[${i}]: ${got[i]} vs ${want[i]}`);
          }
          tf.dispose([a, b, c]);
        }
      }
    }
    installWasmGemm({ fused: hasRelaxedSimd() });
  });
}

Deno.test("wasm GEMM: rows of a product taken in tiles equal the whole product bit for bit", async () => {
  await initBackend({ prefer: "wasm" });
  installWasmGemm({ fused: hasRelaxedSimd() });
  const u = randomTensor([50, 24], 7);
  const whole = tf.matMul(u, u, false, true);
  for (const rows of [1, 7, 13]) {
    const parts: Tensor[] = [];
    for (let r0 = 0; r0 < 50; r0 += rows) {
      parts.push(tf.matMul(tf.slice(u, [r0, 0], [Math.min(rows, 50 - r0), 24]), u, false, true));
    }
    const tiled = tf.concat(parts);
    assert.deepEqual(tiled.dataSync(), whole.dataSync(), `tiles of ${rows} rows`);
    tf.dispose([...parts, tiled]);
  }
  tf.dispose([u, whole]);
});

Deno.test("wasm GEMM: uninstall puts tfjs' kernel back and install is idempotent", async () => {
  await initBackend({ prefer: "wasm" });
  const a = randomTensor([64, 96], 3), b = randomTensor([96, 64], 4);
  const first = installWasmGemm({ fused: hasRelaxedSimd() });
  assert.deepEqual(installWasmGemm({ fused: hasRelaxedSimd() }), first);
  assert.equal(first.fused, hasRelaxedSimd());
  const ours = tf.matMul(a, b);
  uninstallWasmGemm();
  uninstallWasmGemm();
  const theirs = tf.matMul(a, b);
  const want = reference(
    a.dataSync() as Float32Array,
    b.dataSync() as Float32Array,
    [1, 1, 64, 96, 64],
    false,
    false,
  );
  for (const c of [ours, theirs]) {
    const got = c.dataSync();
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-3);
  }
  installWasmGemm({ fused: hasRelaxedSimd() });
  tf.dispose([a, b, ours, theirs]);
});

Deno.test("wasm GEMM: starting the wasm backend installs it, fused where the engine has relaxed SIMD", async () => {
  uninstallWasmGemm();
  await initBackend({ prefer: "cpu" });
  assert.deepEqual(wasmGemmState(), { installed: false, fused: false });
  await initBackend({ prefer: "wasm" });
  assert.deepEqual(wasmGemmState(), { installed: true, fused: hasRelaxedSimd() });
});
