import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import { TNC_WINDOW, tncDiscriminate, tncDraw, tncLossParts } from "../lib/baselines/mod.ts";
import type { TncDiscriminator } from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import { eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

eachGoldenCase(
  "tnc",
  2,
  "tnc golden: logits, loss parts and gradients (dropout off)",
  async (c) => {
    const g = c.discriminator;
    const disc: TncDiscriminator = {
      first: { weight: tensorOf(g["model.0.weight"]), bias: tensorOf(g["model.0.bias"]) },
      second: { weight: tensorOf(g["model.3.weight"]), bias: tensorOf(g["model.3.bias"]) },
    };
    const zt = tensorOf<Tensor3D>(c.zt),
      zp = tensorOf<Tensor3D>(c.zp),
      zn = tensorOf<Tensor3D>(c.zn);
    const dP = tncDiscriminate(zt, zp, disc), dN = tncDiscriminate(zt, zn, disc);
    await expectClose(dP, c.expected.dP, `${c.name} dP`);
    await expectClose(dN, c.expected.dN, `${c.name} dN`);
    const parts = tncLossParts(zt, zp, zn, disc, { w: c.w });
    for (const key of ["pLoss", "nLoss", "nLossU", "loss"] as const) {
      await expectClose(parts[key], c.expected[key], `${c.name} ${key}`);
    }
    const f = (a: tf.Tensor, p: tf.Tensor, n: tf.Tensor) =>
      tncLossParts(a as Tensor3D, p as Tensor3D, n as Tensor3D, disc, { w: c.w }).loss;
    const { value, grads } = tf.valueAndGrads(f)([zt, zp, zn]);
    await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
    await expectClose(grads[0], c.expected.gradZt, `${c.name} gradZt`);
    await expectClose(grads[1], c.expected.gradZp, `${c.name} gradZp`);
    await expectClose(grads[2], c.expected.gradZn, `${c.name} gradZn`);
    tf.dispose([zt, zp, zn, dP, dN, value, ...grads, parts.pLoss, parts.nLoss, parts.nLossU]);
    tf.dispose([parts.loss, disc.first.weight, disc.first.bias, disc.second.weight]);
    tf.dispose(disc.second.bias);
  },
);

Deno.test("tnc draws: anchor in [2W, W·B − 2W), neighbours inside the spec's ranges", () => {
  const rng = makeRng(2), W = TNC_WINDOW;
  for (const Ts of [119, 200]) {
    for (let k = 0; k < 200; k++) {
      const d = tncDraw(8, Ts, rng);
      assert.ok(d.anchor >= 2 * W && d.anchor < 8 * W - 2 * W, `${d.anchor}`);
      for (const p of d.positives) assert.ok(p >= W / 2 + 1 && p <= Ts - W / 2, `p ${p}`);
      for (const n of d.negatives) {
        if (d.anchor > Ts / 2) assert.ok(n >= W / 2 && n < Math.max(d.anchor - 99, W / 2 + 1));
        else assert.ok(n >= Math.min(d.anchor + 100, Ts - W - 1) && n < Ts - W / 2, `n ${n}`);
      }
    }
  }
});
