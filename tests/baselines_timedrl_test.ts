import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor2D, Tensor3D } from "../lib/tf.ts";
import {
  padEnd,
  patchEmbed,
  patchMse,
  sinusoidalPositions,
  TIMEDRL_PATCH,
  timedrlBaseline,
  timedrlLoss,
  timedrlPatch,
} from "../lib/baselines/mod.ts";
import { assertClose } from "./_util.ts";
import { eachBackend, eachGoldenCase, expectClose, tensorOf } from "./_baselines_golden.ts";

eachGoldenCase("timedrl", 1, "timedrl golden: patching, loss parts and gradients", async (c) => {
  assert.equal(c.patchLen, 10);
  const x = tensorOf<Tensor3D>(c.x);
  const target = timedrlPatch(x);
  await expectClose(target, c.expected.patchTarget, `${c.name} patchTarget`);
  const [p1, p2] = [tensorOf<Tensor3D>(c.xPred1), tensorOf<Tensor3D>(c.xPred2)];
  const [i1, i2] = [tensorOf<Tensor2D>(c.i1), tensorOf<Tensor2D>(c.i2)];
  const [q1, q2] = [tensorOf<Tensor2D>(c.i1Pred), tensorOf<Tensor2D>(c.i2Pred)];
  const parts = timedrlLoss(target, p1, p2, i1, i2, q1, q2);
  await expectClose(parts.predictive, c.expected.predictiveLoss, `${c.name} predictive`);
  await expectClose(parts.contrastive, c.expected.contrastiveLoss, `${c.name} contrastive`);
  await expectClose(parts.loss, c.expected.loss, `${c.name} loss`);
  const f = (a: tf.Tensor, b: tf.Tensor, c1: tf.Tensor, d: tf.Tensor) =>
    timedrlLoss(target, a as Tensor3D, p2, b as Tensor2D, i2, c1 as Tensor2D, d as Tensor2D).loss;
  const { value, grads } = tf.valueAndGrads(f)([p1, i1, q1, q2]);
  await expectClose(value, c.expected.loss, `${c.name} loss (grad pass)`);
  await expectClose(grads[0], c.expected.gradXPred1, `${c.name} gradXPred1`);
  assert.equal(c.expected.gradI1IsNone, true);
  assert.deepEqual(Array.from(await grads[1].data()).every((v) => v === 0), true, "i1 detached");
  await expectClose(grads[2], c.expected.gradI1Pred, `${c.name} gradI1Pred`);
  await expectClose(grads[3], c.expected.gradI2Pred, `${c.name} gradI2Pred`);
  tf.dispose([x, target, p1, p2, i1, i2, q1, q2, value, ...grads]);
  tf.dispose([parts.predictive, parts.contrastive, parts.loss]);
});

Deno.test("timedrl patching replicates the last frame: hand-computed T = 3, F = 2", async () => {
  // x[0, t, c] = 10·t + c; patch n, feature c·10 + p reads frame min(n + p, 2).
  const x = tf.tensor3d([0, 1, 10, 11, 20, 21], [1, 3, 2]);
  const p = timedrlPatch(x);
  assert.deepEqual(p.shape, [1, 2, 20]);
  const v = Array.from(await p.data());
  assert.deepEqual(v.slice(0, 10), [0, 10, 20, 20, 20, 20, 20, 20, 20, 20]);
  assert.deepEqual(v.slice(10, 20), [1, 11, 21, 21, 21, 21, 21, 21, 21, 21]);
  assert.deepEqual(v.slice(20, 30), [10, 20, 20, 20, 20, 20, 20, 20, 20, 20]);
  tf.dispose([x, p]);
});

Deno.test("timedrl positions: sin at even, cos at odd columns", () => {
  const pe = sinusoidalPositions(3, 4);
  assert.equal(pe[0], 0);
  assert.equal(pe[1], 1);
  assert.ok(Math.abs(pe[4] - Math.sin(1)) < 1e-7);
  assert.ok(Math.abs(pe[7] - Math.cos(1 / 100)) < 1e-7);
});

Deno.test("timedrl: every net parameter is trained; encode is the FP on raw frames", () => {
  const enc = timedrlBaseline.createEncoder({ inFeatures: 4, seed: 1, T: 12 });
  const names = Object.keys(enc.params);
  for (const n of ["cls_token", "input_layer.token.weight", "encoder.conv1.weight"]) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(names.includes("contrastive_predictor.4.bias"));
  const z = tf.tidy(() => enc.apply(tf.ones([1, 12, 4]) as Tensor3D, { training: false }));
  assert.deepEqual(z.shape, [1, 12, 320]);
  z.dispose();
  enc.dispose();
});

eachBackend("timedrl patched embedding and MSE equal the dense patch forms", async () => {
  const [b, t, f, d] = [2, 13, 3, 5], width = f * TIMEDRL_PATCH;
  const normal = (shape: number[], seed: number, std = 1) =>
    tf.randomNormal(shape, 0, std, "float32", seed);
  const x = normal([b, t, f], 1) as Tensor3D;
  const embedInputs = [normal([1, 1, width], 2), normal([f, width], 3, 0.3), normal([f], 4)];
  const mseInputs = [normal([b * (t - 1), d], 5), normal([width, d], 6, 0.3), normal([width], 7)];
  const pairInputs = [normal([b * (t - 1), d], 9), ...mseInputs];
  const probe = normal([b, t, f], 8);
  const denseEmbed = (cls: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) => {
    const tokens = tf.concat([tf.tile(cls, [b, 1, 1]), timedrlPatch(x)], 1);
    const rows = tf.add(tf.matMul(tf.reshape(tokens, [b * t, width]), w, false, true), bias);
    return tf.sum(tf.mul(tf.reshape(rows, [b, t, f]), probe));
  };
  const fastEmbed = (cls: tf.Tensor, w: tf.Tensor, bias: tf.Tensor) =>
    tf.sum(tf.mul(patchEmbed(padEnd(x), cls, w as Tensor2D, bias as tf.Tensor1D), probe));
  const denseMse = (h: tf.Tensor, v: tf.Tensor, c: tf.Tensor) => {
    const pred = tf.add(tf.matMul(h, v, false, true), c);
    return tf.mean(tf.square(tf.sub(tf.reshape(pred, [b, t - 1, width]), timedrlPatch(x))));
  };
  const fastMse = (h: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
    patchMse([h as Tensor2D], v as Tensor2D, c as tf.Tensor1D, padEnd(x));
  const densePair = (h2: tf.Tensor, h1: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
    tf.mul(0.5, tf.add(denseMse(h1, v, c), denseMse(h2, v, c)));
  const fastPair = (h2: tf.Tensor, h1: tf.Tensor, v: tf.Tensor, c: tf.Tensor) =>
    patchMse([h1, h2] as Tensor2D[], v as Tensor2D, c as tf.Tensor1D, padEnd(x));
  type Loss = (...inputs: tf.Tensor[]) => tf.Scalar;
  const checks: [tf.Tensor[], Loss, Loss, string][] = [
    [embedInputs, denseEmbed as Loss, fastEmbed as Loss, "embedding"],
    [mseInputs, denseMse as Loss, fastMse as Loss, "mse"],
    [pairInputs, densePair as Loss, fastPair as Loss, "mse of two passes"],
  ];
  for (const [inputs, dense, fast, label] of checks) {
    const want = tf.valueAndGrads(dense)(inputs);
    const got = tf.valueAndGrads(fast)(inputs);
    assertClose((await got.value.data())[0], (await want.value.data())[0], {
      rtol: 1e-5,
      label,
    });
    for (let i = 0; i < inputs.length; i++) {
      const [g, w] = [await got.grads[i].data(), await want.grads[i].data()];
      assertClose(g, w, { rtol: 1e-4, atol: 1e-5, label: `${label} grad ${i}` });
    }
    tf.dispose([want.value, got.value, ...want.grads, ...got.grads]);
  }
  tf.dispose([x, probe, ...embedInputs, ...pairInputs]);
});
