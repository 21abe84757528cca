import assert from "node:assert/strict";
import { encoderFlops, gramFlops, nnFlops, splitStep } from "../bench/step_parts.ts";

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
  assert.equal(gramFlops(200, 8), nnFlops(200, 8));
  assert.equal(gramFlops(256, 8), 10 * 2 * 64 * 64 * 8);
  // runs of 400 at N = 1600: 10 of 16 blocks
  assert.equal(gramFlops(1600, 320), (10 / 16) * nnFlops(1600, 320));
});
