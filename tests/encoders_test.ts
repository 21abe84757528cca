import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor2D, Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { batchNormTrain, createFeatureProjector } from "../lib/encoders/mod.ts";
import type { StateDict } from "../lib/encoders/mod.ts";
import { ShapeError } from "../lib/errors.ts";
import { adamw } from "../lib/optim/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";

interface GoldenEntry {
  shape: number[];
  values: unknown;
}
interface ModelGolden {
  init_state: Record<string, GoldenEntry>;
  x: number[][][];
  featuresStep0: number[][];
  paramsAfterStep: Record<string, GoldenEntry>[];
  xEval: number[][][];
  evalFeatures: number[][][];
}

const golden = readGolden<ModelGolden>("model.json");

function toState(entries: Record<string, GoldenEntry>): StateDict {
  const out: StateDict = {};
  for (const [name, e] of Object.entries(entries)) {
    out[name] = { shape: e.shape, values: Float32Array.from(flat(e.values)) };
  }
  return out;
}

const BACKENDS = ["cpu", "wasm"] as const;

Deno.test("FeatureProjector has 50 176 parameters for F=156 and the torch init bounds", async () => {
  await initBackend({ prefer: "cpu" });
  const enc = createFeatureProjector({ inFeatures: 156, seed: 1 });
  try {
    assert.equal(enc.parameterCount(), 50_176);
    const buffers = Object.values(enc.buffers).reduce((n, v) => n + v.size, 0);
    assert.equal(buffers, 1_024);
    const state = enc.stateDict();
    assert.deepEqual(state["conv1.weight"].shape, [128, 156, 1]);
    const bound = 1 / Math.sqrt(156);
    const w = state["conv1.weight"].values;
    const max = w.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
    assert.ok(max <= bound && max > 0.95 * bound, `max |w| ${max} vs bound ${bound}`);
    assert.ok(state["bn3.weight"].values.every((v) => v === 1));
    assert.ok(state["bn3.running_var"].values.every((v) => v === 1));
    // Same seed, same weights; another seed, other weights.
    const again = createFeatureProjector({ inFeatures: 156, seed: 1 });
    const other = createFeatureProjector({ inFeatures: 156, seed: 2 });
    assert.deepEqual(again.stateDict()["conv2.weight"].values, state["conv2.weight"].values);
    assert.notDeepEqual(other.stateDict()["conv2.weight"].values, state["conv2.weight"].values);
    again.dispose();
    other.dispose();
  } finally {
    enc.dispose();
  }
});

Deno.test("FeatureProjector rejects wrong feature counts and incomplete state dicts", async () => {
  await initBackend({ prefer: "cpu" });
  const enc = createFeatureProjector({ inFeatures: 12, seed: 0 });
  try {
    const x = tf.zeros([1, 4, 11]) as Tensor3D;
    assert.throws(() => enc.apply(x, { training: false }), ShapeError);
    x.dispose();
    const state = enc.stateDict();
    delete state["bn2.bias"];
    assert.throws(() => enc.loadStateDict(state), /bn2\.bias/);
  } finally {
    enc.dispose();
  }
});

for (const backend of BACKENDS) {
  Deno.test(`FeatureProjector matches the torch golden forward (${backend})`, async () => {
    await initBackend({ prefer: backend });
    const enc = createFeatureProjector({ inFeatures: 12, seed: 0 });
    try {
      enc.loadStateDict(toState(golden.init_state));
      // Train mode at init: features and the running statistics after one batch.
      const x = tf.tensor3d(golden.x);
      const z = enc.apply(x, { training: true });
      assert.deepEqual(z.shape, [8, 10, 320]);
      assertClose(z.dataSync(), flat(golden.featuresStep0), {
        rtol: 1e-5,
        atol: 1e-5,
        label: "featuresStep0",
      });
      z.dispose();
      x.dispose();
      const state = enc.stateDict();
      const after1 = golden.paramsAfterStep[0];
      for (const name of Object.keys(enc.buffers)) {
        assertClose(state[name].values, flat(after1[name].values), {
          rtol: 1e-5,
          atol: 1e-6,
          label: name,
        });
      }
      assert.equal(state["bn1.num_batches_tracked"].values[0], 1);
      // Eval mode with the golden state after step 3 (running statistics).
      enc.loadStateDict(toState(golden.paramsAfterStep[2]));
      const xe = tf.tensor3d(golden.xEval);
      const ze = enc.apply(xe, { training: false });
      assertClose(ze.dataSync(), flat(golden.evalFeatures), {
        rtol: 1e-5,
        atol: 1e-5,
        label: "evalFeatures",
      });
      ze.dispose();
      xe.dispose();
    } finally {
      enc.dispose();
    }
  });
}

Deno.test("adamw follows torch 1.13's update order", async () => {
  await initBackend({ prefer: "cpu" });
  const p0 = [0.5, -1.25, 2];
  const grads = [[0.1, -0.3, 0], [1e-9, 0.2, -4], [-0.5, 0.5, 3]];
  const p = tf.variable(tf.tensor1d(p0));
  const opt = adamw({ p }, { lr: 0.01, weightDecay: 0.1 });
  // Straight transcription of the formula in float64.
  const ref = p0.slice(), m = [0, 0, 0], v = [0, 0, 0];
  for (let t = 1; t <= grads.length; t++) {
    const g = tf.tensor1d(grads[t - 1]);
    opt.step({ p: g });
    g.dispose();
    for (let i = 0; i < 3; i++) {
      ref[i] *= 1 - 0.01 * 0.1;
      m[i] = 0.9 * m[i] + 0.1 * grads[t - 1][i];
      v[i] = 0.999 * v[i] + 0.001 * grads[t - 1][i] ** 2;
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
      ref[i] -= (0.01 / (1 - 0.9 ** t)) * m[i] / denom;
    }
    assertClose(p.dataSync(), ref, { rtol: 1e-6, atol: 1e-7, label: `step ${t}` });
  }
  assert.equal(opt.stepCount, 3);
  assert.throws(() => opt.step({}), ShapeError);
  opt.dispose();
  p.dispose();
});

Deno.test("adamw over several parameters updates each exactly as alone, and frees its state", async () => {
  await initBackend({ prefer: "wasm" });
  const shapes = [[3, 4], [5], [2, 2, 2]];
  const start = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", i + 1));
  const together = Object.fromEntries(start.map((x, i) => [`p${i}`, tf.variable(x.clone())]));
  const alone = start.map((x) => tf.variable(x.clone()));
  const joint = adamw(together, { lr: 0.05 });
  const single = alone.map((p) => adamw({ p }, { lr: 0.05 }));
  const before = tf.memory().numTensors;
  for (let step = 0; step < 4; step++) {
    const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", 10 * step + i));
    joint.step(Object.fromEntries(grads.map((g, i) => [`p${i}`, g])));
    single.forEach((opt, i) => opt.step({ p: grads[i] }));
    tf.dispose(grads);
  }
  assert.equal(tf.memory().numTensors, before);
  shapes.forEach((_, i) => {
    assert.deepEqual(together[`p${i}`].dataSync(), alone[i].dataSync(), `p${i}`);
  });
  assert.throws(
    () => joint.step({ p0: tf.zeros([3, 4]), p1: tf.zeros([4]), p2: tf.zeros([8]) }),
    ShapeError,
  );
  joint.dispose();
  single.forEach((opt) => opt.dispose());
  tf.dispose([...start, ...Object.values(together), ...alone]);
});

Deno.test("batchNormTrain: hand-written gradients equal autodiff of the plain formula; running stats as torch", async () => {
  await initBackend({ prefer: "wasm" });
  const h = tf.randomNormal([37, 6], 1, 2, "float32", 3) as Tensor2D;
  const dy = tf.randomNormal([37, 6], 0, 1, "float32", 4);
  const bn = {
    weight: tf.variable(tf.randomNormal([6], 1, 0.3, "float32", 5)),
    bias: tf.variable(tf.randomNormal([6], 0, 0.3, "float32", 6)),
    runningMean: tf.variable(tf.zeros([6]), false),
    runningVar: tf.variable(tf.ones([6]), false),
  };
  const plain = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const mean = tf.mean(x, 0);
    const centered = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centered), 0);
    return tf.add(tf.mul(centered, tf.mul(g, tf.rsqrt(tf.add(variance, 1e-5)))), b);
  };
  const weigh = (y: tf.Tensor) => tf.sum(tf.mul(y, dy)) as tf.Scalar;
  const want = tf.grads((x, g, b) => weigh(plain(x, g, b)))([h, bn.weight, bn.bias]);
  const got = tf.grads((x, g, b) =>
    weigh(batchNormTrain(x as Tensor2D, { ...bn, weight: g, bias: b } as typeof bn))
  )([h, bn.weight, bn.bias]);
  ["h", "γ", "β"].forEach((name, i) => {
    assertClose(got[i].dataSync(), want[i].dataSync(), { rtol: 1e-4, atol: 1e-5, label: name });
  });
  const values = h.arraySync();
  for (let c = 0; c < 6; c++) {
    const column = values.map((row) => row[c]);
    const mean = column.reduce((a, b) => a + b, 0) / 37;
    const unbiased = column.reduce((a, b) => a + (b - mean) ** 2, 0) / 36;
    // One momentum update from (0, 1).
    assertClose(bn.runningMean.dataSync()[c], mean * 0.1, { rtol: 1e-5, label: "r_μ" });
    assertClose(bn.runningVar.dataSync()[c], 0.9 + unbiased * 0.1, {
      rtol: 1e-5,
      label: "r_σ²",
    });
  }
  tf.dispose([h, dy, ...want, ...got, ...Object.values(bn)]);
});
