import assert from "node:assert/strict";
import { encoderFlops, gramFlops, nnFlops, splitStep } from "../bench/step_parts.ts";
import { PRODUCT_KERNELS, tapFlops, timeKernels } from "../bench/kernel_timer.ts";
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";

Deno.test("step parts: flop counts of the FeatureProjector and the N×N products", () => {
  // F = 2, D = 3, N = 1: forward 2·(2·128 + 128·64 + 64·3) = 17 280, as much for ∂W,
  // input gradients of layers 2 and 3: 2·(128·64 + 64·3) = 16 768.
  assert.equal(encoderFlops(1, 2, 3), 2 * 17_280 + 16_768);
  assert.equal(encoderFlops(10, 2, 3), 10 * encoderFlops(1, 2, 3));
  assert.equal(nnFlops(1600, 320), 2 * 1600 * 1600 * 320);
});

Deno.test("step parts: the loss less its products, and the remainder of the step", () => {
  const parts = { stepMs: 100, uploadMs: 1, encoderMs: 20, lossMs: 60, nnMs: 45, adamwMs: 2 };
  assert.deepEqual(splitStep(parts), { lossRestMs: 15, otherMs: 17 });
});

Deno.test("step parts: S = U·Uᵀ is counted as the losses multiply it", () => {
  // below 256 rows one product; from 256, 4 runs of 64: 10 blocks of 64 × 64
  assert.equal(gramFlops(200, 8, "blocks"), nnFlops(200, 8));
  assert.equal(gramFlops(200, 8, "tiles"), nnFlops(200, 8));
  assert.equal(gramFlops(256, 8, "blocks"), 10 * 2 * 64 * 64 * 8);
  // runs of 400 at N = 1600: 10 of 16 blocks
  assert.equal(gramFlops(1600, 320, "blocks"), (10 / 16) * nnFlops(1600, 320));
  // on wasm the GEMM's 5 × 8 tiles that meet j ≤ i: the entries they cover, counted one by one
  for (const n of [256, 301, 1600]) {
    let entries = 0;
    for (let i = 0; i < n; i++) {
      const block = Math.floor(i / 5), last = Math.floor(Math.min(5 * block + 4, n - 1) / 8);
      entries += Math.min(n, 8 * (last + 1));
    }
    assert.equal(gramFlops(n, 3, "tiles"), 2 * 3 * entries, `N ${n}`);
    // the lower triangle and, per row, less than a tile's width and height beyond it
    assert.ok(entries > (n * n) / 2 && entries < (n * n) / 2 + 13 * n, `N ${n}: ${entries}`);
  }
});

Deno.test("kernel timer: counts the calls and flops of the timed kernels and puts them back", async () => {
  await initBackend({ prefer: "wasm" });
  const before = tf.getKernel("BatchMatMul", "wasm");
  const a = tf.ones([2, 3, 4]), b = tf.ones([4, 5]);
  const totals = await timeKernels(PRODUCT_KERNELS, () => {
    tf.matMul(a, tf.reshape(b, [1, 4, 5]) as tf.Tensor3D).dispose();
    tf.matMul(tf.ones([4, 3]), tf.ones([4, 6]), true, false).dispose();
    return Promise.resolve();
  });
  assert.equal(totals.calls, 2);
  assert.equal(totals.flops, 2 * 2 * 3 * 4 * 5 + 2 * 3 * 4 * 6);
  assert.ok(totals.ms >= 0);
  assert.equal(tf.getKernel("BatchMatMul", "wasm"), before, "the kernel is put back");
  tf.dispose([a, b]);
});

Deno.test("kernel timer: the tap kernels' flops, three taps or the centre alone", () => {
  const info = (shape: number[]) => ({ shape, dtype: "float32", dataId: {} }) as tf.TensorInfo;
  const forward = { a: info([8, 100, 64]), w: info([320, 192]), bias: info([320]) };
  assert.equal(tapFlops(forward, { dilation: 4 }), 2 * 800 * 64 * 320 * 3);
  assert.equal(tapFlops(forward, { dilation: 100 }), 2 * 800 * 64 * 320);
  const weight = { a: info([8, 100, 64]), dy: info([8, 100, 320]) };
  assert.equal(tapFlops(weight, { dilation: 4 }), 2 * 800 * 64 * 320 * 3);
  const input = { dy: info([8, 100, 320]), w: info([320, 192]), slope: info([8, 100, 64]) };
  assert.equal(tapFlops(input, { dilation: 4 }), 2 * 800 * 64 * 320 * 3);
});
