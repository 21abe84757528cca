import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor1D, Tensor2D, Tensor3D } from "../lib/tf.ts";
import {
  geometricKeepMask,
  simmtmBaseline,
  simmtmLossParts,
  simmtmMaskedBatch,
} from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import {
  baselinesGolden,
  eachBackend,
  expectClose,
  smokePretrain,
  tensorOf,
} from "./_baselines_golden.ts";

eachBackend("simmtm golden: similarity, L_cl, L_rb, L and dL/dz", async () => {
  assert.equal(baselinesGolden.simmtm.length, 1);
  for (const c of baselinesGolden.simmtm) {
    const z = tensorOf<Tensor2D>(c.z), xOm = tensorOf<Tensor3D>(c.xOm);
    const head = {
      weight: tensorOf<Tensor2D>(c.head.weight),
      bias: tensorOf<Tensor1D>(c.head.bias),
    };
    const sigma = c.awlParams as [number, number];
    const parts = simmtmLossParts(z, xOm, head, sigma);
    await expectClose(parts.similarity, c.expected.similarity, `${c.name} similarity`);
    await expectClose(parts.lossCl, c.expected.lossCl, `${c.name} lossCl`);
    await expectClose(parts.lossRb, c.expected.lossRb, `${c.name} lossRb`);
    await expectClose(parts.loss, c.expected.loss, `${c.name} loss`);
    const { value, grad } = tf.valueAndGrad((zz: Tensor2D) =>
      simmtmLossParts(zz, xOm, head, sigma).loss
    )(z);
    await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
    await expectClose(grad, c.expected.gradZ, `${c.name} gradZ`);
    tf.dispose([z, xOm, head.weight, head.bias, value, grad]);
    tf.dispose([parts.similarity, parts.lossCl, parts.lossRb, parts.loss]);
  }
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

Deno.test("simmtm: pretrain runs two steps with finite loss and no leaked tensors", async () => {
  await smokePretrain(simmtmBaseline, { T: 8, F: 3 });
});
