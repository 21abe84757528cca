import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import { softcltBaseline, softLoss } from "../lib/baselines/mod.ts";
import { eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

eachGoldenCase("soft", 2, "soft golden: hierarchical loss and dL/dz1, dL/dz2", async (c) => {
  assert.equal(c.lambda, 0.5);
  assert.equal(c.temporalUnit, 0);
  const z1 = tensorOf<Tensor3D>(c.z1), z2 = tensorOf<Tensor3D>(c.z2);
  const { value, grads } = tf.valueAndGrads((a, b) => softLoss(a as Tensor3D, b as Tensor3D))([
    z1,
    z2,
  ]);
  await expectClose(value, c.expected.loss, `${c.name} loss`);
  await expectClose(grads[0], c.expected.gradZ1, `${c.name} gradZ1`);
  await expectClose(grads[1], c.expected.gradZ2, `${c.name} gradZ2`);
  tf.dispose([z1, z2, value, ...grads]);
});

Deno.test("softclt: the encoder is Linear → FeatureProjector with every parameter trained", () => {
  const encoder = softcltBaseline.createEncoder({ inFeatures: 5, seed: 1, T: 16 });
  const names = Object.keys(encoder.params);
  assert.ok(names.includes("input_fc.weight"), names.join());
  assert.ok(names.some((n) => n.startsWith("feature_extractor.conv1")), names.join());
  assert.equal(encoder.outFeatures, 320);
  encoder.dispose();
});
