import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor1D, Tensor2D, Tensor3D } from "../lib/tf.ts";
import {
  geometricKeepMask,
  similarityAggregate,
  SIMMTM_BLOCK,
  SIMMTM_TEMPERATURE,
  simmtmLossParts,
  simmtmMaskedBatch,
  simmtmSimilarity,
} from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import { OptionError } from "../lib/errors.ts";
import { assertClose } from "./_util.ts";
import { eachBackend, eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

eachGoldenCase("simmtm", 1, "simmtm golden: similarity, L_cl, L_rb, L and dL/dz", async (c) => {
  const z = tensorOf<Tensor2D>(c.z), xOm = tensorOf<Tensor3D>(c.xOm);
  const head = {
    weight: tensorOf<Tensor2D>(c.head.weight),
    bias: tensorOf<Tensor1D>(c.head.bias),
  };
  const sigma = c.awlParams as [number, number];
  const parts = simmtmLossParts(z, xOm, head, sigma);
  const similarity = simmtmSimilarity(z);
  await expectClose(similarity, c.expected.similarity, `${c.name} similarity`);
  await expectClose(parts.lossCl, c.expected.lossCl, `${c.name} lossCl`);
  await expectClose(parts.lossRb, c.expected.lossRb, `${c.name} lossRb`);
  await expectClose(parts.loss, c.expected.loss, `${c.name} loss`);
  const { value, grad } = tf.valueAndGrad((zz: Tensor2D) =>
    simmtmLossParts(zz, xOm, head, sigma).loss
  )(z);
  await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
  await expectClose(grad, c.expected.gradZ, `${c.name} gradZ`);
  tf.dispose([z, xOm, head.weight, head.bias, value, grad]);
  tf.dispose([similarity, parts.lossCl, parts.lossRb, parts.loss]);
});

Deno.test("simmtm masks: runs alternate, about half masked, copies 1..3 masked per feature", () => {
  const rng = makeRng(3);
  let kept = 0;
  for (let i = 0; i < 200; i++) kept += geometricKeepMask(100, rng).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(kept / 20000 - 0.5) < 0.05, `${kept / 20000}`);
  const x = Float32Array.from({ length: 2 * 5 * 3 }, (_, i) => i + 1);
  const out = simmtmMaskedBatch(x, 2, 5, 3, rng);
  assert.equal(out.length, 4 * x.length);
  assert.deepEqual(out.slice(0, x.length), x);
  for (let i = x.length; i < out.length; i++) assert.ok(out[i] === 0 || out[i] === x[i % x.length]);
  // one mask per (copy, feature), shared by both sequences
  for (let k = 1; k <= 3; k++) {
    for (let i = 0; i < 15; i++) assert.equal(out[k * 30 + i] === 0, out[k * 30 + 15 + i] === 0);
  }
});

eachBackend(
  "simmtm blocked aggregation equals the dense one across blocks (R = 1100)",
  async () => {
    const r = 1100, d = 6, tau = SIMMTM_TEMPERATURE;
    assert.ok(r > 2 * SIMMTM_BLOCK);
    const z = tf.randomNormal([r, d], 0, 1, "float32", 7) as Tensor2D;
    const probe = tf.randomNormal([r, d + 1], 0, 1, "float32", 8);
    const dense = (zz: Tensor2D) => {
      const u = tf.div(zz, tf.norm(zz, "euclidean", 1, true)) as Tensor2D;
      const x = tf.sub(tf.div(tf.matMul(u, u, false, true), tau), tf.mul(tf.eye(r), 1e12));
      const lse = tf.logSumExp(x, 1, true);
      return tf.concat([tf.matMul(tf.softmax(x), zz), lse], 1);
    };
    const blocked = (zz: Tensor2D) => {
      const u = tf.div(zz, tf.norm(zz, "euclidean", 1, true)) as Tensor2D;
      const { lse, rebuilt } = similarityAggregate(u, zz, tau);
      return tf.concat([rebuilt, tf.reshape(lse, [r, 1])], 1);
    };
    const score = (f: (zz: Tensor2D) => tf.Tensor) => (zz: tf.Tensor) =>
      tf.sum(tf.mul(f(zz as Tensor2D), probe));
    const [vd, vb] = [dense(z), blocked(z)];
    const [gd, gb] = [tf.grad(score(dense))(z), tf.grad(score(blocked))(z)];
    const scale = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const dVals = await vd.data() as Float32Array, dGrads = await gd.data() as Float32Array;
    assertClose(await vb.data(), dVals, { rtol: 1e-4, atol: 1e-5 * scale(dVals), label: "value" });
    assertClose(await gb.data(), dGrads, { rtol: 1e-4, atol: 1e-5 * scale(dGrads), label: "grad" });
    tf.dispose([z, probe, vd, vb, gd, gb]);
  },
);

Deno.test("simmtm aggregation refuses a temperature at which exp(1/τ) overflows float32", () => {
  const z = tf.ones([3, 2]) as Tensor2D;
  assert.throws(() => similarityAggregate(z, z, 0.01), OptionError);
  assert.throws(() => similarityAggregate(z, z, Number.NaN), /temperature NaN/);
  tf.dispose(z);
});
