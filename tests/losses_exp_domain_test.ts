import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { expOffDiagonal, negMeanLogRatio, neighbourTerms } from "../lib/losses/mod.ts";

const close = (got: ArrayLike<number>, want: number[]) => {
  assert.equal(got.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-5, `[${i}] ${got[i]} vs ${w}`));
};

Deno.test("expOffDiagonal: exp(X) with a zero diagonal; an infinite diagonal gives NaN", async () => {
  await initBackend({ prefer: "wasm" });
  const e = expOffDiagonal(tf.tensor2d([[0, 1], [2, 100]]));
  close(e.dataSync().slice(0, 3), [0, Math.E, Math.exp(2)]);
  assert.ok(Number.isNaN(e.dataSync()[3]));
  e.dispose();
});

Deno.test("neighbourTerms: hand-computed numerator and denominator, with and without f", async () => {
  await initBackend({ prefer: "wasm" });
  const e = tf.tensor2d([[0, 1, 2, 3], [4, 0, 5, 6], [7, 8, 0, 9], [10, 11, 12, 0]]) as Tensor2D;
  const lower = tf.tensor1d([4, 8, 12]) as Tensor1D;
  // k = 0, 1: left = ℓ_k, right = ℓ_{k+1}; column sums 21, 20, 19
  const plain = neighbourTerms(e, lower);
  close(plain.numerator.dataSync(), [12, 20]);
  close(plain.denominator.dataSync(), [(21 - 4) + (20 - 12), (20 - 8) + (19 - 20)]);
  const doubled = neighbourTerms(e, lower, (x) => tf.mul(x, 2) as Tensor1D);
  close(doubled.numerator.dataSync(), [24, 40]);
  close(doubled.denominator.dataSync(), [(21 - 8) + (20 - 24), (20 - 16) + (19 - 40)]);
  tf.dispose([e, lower, plain, doubled] as unknown as tf.TensorContainer);
});

Deno.test("negMeanLogRatio: −mean log(num/den)", async () => {
  await initBackend({ prefer: "wasm" });
  const l = negMeanLogRatio(tf.tensor1d([1, 2]), tf.tensor1d([2, 8]));
  close([l.dataSync()[0]], [-(Math.log(0.5) + Math.log(0.25)) / 2]);
  l.dispose();
});
