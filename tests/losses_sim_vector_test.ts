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
