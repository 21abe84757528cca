import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";

Deno.test("wasm: clone and same-dtype cast share the buffer; values and lifetimes stay apart", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const buffers = () => tf.engine().backend.numDataIds();
  const before = buffers();
  const copy = tf.clone(x);
  const same = tf.cast(x, "float32");
  assert.equal(buffers(), before, "no new buffer for a clone or a same-dtype cast");
  const ints = tf.cast(x, "int32");
  assert.equal(buffers(), before + 1, "a cast to another dtype still makes one");
  x.dispose();
  assert.deepEqual([...copy.dataSync()], [1, 2, 3, 4]);
  assert.deepEqual([...same.dataSync()], [1, 2, 3, 4]);
  assert.equal(ints.dtype, "int32");
  // the buffer is freed with its last reference
  copy.dispose();
  same.dispose();
  ints.dispose();
  assert.equal(buffers(), before - 1);
  // a tape's saved tensors: the gradient through a kept input is unchanged
  const v = tf.variable(tf.tensor1d([1, -2, 3]));
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(tf.exp(v), v)), [v]);
  const expected = [1, -2, 3].map((a) => Math.exp(a) * (1 + a));
  grads[v.name].dataSync().forEach((g, i) => assert.ok(Math.abs(g - expected[i]) < 1e-4));
  tf.dispose([v, grads[v.name]]);
});
