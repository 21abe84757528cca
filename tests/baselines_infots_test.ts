import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import {
  INFOTS_AUGS,
  infotsGlobalLoss,
  infotsLocalLoss,
  infotsLocalPairs,
  infotsLoss,
} from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import { eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

eachGoldenCase("infots", 2, "infots golden: global, local, loss and gradients", async (c) => {
  assert.equal(c.k, 8);
  const o1 = tensorOf<Tensor3D>(c.o1), o2 = tensorOf<Tensor3D>(c.o2);
  const g = infotsGlobalLoss(o1, o2), l = infotsLocalLoss(o1, c.localStart);
  await expectClose(g, c.expected.global, `${c.name} global`);
  await expectClose(l, c.expected.local, `${c.name} local`);
  const f = (a: tf.Tensor, b: tf.Tensor) => infotsLoss(a as Tensor3D, b as Tensor3D, c.localStart);
  const { value, grads } = tf.valueAndGrads(f)([o1, o2]);
  await expectClose(value, c.expected.loss, `${c.name} loss`);
  await expectClose(grads[0], c.expected.gradO1, `${c.name} gradO1`);
  await expectClose(grads[1], c.expected.gradO2, `${c.name} gradO2`);
  tf.dispose([o1, o2, g, l, value, ...grads]);
});

Deno.test("infots local pairs: every row keeps its positive and 5 negatives", () => {
  const { positive, allowed } = infotsLocalPairs(8);
  assert.deepEqual(positive, [1, 2, 3, 4, 5, 6, 7, 6]);
  for (const row of allowed) assert.equal(row.reduce((a, b) => a + b, 0), 6);
  assert.equal(allowed[0][2], 0);
  assert.equal(allowed[7][5], 0);
});

Deno.test("infots augmentations keep the shape and are seeded", () => {
  const B = 2, T = 30, F = 3;
  const data = Float32Array.from({ length: B * T * F }, (_, i) => Math.sin(i));
  for (const aug of INFOTS_AUGS) {
    const a = aug({ data, B, T, F }, makeRng(7)), b = aug({ data, B, T, F }, makeRng(7));
    assert.equal(a.length, data.length, aug.name);
    assert.deepEqual(a, b, aug.name);
    assert.ok(a.every(Number.isFinite), aug.name);
  }
});
