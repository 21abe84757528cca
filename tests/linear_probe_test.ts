import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { DegenerateInputError, OptionError, ShapeError } from "../lib/errors.ts";
import { type DenseMatrix, linearProbe, type LinearProbeOptions } from "../lib/metrics/mod.ts";
import { makeRng } from "../lib/random.ts";
import { tf } from "../lib/tf.ts";

const D = 16, CLASSES = 3;

/** Frames of three linearly separable classes: class c is shifted by +4 along axis c. */
function toyFrames(n: number, seed: number): { x: DenseMatrix; y: Int32Array } {
  const rng = makeRng(seed);
  const data = new Float32Array(n * D);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(CLASSES);
    for (let j = 0; j < D; j++) data[i * D + j] = 0.5 * rng.normal() + (j === y[i] ? 4 : 0);
  }
  return { x: { data, rows: n, cols: D }, y };
}

/** Marks every fifth frame unlabelled (-1) and gives it a misleading embedding. */
function withUnlabelled(
  frames: { x: DenseMatrix; y: Int32Array },
  value: number,
): { x: DenseMatrix; y: Int32Array } {
  const data = Float32Array.from(frames.x.data);
  const y = Int32Array.from(frames.y);
  for (let i = 0; i < y.length; i += 5) {
    y[i] = -1;
    data.fill(value, i * D, (i + 1) * D);
  }
  return { x: { ...frames.x, data }, y };
}

function options(
  train: { x: DenseMatrix; y: Int32Array },
  test: { x: DenseMatrix; y: Int32Array },
): LinearProbeOptions {
  return {
    trainX: train.x,
    trainY: train.y,
    evalX: test.x,
    evalY: test.y,
    classes: CLASSES,
    epochs: 10,
    lr: 1e-2,
    batchSize: 32,
    seed: 7,
  };
}

const train = toyFrames(600, 1), test = toyFrames(300, 2);

Deno.test("linearProbe: learns a linearly separable problem and disposes its tensors", async () => {
  await initBackend({ prefer: "cpu" });
  const before = tf.memory().numTensors;
  const r = await linearProbe(options(train, test));
  assert.equal(tf.memory().numTensors, before);
  assert.ok(r.accuracy >= 0.95, `accuracy ${r.accuracy}`);
  assert.ok(r.f1Weighted >= 0.95 && r.f1Macro >= 0.95, `F1 ${r.f1Weighted} ${r.f1Macro}`);
  assert.ok(r.precisionMacro >= 0.95 && r.recallMacro >= 0.95);
  assert.equal(r.trainLossCurve.length, 10);
  assert.ok(r.trainLossCurve[9] < r.trainLossCurve[0], `loss ${r.trainLossCurve}`);
  assert.equal(r.confusionMatrix.length, CLASSES);
  assert.deepEqual(r.support, [0, 1, 2].map((c) => test.y.filter((y) => y === c).length));
  const hits = r.confusionMatrix.reduce((s, row, c) => s + row[c], 0);
  assert.equal(hits / test.y.length, r.accuracy);
});

Deno.test("linearProbe: is deterministic for a seed and changes with it", async () => {
  await initBackend({ prefer: "cpu" });
  const short = { ...options(train, test), epochs: 2, lr: 1e-3 };
  const a = await linearProbe(short);
  const b = await linearProbe(short);
  assert.deepEqual(a, b);
  const c = await linearProbe({ ...short, seed: 8 });
  assert.notDeepEqual(a.trainLossCurve, c.trainLossCurve);
});

Deno.test("linearProbe: frames labelled -1 are ignored in training and evaluation", async () => {
  await initBackend({ prefer: "cpu" });
  const base = { ...options(train, test), epochs: 3 };
  const a = await linearProbe({
    ...base,
    ...flatten(withUnlabelled(train, 50), withUnlabelled(test, 50)),
  });
  const b = await linearProbe({
    ...base,
    ...flatten(withUnlabelled(train, -30), withUnlabelled(test, -30)),
  });
  // The unlabelled frames' embeddings differ wildly; nothing else may change.
  assert.deepEqual(a, b);
  const scored = withUnlabelled(test, 0).y.filter((y) => y >= 0).length;
  assert.equal(a.support.reduce((s, v) => s + v, 0), scored);
  assert.ok(a.accuracy >= 0.9, `accuracy ${a.accuracy}`);
});

function flatten(
  t: { x: DenseMatrix; y: Int32Array },
  e: { x: DenseMatrix; y: Int32Array },
): Pick<LinearProbeOptions, "trainX" | "trainY" | "evalX" | "evalY"> {
  return { trainX: t.x, trainY: t.y, evalX: e.x, evalY: e.y };
}

Deno.test("linearProbe: accepts tensors and rejects bad labels and options", async () => {
  await initBackend({ prefer: "cpu" });
  const small = { ...options(train, test), epochs: 1 };
  const trainX = tf.tensor2d(Float32Array.from(train.x.data), [train.x.rows, D]);
  const evalX = tf.tensor2d(Float32Array.from(test.x.data), [test.x.rows, D]);
  try {
    assert.deepEqual(await linearProbe({ ...small, trainX, evalX }), await linearProbe(small));
  } finally {
    trainX.dispose();
    evalX.dispose();
  }
  const badY = Int32Array.from(train.y);
  badY[3] = CLASSES;
  await assert.rejects(() => linearProbe({ ...small, trainY: badY }), ShapeError);
  await assert.rejects(() => linearProbe({ ...small, trainY: train.y.subarray(1) }), ShapeError);
  await assert.rejects(() => linearProbe({ ...small, batchSize: 0 }), OptionError);
  await assert.rejects(
    () => linearProbe({ ...small, evalY: new Int32Array(test.y.length).fill(-1) }),
    DegenerateInputError,
  );
});
