import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { adjacentCosine, simVector } from "../lib/losses/mod.ts";

Deno.test("simVector inside a training tape keeps nothing for a backward pass", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.abs(tf.randomNormal([12, 5], 0, 1, "float32", 1));
  const weight = tf.variable(tf.ones([12]));
  const plain = simVector(x, { threshold: 0.9, variant: "intended", length: "double" });
  let added = -1;
  const { value, grads } = tf.variableGrads(() => {
    const before = tf.memory().numTensors;
    const v = simVector(x, { threshold: 0.9, variant: "intended", length: "double" });
    // the vector itself only: no copies of the normalised rows, products or masks
    added = tf.memory().numTensors - before;
    return tf.sum(tf.mul(v, weight)) as Scalar;
  }, [weight]);
  assert.equal(added, 1);
  assert.deepEqual(grads[weight.name].dataSync(), plain.dataSync());
  // the same values as the cosines it thresholds
  const r = adjacentCosine(x).dataSync();
  assert.deepEqual([...plain.dataSync()], [...r].map((c) => (c < 0.9 ? 1 : 0)));
  tf.dispose([x, weight, plain, value, ...Object.values(grads)] as Tensor1D[]);
});

Deno.test("adjacentCosine on wasm (one pass over the rows) equals the normalised rows' products on cpu", async () => {
  // 1502 features as ECG's frames; 5 and 3 leave tails past the f32x4 groups; N = 2 wraps at once
  const cases: [number, number][] = [[40, 1502], [7, 5], [2, 3], [9, 8]];
  for (const [n, f] of cases) {
    await initBackend({ prefer: "cpu" });
    const values = tf.randomNormal([n, f], 0.2, 1, "float32", n + f).dataSync() as Float32Array;
    values.fill(0, f, 2 * f); // an all-zero row: cosine 0 with both neighbours
    const want = adjacentCosine(tf.tensor2d(values, [n, f])).dataSync();
    await initBackend({ prefer: "wasm" });
    const x = tf.tensor2d(values, [n, f]);
    const got = adjacentCosine(x).dataSync();
    x.dispose();
    for (let i = 0; i < n; i++) {
      assert.ok(
        Math.abs(got[i] - want[i]) <= 2e-6,
        `N ${n}, F ${f}, r[${i}]: ${got[i]} vs ${want[i]}`,
      );
    }
    assert.equal(got[1], 0);
    assert.equal(got[0], 0);
  }
  await initBackend({ prefer: "wasm" });
  const withNan = tf.tensor2d([1, 2, NaN, 4, 5, 6], [3, 2]);
  assert.deepEqual([...adjacentCosine(withNan).dataSync()].map(Number.isNaN), [true, true, false]);
  withNan.dispose();
});
