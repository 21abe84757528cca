import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor1D, Tensor2D, Tensor3D } from "../lib/tf.ts";
import { costBaseline, costLossParts, irfftTime, rfftTime } from "../lib/baselines/mod.ts";
import { assertClose } from "./_util.ts";
import { initBackend } from "../lib/backend.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { CostHead } from "../lib/baselines/mod.ts";
import {
  eachBackend,
  eachGoldenCase,
  expectClose,
  syntheticBatches,
  tensorOf,
} from "./_baselines_golden.ts";
import type { GoldenTensor } from "./_baselines_golden.ts";

function headOf(h: Record<string, GoldenTensor>, name: string): CostHead {
  const lin = (i: number) => ({
    weight: tensorOf<Tensor2D>(h[`${name}.${i}.weight`]),
    bias: tensorOf<Tensor1D>(h[`${name}.${i}.bias`]),
  });
  return { first: lin(0), second: lin(2) };
}

eachGoldenCase(
  "cost",
  2,
  "cost golden: q, k, MoCo, amplitude, phase, loss and gradients",
  async (c) => {
    assert.equal(c.encoderParamsRequireGradAfterInit, false);
    const headQ = headOf(c.heads, "head_q"), headK = headOf(c.heads, "head_k");
    const tq = tensorOf<Tensor2D>(c.trendQ_atR), tk = tensorOf<Tensor2D>(c.trendK_atR);
    const sq = tensorOf<Tensor3D>(c.seasonQ), sk = tensorOf<Tensor3D>(c.seasonK);
    const queue = tensorOf<Tensor2D>(c.queue);
    const parts = costLossParts(tq, tk, sq, sk, queue, headQ, headK);
    for (const key of ["q", "k", "ampQ", "phaseQ"] as const) {
      await expectClose(parts[key], c.expected[key], `${c.name} ${key}`);
    }
    for (const key of ["lossMoCo", "lossAmp", "lossPhase", "loss"] as const) {
      await expectClose(parts[key], c.expected[key], `${c.name} ${key}`);
    }
    const f = (a: tf.Tensor, b: tf.Tensor) =>
      costLossParts(a as Tensor2D, tk, b as Tensor3D, sk, queue, headQ, headK).loss;
    const { value, grads } = tf.valueAndGrads(f)([tq, sq]);
    await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
    await expectClose(grads[0], c.expected.gradTrendQ, `${c.name} gradTrendQ`);
    await expectClose(grads[1], c.expected.gradSeasonQ, `${c.name} gradSeasonQ`);
    tf.dispose([tq, tk, sq, sk, queue, value, ...grads, headQ, headK] as unknown as tf.Tensor[]);
    tf.dispose(Object.values(parts));
  },
);

Deno.test("cost: the encoder stays at its random init, only head_q trains", async () => {
  await initBackend({ prefer: "wasm" });
  const encoder = costBaseline.createEncoder({ inFeatures: 3, seed: 1, T: 12 });
  assert.deepEqual(Object.keys(encoder.params).sort(), [
    "head_q.0.bias",
    "head_q.0.weight",
    "head_q.2.bias",
    "head_q.2.weight",
  ]);
  const before = encoder.stateDict();
  const objective = costBaseline.createObjective({ seed: 2, T: 12, paperConfig: "HARTH" });
  await pretrain({
    encoder,
    objective,
    batches: syntheticBatches(8, 12, 3, 3),
    steps: 2,
    mode: "reference",
  });
  const after = encoder.stateDict();
  const same = (k: string) => before[k].values.every((v, i) => v === after[k].values[i]);
  assert.ok(same("encoder_q.feature_extractor.conv1.weight"), "FP frozen");
  assert.ok(same("encoder_q.feature_extractor.bn3.weight"), "FP frozen");
  assert.ok(!same("encoder_q.feature_extractor.bn1.running_mean"), "BN statistics move");
  assert.ok(!same("head_q.0.weight"), "head_q trains");
  encoder.dispose();
  costBaseline.dispose?.();
});

eachBackend("cost irfft inverts rfft over time (even and odd T)", async () => {
  for (const t of [8, 7]) {
    const values = Array.from({ length: 2 * t * 3 }, (_, i) => Math.sin(i * 1.3) + (i % 5));
    const x = tf.tensor3d(values, [2, t, 3]);
    const [re, im] = rfftTime(x);
    const back = irfftTime(re, im, t);
    assertClose(await back.data(), values, { rtol: 1e-5, atol: 1e-5, label: `T = ${t}` });
    tf.dispose([x, re, im, back]);
  }
});
