import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { batchNormReluTrain, batchNormTrain } from "../lib/encoders/mod.ts";
import type { BatchNormState } from "../lib/encoders/batch_norm.ts";
import { BATCH_NORM_RELU_KERNELS, wasmBatchNormReluActive } from "../lib/wasm/mod.ts";
import { assertClose } from "./_util.ts";

/** A fresh BatchNorm state with γ, β away from 1, 0. */
function state(c: number, seed: number): BatchNormState {
  // in a tidy: the initial values are disposed, the variables kept
  return tf.tidy(() => ({
    weight: tf.variable(tf.randomUniform([c], 0.5, 1.5, "float32", seed)),
    bias: tf.variable(tf.randomUniform([c], -0.3, 0.3, "float32", seed + 1)),
    runningMean: tf.variable(tf.zeros([c]), false),
    runningVar: tf.variable(tf.ones([c]), false),
  }));
}

/** Value, `∂x`, `∂γ`, `∂β` of `Σ w ⊙ f(x)` and the running statistics after one call. */
function run(
  f: (h: Tensor2D, bn: BatchNormState) => Tensor2D,
  x: Tensor2D,
  w: Tensor2D,
  seed: number,
) {
  const bn = state(x.shape[1], seed);
  const params = [bn.weight, bn.bias];
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(x, bn), w)), params);
  const other = state(x.shape[1], seed);
  const dx = tf.grad((h: Tensor) => tf.sum(tf.mul(f(h as Tensor2D, other), w)))(x);
  const result = {
    value: value.dataSync()[0],
    dx: dx.dataSync() as Float32Array,
    dGamma: grads[bn.weight.name].dataSync() as Float32Array,
    dBeta: grads[bn.bias.name].dataSync() as Float32Array,
    mean: bn.runningMean.dataSync() as Float32Array,
    variance: bn.runningVar.dataSync() as Float32Array,
  };
  tf.dispose([
    value,
    dx,
    ...Object.values(grads),
    ...Object.values(bn),
    ...Object.values(other),
  ] as Tensor[]);
  return result;
}

Deno.test("BatchNorm + ReLU on wasm: output, gradients and running statistics equal the tfjs composition", async () => {
  await initBackend({ prefer: "wasm" });
  for (const [n, c] of [[37, 8], [1600, 128], [5, 4]]) {
    assert.ok(wasmBatchNormReluActive(n, c));
    const x = tf.randomNormal([n, c], 0.4, 2, "float32", n) as Tensor2D;
    const w = tf.randomNormal([n, c], 0, 1, "float32", c) as Tensor2D;
    const composed = run((h, bn) => tf.relu(batchNormTrain(h, bn)), x, w, 3);
    const before = tf.memory().numTensors;
    const fused = run(batchNormReluTrain, x, w, 3);
    assert.equal(tf.memory().numTensors, before, "the fused op leaves no tensor");
    const label = `N ${n}, C ${c}`;
    assertClose(fused.value, composed.value, { rtol: 1e-5, atol: 1e-5, label: `${label} value` });
    for (const key of ["dx", "dGamma", "dBeta", "mean", "variance"] as const) {
      const scale = Float64Array.from(composed[key]).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assertClose(fused[key], composed[key], {
        rtol: 1e-5,
        atol: 1e-6 * scale,
        label: `${label} ${key}`,
      });
    }
    tf.dispose([x, w]);
  }
  // the fused kernels run, and only where the columns are whole f32x4 groups
  const x = tf.randomNormal([6, 8]) as Tensor2D;
  const bn = state(8, 1);
  const { kernelNames, result } = await tf.profile(() =>
    tf.grad((h: Tensor) => tf.sum(batchNormReluTrain(h as Tensor2D, bn)))(x)
  );
  assert.ok(kernelNames.includes(BATCH_NORM_RELU_KERNELS.forward), kernelNames.join(" "));
  assert.ok(kernelNames.includes(BATCH_NORM_RELU_KERNELS.backward), kernelNames.join(" "));
  assert.equal(wasmBatchNormReluActive(6, 6), false);
  tf.dispose([x, result as Tensor, ...Object.values(bn)] as Tensor[]);
  await initBackend({ prefer: "cpu" });
  assert.equal(wasmBatchNormReluActive(6, 8), false);
});

Deno.test("BatchNorm + ReLU on wasm: a column with no positive output gets zero gradients", async () => {
  await initBackend({ prefer: "wasm" });
  const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 2, 1, 0, 9, 4, 3, 2, 1], [4, 4]);
  const bn = state(4, 7);
  bn.bias.assign(tf.tensor1d([-10, 0, 0, 0])); // column 0: every output clipped by the ReLU
  const grads = tf.variableGrads(() => tf.sum(batchNormReluTrain(x, bn)) as tf.Scalar, [
    bn.weight,
    bn.bias,
  ]);
  assert.equal(grads.grads[bn.weight.name].dataSync()[0], 0);
  assert.equal(grads.grads[bn.bias.name].dataSync()[0], 0);
  tf.dispose(
    [x, grads.value, ...Object.values(grads.grads), ...Object.values(bn)] as (Tensor | Tensor1D)[],
  );
});
