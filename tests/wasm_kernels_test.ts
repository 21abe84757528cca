import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import {
  bindRows,
  GELU_KERNEL,
  geluScalar,
  installedGemm,
  installedRows,
  wasmGeluActive,
  wasmGemmState,
  wasmGramActive,
  wasmHasNaN,
  wasmSymmetricGram,
} from "../lib/wasm/mod.ts";
import { columnSum } from "../lib/ops/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose } from "./_util.ts";

Deno.test("GeluWithSlope: value and slope equal the float64 formulas and tfjs' erf ops, tails and extremes included", async () => {
  await initBackend({ prefer: "wasm" });
  assert.ok(wasmGeluActive(), "the GELU kernel is registered on wasm");
  const rng = makeRng(7);
  // 16 values a loop turn: 37 leaves a tail of 5 for the scalar path
  for (const n of [3, 16, 37, 1000]) {
    const xs = Float32Array.from({ length: n }, () => 4 * rng.normal());
    xs.set([-100, 100, 0, -1e-30, 88, -88].slice(0, n));
    const x = tf.tensor1d(xs);
    const [value, slope] = tf.engine().runKernel(GELU_KERNEL, { x }) as Tensor[];
    const want = Array.from(xs, (v) => geluScalar(v));
    assertClose(value.dataSync(), want.map((w) => w[0]), {
      rtol: 1e-6,
      atol: 1e-7,
      label: `value n=${n}`,
    });
    assertClose(slope.dataSync(), want.map((w) => w[1]), {
      rtol: 1e-6,
      atol: 1e-7,
      label: `slope n=${n}`,
    });
    const cdf = tf.add(tf.mul(tf.erf(tf.mul(x, Math.SQRT1_2)), 0.5), 0.5);
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    assertClose(value.dataSync(), tf.mul(x, cdf).dataSync(), { rtol: 1e-5, atol: 1e-6 });
    assertClose(slope.dataSync(), tf.add(cdf, tf.mul(x, pdf)).dataSync(), {
      rtol: 1e-5,
      atol: 1e-6,
    });
    assert.ok(value.dataSync().every(Number.isFinite) && slope.dataSync().every(Number.isFinite));
    tf.dispose([x, value, slope, cdf, pdf]);
  }
});

Deno.test("geluScalar: the limits of GELU and its slope", () => {
  assert.deepEqual(geluScalar(0), [0, 0.5]);
  const [big, bigSlope] = geluScalar(30);
  assertClose([big, bigSlope], [30, 1], { rtol: 1e-12 });
  const [neg, negSlope] = geluScalar(-30);
  assert.ok(Math.abs(neg) < 1e-30 && Math.abs(negSlope) < 1e-30);
});

Deno.test("row passes: copy, add and multiply over strided rows; stride 0 repeats or sums a row", () => {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const rows = bindRows(memory);
  assert.ok(rows, "wasm SIMD is available");
  const heap = new Float32Array(memory.buffer);
  // S: 3 rows of 8 with a row stride of 12 at 0; D: 3 rows of 8 with a stride of 8 at 100
  for (let i = 0; i < 36; i++) heap[i] = i + 1;
  rows.copy(100, 0, 3, 8, 8, 12);
  for (let r = 0; r < 3; r++) {
    assert.deepEqual([...heap.subarray(100 + 8 * r, 108 + 8 * r)], [
      ...heap.subarray(12 * r, 12 * r + 8),
    ]);
  }
  rows.add(100, 0, 3, 8, 8, 12);
  rows.mul(100, 0, 3, 8, 8, 12);
  for (let r = 0; r < 3; r++) {
    for (let j = 0; j < 8; j++) {
      const s = heap[12 * r + j];
      assert.equal(heap[100 + 8 * r + j], 2 * s * s);
    }
  }
  heap.fill(0, 200, 208);
  rows.add(200, 0, 3, 8, 0, 12); // column sums
  for (let j = 0; j < 8; j++) assert.equal(heap[200 + j], heap[j] + heap[12 + j] + heap[24 + j]);
  rows.add(100, 0, 3, 8, 8, 0); // the first row of S added to every row of D
  assert.equal(heap[100 + 16 + 3], 2 * heap[27] * heap[27] + heap[3]);
  rows.add(300, 0, 0, 8, 8, 8); // an empty pass writes nothing
  assert.equal(heap[300], 0);
});

Deno.test("wasm GEMM: leading dimensions read a column block of a wider matrix, plain and transposed", async () => {
  await initBackend({ prefer: "wasm" });
  const gemm = installedGemm();
  if (!gemm) return assert.fail("the wasm GEMM is installed where the engine has relaxed SIMD");
  const backend = tf.backend() as unknown as {
    wasm: { HEAPF32: Float32Array };
    getMemoryOffset(dataId: object): number;
  };
  const rng = makeRng(3);
  const [m, k, n, wide] = [7, 5, 9, 20]; // op(B) is columns 4..4+k (or 4..4+n) of a 20-wide matrix
  const a = tf.tensor2d(Float32Array.from({ length: m * k }, () => rng.normal()), [m, k]);
  const w = tf.tensor2d(Float32Array.from({ length: n * wide }, () => rng.normal()), [n, wide]);
  const c = tf.zeros([m, n]);
  const at = (t: Tensor) => backend.getMemoryOffset(t.dataId) >>> 2;
  // C = A · (W[:, 4:4+k])ᵀ
  gemm.run(
    at(a),
    at(w) + 4,
    at(c),
    { m, k, n, transposeA: false, transposeB: true, ldb: wide },
    1,
    0,
    0,
  );
  const want = tf.matMul(a, tf.slice(w, [0, 4], [n, k]), false, true);
  assertClose(c.dataSync(), want.dataSync(), { rtol: 1e-6, atol: 1e-6, label: "transposed B" });
  // C' = Aᵀ-free: A [m, n] · W[:, 4:4+k] with W read as [n, k] rows of stride 20
  const a2 = tf.tensor2d(Float32Array.from({ length: m * n }, () => rng.normal()), [m, n]);
  const c2 = tf.zeros([m, k]);
  gemm.run(
    at(a2),
    at(w) + 4,
    at(c2),
    { m, k: n, n: k, transposeA: false, transposeB: false, ldb: wide },
    1,
    0,
    0,
  );
  const want2 = tf.matMul(a2, tf.slice(w, [0, 4], [n, k]));
  assertClose(c2.dataSync(), want2.dataSync(), { rtol: 1e-6, atol: 1e-6, label: "plain B" });
  tf.dispose([a, w, c, want, a2, c2, want2]);
});

Deno.test("columnSum on wasm: the row pass gives the bits of the ones-vector product, ragged widths included", async () => {
  await initBackend({ prefer: "wasm" });
  assert.ok(installedRows(), "the row passes are bound on wasm");
  const rng = makeRng(11);
  for (const [n, c] of [[1750, 64], [37, 7], [5, 3], [1, 8]]) {
    const x = tf.tensor2d(Float32Array.from({ length: n * c }, () => rng.normal()), [n, c]);
    const got = columnSum(x).dataSync();
    const want = tf.matMul(x, tf.ones([n, 1]), true, false).dataSync();
    if (wasmGemmState().installed) assert.deepEqual([...got], [...want], `${n}×${c}`);
    else assertClose(got, want, { rtol: 1e-5, atol: 1e-5, label: `${n}×${c}` });
    x.dispose();
  }
});

Deno.test("shared Identity: a clone reads the same values, outlives its source and frees the buffer with the last reference", async () => {
  await initBackend({ prefer: "wasm" });
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const before = buffers();
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = tf.clone(x);
  assert.deepEqual(y.arraySync(), [[1, 2], [3, 4]]);
  assert.equal(buffers(), before + 1, "one buffer for both");
  x.dispose();
  assert.deepEqual([...y.dataSync()], [1, 2, 3, 4], "the clone outlives its source");
  const z = tf.add(y, 1);
  y.dispose();
  assert.deepEqual([...z.dataSync()], [2, 3, 4, 5]);
  z.dispose();
  assert.equal(buffers(), before);
  // strings keep tfjs' copying kernel
  const s = tf.tensor1d(["a", "b"], "string");
  assert.deepEqual(tf.clone(s).arraySync(), ["a", "b"]);
  s.dispose();
  // a custom-gradient op that saves its input (cloned by tfjs) still differentiates
  const square = tf.customGrad((...args: (Tensor | ((t: Tensor[]) => void))[]) => {
    const [a, save] = args as [Tensor, (t: Tensor[]) => void];
    save([a]);
    return {
      value: tf.square(a),
      gradFunc: (dy: Tensor, saved: Tensor[]) => tf.mul(dy, tf.mul(saved[0], 2)),
    };
  }) as (a: Tensor) => Tensor;
  const g = tf.grad((a) => tf.sum(square(a)))(tf.tensor1d([1, -2, 3]));
  assert.deepEqual([...g.dataSync()], [2, -4, 6]);
});

Deno.test("shared Identity: a cast to the tensor's own dtype shares its buffer, a real cast converts", async () => {
  await initBackend({ prefer: "wasm" });
  const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
  const x = tf.tensor1d([1.5, -2.5, 3]);
  const before = buffers();
  const same = tf.cast(x, "float32");
  assert.equal(buffers(), before, "no new buffer");
  assert.deepEqual([...same.dataSync()], [1.5, -2.5, 3]);
  const ints = tf.cast(x, "int32");
  assert.equal(ints.dtype, "int32");
  assert.deepEqual([...ints.dataSync()], [1, -2, 3]);
  assert.equal(buffers(), before + 1, "a conversion has its own buffer");
  x.dispose();
  assert.deepEqual([...same.dataSync()], [1.5, -2.5, 3], "the cast outlives its source");
  tf.dispose([same, ints]);
});

Deno.test("shared Identity: cloning a disposed tensor is an error, not a reference to freed memory", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.tensor1d([1, 2, 3]);
  const info = { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  x.dispose();
  assert.throws(() => tf.engine().runKernel("Identity", { x: info as unknown as Tensor }));
});

/** How many entries of two equal-length arrays differ (bit for bit, NaN equal to NaN). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) count++;
  return count;
}

Deno.test("SymmetricGram on wasm: the whole product's bits from the lower triangle, ragged sizes, and a scaled left operand", async () => {
  await initBackend({ prefer: "wasm" });
  assert.ok(wasmGramActive(), "the in-place gram runs where the GEMM is installed");
  // sizes on and off the 6 × 8 and 4 × 4 tiles; 301 × 1100 takes B a few panels at a time
  for (const [n, d] of [[301, 16], [13, 5], [9, 8], [40, 7], [1, 3], [5, 2], [301, 1100]]) {
    const u = tf.randomNormal([n, d], 0, 1, "float32", n) as tf.Tensor2D;
    const got = wasmSymmetricGram(u).dataSync();
    assert.equal(differing(got, tf.matMul(u, u, false, true).dataSync()), 0, `N ${n}, D ${d}`);
    // left = U/τ: the lower triangle is (u_i/τ)·u_j, the upper its mirror
    const left = tf.mul(u, 10) as tf.Tensor2D;
    const scaled = wasmSymmetricGram(u, left);
    assertClose(scaled.dataSync(), tf.matMul(left, u, false, true).dataSync(), {
      rtol: 1e-5,
      atol: 1e-4 * Math.max(1, Math.sqrt(d / 16)), // (u_i/τ)·u_j against (u_j/τ)·u_i: grows with D
      label: `N ${n} scaled`,
    });
    const values = scaled.dataSync();
    let asymmetric = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) {
        if (!Object.is(values[i * n + j], values[j * n + i])) asymmetric++;
      }
    }
    assert.equal(asymmetric, 0, `N ${n} scaled: exactly symmetric`);
    tf.dispose([u, left, scaled]);
  }
});

Deno.test("wasmHasNaN: a NaN anywhere, in the f32x4 groups or the tail, is found in place; null off wasm", async () => {
  await initBackend({ prefer: "wasm" });
  for (const size of [1, 4, 7, 4096, 4099]) {
    const values = Float32Array.from({ length: size }, (_, i) => i - 3);
    const clean = tf.tensor1d(values);
    assert.equal(wasmHasNaN(clean), false, `size ${size}`);
    for (const at of [0, size - 1, Math.floor(size / 2)]) {
      const dirty = values.slice();
      dirty[at] = NaN;
      const x = tf.tensor1d(dirty);
      assert.equal(wasmHasNaN(x), true, `size ${size}, NaN at ${at}`);
      x.dispose();
    }
    clean.dispose();
  }
  const ints = tf.tensor1d([1, 2, 3], "int32");
  assert.equal(wasmHasNaN(ints), null);
  ints.dispose();
  await initBackend({ prefer: "cpu" });
  const x = tf.tensor1d([NaN]);
  assert.equal(wasmHasNaN(x), null);
  x.dispose();
});
