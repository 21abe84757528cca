import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import {
  coarseDistances,
  createMfclrEncoder,
  mfclrAugment,
  mfclrFeatureLoss,
  mfclrLoss,
  mfclrPath,
} from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose } from "./_util.ts";
import { eachBackend } from "./_baselines_golden.ts";

// z₁ = [1, 0], z₂ = [0.5, −1] as [B = 2, 1, 1]: the 4 vectors a, b, c, d = 1, 0, 0.5, −1.
const z1Values = [1, 0], z2Values = [0.5, -1];

/** −log softmax at the positive, over the other three of a, b, c, d (plain arithmetic). */
function handInstanceLoss(): number {
  const v = [...z1Values, ...z2Values];
  const rows = v.map((vi, i) => {
    const positive = i < 2 ? i + 2 : i - 2;
    let denominator = 0;
    for (let j = 0; j < 4; j++) if (j !== i) denominator += Math.exp(vi * v[j]);
    return -(vi * v[positive] - Math.log(denominator));
  });
  return rows.reduce((a, b) => a + b, 0) / 4;
}

eachBackend("mf-clr loss on a hand-computed case (0 coarse features)", async () => {
  const z1 = tf.tensor3d(z1Values, [2, 1, 1]), z2 = tf.tensor3d(z2Values, [2, 1, 1]);
  const none = coarseDistances([new Float32Array(0), new Float32Array(0)], [
    new Float32Array(0),
    new Float32Array(0),
  ]);
  assert.deepEqual(none, [[0, 0], [0, 0]]);
  // L_feat = ((1−0.5)² + (1+1)² + (0−0.5)² + (0+1)²)/4 = 5.5/4
  const feat = mfclrFeatureLoss(z1, z2, none);
  assertClose((await feat.data())[0], 1.375, { rtol: 1e-6, label: "L_feat" });
  const expected = (1 - 1e-5) * handInstanceLoss() + 1e-5 * 1.375;
  const loss = mfclrLoss(z1, z2, none);
  assertClose((await loss.data())[0], expected, { rtol: 1e-6, label: "L" });
  tf.dispose([z1, z2, feat, loss]);
});

eachBackend("mf-clr feature term with coarse features: s_ij from scaled distances", async () => {
  const z1 = tf.tensor3d(z1Values, [2, 1, 1]), z2 = tf.tensor3d(z2Values, [2, 1, 1]);
  const distances = coarseDistances([Float32Array.of(0), Float32Array.of(1)], [
    Float32Array.of(0),
    Float32Array.of(2),
  ]);
  assert.deepEqual(distances, [[0, 2], [1, 1]]);
  // max 2 → 1 − s = [[0, 1], [0.5, 0.5]]; D = [[0.5, 2], [0.5, 1]]
  // ((0 − 0.5)² + (1 − 2)² + (0.5 − 0.5)² + (0.5 − 1)²)/4 = 1.5/4
  const feat = mfclrFeatureLoss(z1, z2, distances);
  assertClose((await feat.data())[0], 0.375, { rtol: 1e-6, label: "L_feat" });
  tf.dispose([z1, z2, feat]);
});

Deno.test("mf-clr path: monotone steps from (T−1, 0) to (0, T−1), near the diagonal", () => {
  const rng = makeRng(4);
  for (const T of [5, 40, 200]) {
    const path = mfclrPath(T, rng);
    assert.deepEqual(path[0], [T - 1, 0]);
    assert.deepEqual(path[path.length - 1], [0, T - 1]);
    for (let k = 1; k < path.length; k++) {
      const di = path[k][0] - path[k - 1][0], dj = path[k][1] - path[k - 1][1];
      assert.ok([[-1, 0], [-1, 1], [0, 1]].some(([a, b]) => a === di && b === dj), `${di},${dj}`);
      assert.ok(Math.abs(path[k][1] - (T - 1 - path[k][0])) <= 2, `off diagonal at ${path[k]}`);
    }
  }
});

Deno.test("mf-clr augmentation: a constant series moves by at most 5% of its mean", () => {
  const B = 2, T = 30, F = 2;
  const x = new Float32Array(B * T * F).fill(2);
  const a = mfclrAugment(x, B, T, F, makeRng(1)), b = mfclrAugment(x, B, T, F, makeRng(1));
  assert.deepEqual(a, b);
  for (const v of a) assert.ok(Math.abs(v - 2) <= 0.1 + 1e-6, `${v}`);
  assert.ok(a.some((v) => v !== 2));
});

Deno.test("mf-clr SWA: encode averages the init and every update", async () => {
  const enc = createMfclrEncoder({ inFeatures: 2, seed: 1 });
  const name = "input_fc.bias";
  const p0 = Array.from(await enc.params[name].data());
  const shift = (by: number) => enc.params[name].assign(tf.add(tf.tensor1d(p0), by));
  enc.beginStep();
  shift(1);
  enc.beginStep();
  shift(3);
  const z = tf.tidy(() => enc.apply(tf.ones([1, 4, 2]) as Tensor3D, { training: false }));
  assert.equal(enc.averaged, 3);
  const avg = Array.from(await enc.swaParams[name].data());
  assertClose(avg, p0.map((v) => v + 4 / 3), { rtol: 1e-6, atol: 1e-6, label: "SWA" });
  z.dispose();
  enc.dispose();
});
