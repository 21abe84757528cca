import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor2D, Tensor3D } from "../lib/tf.ts";
import { cpcForward, cpcLoss, cpcNegatives } from "../lib/baselines/mod.ts";
import type { CpcAux } from "../lib/baselines/mod.ts";
import { makeRng } from "../lib/random.ts";
import { ShapeError } from "../lib/errors.ts";
import { baselinesGolden, eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

// deno-lint-ignore no-explicit-any
function auxOf(c: Record<string, any>): CpcAux {
  return {
    gru: {
      weightIh: tensorOf<Tensor2D>(c.gru.weight_ih_l0),
      weightHh: tensorOf<Tensor2D>(c.gru.weight_hh_l0),
      biasIh: tensorOf(c.gru.bias_ih_l0),
      biasHh: tensorOf(c.gru.bias_hh_l0),
    },
    density: {
      weight: tensorOf(c.densityEstimator.weight),
      bias: tensorOf(c.densityEstimator.bias),
    },
  };
}

eachGoldenCase("cpc", 2, "cpc golden: context, q, scores, logits, loss and dL/dZ", async (c) => {
  const aux = auxOf(c);
  const z = tensorOf<Tensor3D>(c.Z);
  assert.equal(c.posIdx, c.center + 1);
  const out = cpcForward(z, aux, c.negIdx);
  for (const key of ["context", "q", "scores", "logits"] as const) {
    await expectClose(out[key], c.expected[key], `${c.name} ${key}`);
  }
  await expectClose(out.loss, c.expected.loss, `${c.name} loss`);
  const { value, grad } = tf.valueAndGrad((zz: Tensor3D) => cpcLoss(zz, aux, c.negIdx))(z);
  await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
  await expectClose(grad, c.expected.gradZ, `${c.name} gradZ`);
  tf.dispose([z, value, grad, out.context, out.q, out.scores, out.logits, out.loss]);
  tf.dispose([aux.gru.weightIh, aux.gru.weightHh, aux.gru.biasIh, aux.gru.biasHh]);
  tf.dispose([aux.density.weight, aux.density.bias]);
});

Deno.test("cpc negatives avoid c−2..c+2 and draw ⌊T/2⌋ with replacement", () => {
  const rng = makeRng(1);
  for (const T of [20, 119, 200]) {
    const c = Math.floor(T / 2);
    const neg = cpcNegatives(T, rng);
    assert.equal(neg.length, c);
    for (const i of neg) assert.ok((i >= 0 && i <= c - 3) || (i >= c + 3 && i < T), `${i}`);
  }
  const many = cpcNegatives(200, rng);
  assert.ok(new Set(many).size < many.length, "with replacement: repeats expected at n = 100");
});

Deno.test("cpc rejects an index outside the sequence", () => {
  const z = tf.zeros([1, 12, 2]) as Tensor3D;
  const aux = auxOf(baselinesGolden.cpc[0]);
  assert.throws(() => cpcForward(z, aux, [12]), ShapeError);
  tf.dispose([z, aux.gru.weightIh, aux.gru.weightHh, aux.gru.biasIh, aux.gru.biasHh]);
  tf.dispose([aux.density.weight, aux.density.bias]);
});
