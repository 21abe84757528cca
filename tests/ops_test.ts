import assert from "node:assert/strict";
import { batchMatMul, gram, linear, matMul, transposedProduct } from "../lib/ops/mod.ts";
import { installWasmGemm, uninstallWasmGemm, wasmGemmState } from "../lib/wasm/mod.ts";
import { initBackend } from "../lib/backend.ts";
import { tf } from "../lib/tf.ts";
import type { Tensor2D, Tensor3D } from "../lib/tf.ts";
import { assertClose } from "./_util.ts";

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`ops (${backend}): matMul, gram and linear match tfjs values and gradients`, async () => {
    await initBackend({ prefer: backend });
    const a = tf.randomNormal([7, 5], 0, 1, "float32", 1) as Tensor2D;
    const b = tf.randomNormal([5, 4], 0, 1, "float32", 2) as Tensor2D;
    const w = tf.randomNormal([3, 5], 0, 1, "float32", 3) as Tensor2D;
    const bias = tf.randomNormal([3], 0, 1, "float32", 4);
    const weights = tf.randomNormal([7, 7], 0, 1, "float32", 5);
    const cases: [
      string,
      () => Tensor2D,
      () => Tensor2D,
      (x: Tensor2D) => Tensor2D,
      (x: Tensor2D) => Tensor2D,
    ][] = [
      [
        "matMul",
        () => matMul(a, b),
        () => tf.matMul(a, b),
        (x) => matMul(x, b),
        (x) => tf.matMul(x, b),
      ],
      [
        "gram",
        () => gram(a),
        () => tf.matMul(a, a, false, true),
        (x) => gram(x),
        (x) => tf.matMul(x, x, false, true),
      ],
      [
        "linear",
        () => linear(a, w, bias),
        () => tf.add(tf.matMul(a, w, false, true), bias) as Tensor2D,
        (x) => linear(x, w, bias),
        (x) => tf.add(tf.matMul(x, w, false, true), bias) as Tensor2D,
      ],
    ];
    for (const [name, ours, theirs, oursOf, theirsOf] of cases) {
      assertClose(tf.tidy(ours).dataSync(), tf.tidy(theirs).dataSync(), { label: name });
      const loss = (f: (x: Tensor2D) => Tensor2D) => (x: tf.Tensor) => {
        const y = f(x as Tensor2D);
        return tf.sum(tf.mul(tf.sin(y), weights.slice([0, 0], y.shape)));
      };
      const g1 = tf.grad(loss(oursOf))(a), g2 = tf.grad(loss(theirsOf))(a);
      assertClose(g1.dataSync(), g2.dataSync(), { rtol: 1e-4, atol: 1e-5, label: `${name} grad` });
      tf.dispose([g1, g2]);
    }
    const gb1 = tf.grad((x: tf.Tensor) => tf.sum(tf.square(matMul(a, x as Tensor2D))))(b);
    const gb2 = tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.matMul(a, x as Tensor2D))))(b);
    assertClose(gb1.dataSync(), gb2.dataSync(), { rtol: 1e-4, atol: 1e-5, label: "matMul grad b" });
    tf.dispose([a, b, w, bias, weights, gb1, gb2]);
  });
}

Deno.test("batchMatMul equals tf.matMul, looped (large entries) and batched (tiny ones)", async () => {
  await initBackend({ prefer: "wasm" });
  for (const [g, m, k, n] of [[3, 130, 90, 120], [40, 4, 6, 5], [1, 7, 3, 2]]) {
    const a = tf.randomNormal([g, m, k], 0, 1, "float32", m) as Tensor3D;
    const b = tf.randomNormal([g, k, n], 0, 1, "float32", n) as Tensor3D;
    const got = batchMatMul(a, b);
    assert.deepEqual(got.shape, [g, m, n]);
    assertClose(got.dataSync(), tf.matMul(a, b).dataSync(), { rtol: 1e-5, atol: 1e-4 });
    tf.dispose([a, b, got]);
  }
});

Deno.test("transposedProduct is Aᵀ·B on cpu, on wasm with the GEMM and under tfjs' wasm kernel", async () => {
  const a = () => tf.randomNormal([37, 13], 0, 1, "float32", 1) as Tensor2D;
  const b = () => tf.randomNormal([37, 9], 0, 1, "float32", 2) as Tensor2D;
  const check = (label: string) => {
    const [x, y] = [a(), b()];
    const got = transposedProduct(x, y);
    assert.deepEqual(got.shape, [13, 9]);
    const want = tf.matMul(tf.transpose(x), y);
    assertClose(got.dataSync(), want.dataSync(), { rtol: 1e-5, atol: 1e-5, label });
    tf.dispose([x, y, got, want]);
  };
  await initBackend({ prefer: "cpu" });
  check("cpu");
  await initBackend({ prefer: "wasm" });
  const fused = wasmGemmState().fused;
  check("wasm, GEMM");
  uninstallWasmGemm();
  try {
    check("wasm, tfjs' kernel");
  } finally {
    installWasmGemm({ fused });
  }
});

Deno.test("linear with inputGradient false: the same value and parameter gradients, zero input gradient", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.randomNormal([9, 5], 0, 1, "float32", 1) as Tensor2D;
  const w = tf.randomNormal([3, 5], 0, 1, "float32", 2) as Tensor2D;
  const b = tf.randomNormal([3], 0, 1, "float32", 3);
  const dy = tf.randomNormal([9, 3], 0, 1, "float32", 4);
  const run = (inputGradient: boolean) =>
    tf.grads((xx, ww, bb) =>
      tf.sum(tf.mul(linear(xx as Tensor2D, ww as Tensor2D, bb, { inputGradient }), dy))
    )([x, w, b]).map((g) => g.dataSync());
  const [dx, dw, db] = run(true);
  const [zero, dw2, db2] = run(false);
  assert.deepEqual(dw2, dw);
  assert.deepEqual(db2, db);
  assert.ok(zero.every((v) => v === 0) && dx.some((v) => v !== 0));
  tf.dispose([x, w, b, dy]);
});
