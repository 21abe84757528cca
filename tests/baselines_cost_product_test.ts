import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { basisProduct, wideProduct } from "../lib/baselines/cost_product.ts";
import { bandedProduct } from "../lib/baselines/cost_banded.ts";
import { ShapeError } from "../lib/errors.ts";
import { makeRng } from "../lib/random.ts";

function randomMatrix(rows: number, cols: number, seed: number): Tensor2D {
  const rng = makeRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => rng.normal()), [rows, cols]);
}

/** Value and gradients of `Σ c ⊙ product(...inputs)` for a fixed random `c`. */
function valueAndGrads(product: (...xs: Tensor2D[]) => Tensor2D, inputs: Tensor2D[]) {
  const y = tf.tidy(() => product(...inputs));
  const c = randomMatrix(y.shape[0], y.shape[1], 9);
  const f = (...xs: Tensor[]) => tf.sum(tf.mul(product(...(xs as Tensor2D[])), c));
  const { value, grads } = tf.valueAndGrads(f)(inputs);
  const out = [y, value, ...grads].map((t) => t.dataSync().slice());
  tf.dispose([y, c, value, ...grads]);
  return out;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`wideProduct: value and both gradients equal tf.matMul's autodiff on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const a = randomMatrix(3, 70, 1), w = randomMatrix(70, 5, 2);
    const count = tf.memory().numTensors;
    const wide = valueAndGrads(wideProduct, [a, w]);
    const plain = valueAndGrads((x, y) => tf.matMul(x, y), [a, w]);
    assert.equal(tf.memory().numTensors, count, "tensors leaked");
    assert.equal(wide.length, 4); // y, Σ c ⊙ y, da, dw
    wide.forEach((values, i) => assert.deepEqual(values, plain[i], `output ${i}`));
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

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`basisProduct: value and gradient equal tf.matMul's autodiff on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const x = randomMatrix(6, 40, 3), w = randomMatrix(40, 21, 4);
    const basis = w.dataSync() as Float32Array;
    const count = tf.memory().numTensors;
    const viaBasis = valueAndGrads((a) => basisProduct(a, basis, [40, 21]), [x]);
    const plain = valueAndGrads((a) => tf.matMul(a, w), [x]);
    assert.equal(tf.memory().numTensors, count, "tensors leaked");
    assert.equal(viaBasis.length, 3); // y, Σ c ⊙ y, dx
    viaBasis.forEach((values, i) => assert.deepEqual(values, plain[i], `output ${i}`));
    tf.dispose([x, w]);
  });
}

Deno.test("basisProduct: a basis of the wrong size names the shapes", async () => {
  await initBackend({ prefer: "cpu" });
  const x = tf.ones([2, 3]) as Tensor2D;
  assert.throws(
    () => basisProduct(x, new Float32Array(5), [3, 2]),
    (e: unknown) => e instanceof ShapeError && /basis \[3, 2\]/.test(String(e)),
  );
  x.dispose();
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`bandedProduct: value and both gradients equal batched tf.matMul's autodiff on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const x = tf.reshape(randomMatrix(5 * 3, 7, 5), [5, 3, 7]) as Tensor3D;
    const w = tf.reshape(randomMatrix(5 * 7, 4, 6), [5, 7, 4]) as Tensor3D;
    const flat = (f: (a: Tensor3D, b: Tensor3D) => Tensor3D) => (a: Tensor2D, b: Tensor2D) =>
      tf.reshape(f(tf.reshape(a, [5, 3, 7]) as Tensor3D, tf.reshape(b, [5, 7, 4]) as Tensor3D), [
        15,
        4,
      ]) as Tensor2D;
    const [x2, w2] = [tf.reshape(x, [15, 7]) as Tensor2D, tf.reshape(w, [35, 4]) as Tensor2D];
    const count = tf.memory().numTensors;
    const banded = valueAndGrads(flat(bandedProduct), [x2, w2]);
    const plain = valueAndGrads(flat((a, b) => tf.matMul(a, b)), [x2, w2]);
    assert.equal(tf.memory().numTensors, count, "tensors leaked");
    assert.equal(banded.length, 4); // y, Σ c ⊙ y, dx, dw
    banded.forEach((values, i) => assert.deepEqual(values, plain[i], `output ${i}`));
    tf.dispose([x, w, x2, w2]);
  });
}

Deno.test("bandedProduct: mismatched frequency counts name the shapes", async () => {
  await initBackend({ prefer: "cpu" });
  const x = tf.ones([2, 1, 3]) as Tensor3D, w = tf.ones([3, 3, 4]) as Tensor3D;
  assert.throws(
    () => bandedProduct(x, w),
    (e: unknown) => e instanceof ShapeError && /\[3,3,4\]/.test(String(e)),
  );
  tf.dispose([x, w]);
});
