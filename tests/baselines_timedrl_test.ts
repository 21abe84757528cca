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
import {
  baselinesGolden,
  eachBackend,
  expectClose,
  smokePretrain,
  tensorOf,
} from "./_baselines_golden.ts";

eachBackend("timedrl golden: patching, loss parts and gradients", async () => {
  assert.equal(baselinesGolden.timedrl.length, 1);
  for (const c of baselinesGolden.timedrl) {
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
  }
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

Deno.test("timedrl: pretrain runs two steps with finite loss and no leaked tensors", async () => {
  await smokePretrain(timedrlBaseline, { T: 16, F: 4 });
});

eachBackend("timedrl patched embedding and MSE equal the dense patch forms", async () => {
  const [b, t, f, d] = [2, 13, 3, 5], width = f * TIMEDRL_PATCH;
  const x = tf.randomNormal([b, t, f], 0, 1, "float32", 1) as Tensor3D;
  const cls = tf.randomNormal([1, 1, width], 0, 1, "float32", 2);
  const w = tf.randomNormal([f, width], 0, 0.3, "float32", 3) as Tensor2D;
  const bias = tf.randomNormal([f], 0, 1, "float32", 4) as tf.Tensor1D;
  const h = tf.randomNormal([b * (t - 1), d], 0, 1, "float32", 5) as Tensor2D;
  const v = tf.randomNormal([width, d], 0, 0.3, "float32", 6) as Tensor2D;
  const c = tf.randomNormal([width], 0, 1, "float32", 7) as tf.Tensor1D;
  const denseEmbed = (ww: tf.Tensor) => {
    const tokens = tf.concat([tf.tile(cls, [b, 1, 1]), timedrlPatch(x)], 1);
    const rows = tf.add(tf.matMul(tf.reshape(tokens, [b * t, width]), ww, false, true), bias);
    return tf.reshape(rows, [b, t, f]);
  };
  const denseMse = (hh: tf.Tensor) => {
    const pred = tf.add(tf.matMul(hh as Tensor2D, v, false, true), c);
    return tf.mean(tf.square(tf.sub(tf.reshape(pred, [b, t - 1, width]), timedrlPatch(x))));
  };
  const probe = tf.randomNormal([b, t, f], 0, 1, "float32", 8);
  const embedScore = (f1: (ww: tf.Tensor) => tf.Tensor) => (ww: tf.Tensor) =>
    tf.sum(tf.mul(f1(ww), probe));
  const fast = (ww: tf.Tensor) => patchEmbed(padEnd(x), cls, ww as Tensor2D, bias);
  const pairs: [tf.Tensor, tf.Tensor, string][] = [
    [denseEmbed(w), fast(w), "embedding"],
    [tf.grad(embedScore(denseEmbed))(w), tf.grad(embedScore(fast))(w), "embedding dW"],
    [denseMse(h), patchMse(h, v, c, padEnd(x)), "mse"],
    [tf.grad(denseMse)(h), tf.grad((hh) => patchMse(hh as Tensor2D, v, c, padEnd(x)))(h), "mse dh"],
  ];
  for (const [want, got, label] of pairs) {
    assertClose(await got.data(), await want.data(), { rtol: 1e-4, atol: 1e-5, label });
  }
  tf.dispose([x, cls, w, bias, h, v, c, probe, ...pairs.flatMap(([a, g]) => [a, g])]);
});
