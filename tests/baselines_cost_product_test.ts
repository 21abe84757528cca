import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { wideProduct } from "../lib/baselines/cost_product.ts";
import { ShapeError } from "../lib/errors.ts";
import { makeRng } from "../lib/random.ts";

function randomMatrix(rows: number, cols: number, seed: number): Tensor2D {
  const rng = makeRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

/** Value and gradients of `Σ c ⊙ product(a, w)` for a fixed random `c`. */
function valueAndGrads(product: (a: Tensor2D, w: Tensor2D) => Tensor2D, a: Tensor2D, w: Tensor2D) {
  const c = randomMatrix(a.shape[0], w.shape[1], 9);
  const f = (...xs: Tensor[]) => tf.sum(tf.mul(product(xs[0] as Tensor2D, xs[1] as Tensor2D), c));
  const { value, grads } = tf.valueAndGrads(f)([a, w]);
  const out = [value, ...grads].map((t) => t.dataSync().slice());
  tf.dispose([c, value, ...grads]);
  return { out, y: tf.tidy(() => product(a, w).dataSync().slice()) };
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`wideProduct: value and both gradients equal tf.matMul's autodiff on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const a = randomMatrix(3, 70, 1), w = randomMatrix(70, 5, 2);
    const count = tf.memory().numTensors;
    const wide = valueAndGrads(wideProduct, a, w);
    const plain = valueAndGrads((x, y) => tf.matMul(x, y), a, w);
    assert.equal(tf.memory().numTensors, count, "tensors leaked");
    assert.deepEqual(wide.y, plain.y);
    assert.equal(wide.out.length, 3);
    wide.out.forEach((values, i) => assert.deepEqual(values, plain.out[i], `output ${i}`));
    tf.dispose([a, w]);
  });
}

Deno.test("wideProduct: mismatched inner sizes name the shapes", async () => {
  await initBackend({ prefer: "cpu" });
  const a = tf.ones([2, 3]) as Tensor2D, w = tf.ones([4, 2]) as Tensor2D;
  assert.throws(
    () => wideProduct(a, w),
    (e: unknown) => e instanceof ShapeError && /\[2,3\]/.test(String(e)),
  );
  tf.dispose([a, w]);
});
