import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import type { Encoder, StateDict } from "../lib/encoders/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { lsHatclLoss, lsMarginLoss, simVector } from "../lib/losses/mod.ts";
import { encode, frameObjective, pretrain, sequenceBatches } from "../lib/train/mod.ts";
import type { FrameLoss, SequenceBatch, StepProgress } from "../lib/train/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import { assertStateEntry, CONV_BIAS, type ModelGolden, toState } from "./_model_golden.ts";

const golden = readGolden<ModelGolden>("model.json");
const { temperature, margin, margin_thresh: threshold } = golden.about.config;

/** The reference eMargin loss: LS_MARGIN_LOSS with the double reference sim vector. */
const harLoss: FrameLoss = (z, x) =>
  tf.tidy(() => {
    const v = simVector(x, { threshold, variant: "reference", length: "double" });
    return lsMarginLoss(z, v, { temperature, margin });
  });

/** Yields the same batch forever (the golden run reuses one batch). */
function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

/** Absolute tolerance for a tensor: 1e−5 of its largest magnitude. */
function scaleAtol(values: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  return 1e-5 * max;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`three reference training steps match the torch golden (${backend})`, async () => {
    await initBackend({ prefer: backend });
    const xValues = Float32Array.from(flat(golden.x));
    const shape: [number, number, number] = [8, 10, 12];

    // Sim vector of the golden batch.
    const x2 = tf.tensor2d(xValues, [80, 12]);
    const v = simVector(x2, { threshold, variant: "reference", length: "double" });
    assertClose(v.dataSync(), golden.simVector, { rtol: 0, atol: 0, label: "simVector" });
    v.dispose();
    x2.dispose();

    // Gradients of the first step.
    const probe = createFeatureProjector({ inFeatures: 12, seed: 0 });
    probe.loadStateDict(toState(golden.init_state));
    const x = tf.tensor3d(xValues, shape);
    const { value, grads } = tf.variableGrads(
      () => frameObjective(harLoss)(probe, x),
      Object.values(probe.params),
    );
    assertClose(value.dataSync(), golden.loss[0], { rtol: 1e-5, label: "loss step 1" });
    for (const [key, variable] of Object.entries(probe.params)) {
      const g = grads[variable.name].dataSync();
      const expected = flat(golden.gradsStep0[key].values);
      if (CONV_BIAS.test(key)) {
        // Exactly 0 in exact arithmetic (BatchNorm removes the bias); both
        // sides hold float32 rounding noise only.
        assertClose(g, new Float64Array(g.length), { rtol: 0, atol: 1e-6, label: `grad ${key}` });
        assertClose(expected, new Float64Array(g.length), { rtol: 0, atol: 1e-6, label: key });
      } else {
        assertClose(g, expected, { rtol: 1e-5, atol: scaleAtol(expected), label: `grad ${key}` });
      }
    }
    tf.dispose([value, ...Object.values(grads)]);
    x.dispose();
    probe.dispose();

    // Three steps through pretrain, snapshotting the state after each update.
    const enc = createFeatureProjector({ inFeatures: 12, seed: 0 });
    enc.loadStateDict(toState(golden.init_state));
    const snapshots: StateDict[] = [];
    const result = await pretrain({
      encoder: enc,
      loss: harLoss,
      batches: repeat(xValues, shape),
      steps: 3,
      mode: "reference",
      onStep: () => snapshots.push(enc.stateDict()),
    });
    assertClose(result.losses, golden.loss, { rtol: 1e-5, label: "losses" });
    assert.equal(result.nonFinite, 0);
    for (let s = 0; s < 3; s++) {
      const expected = golden.paramsAfterStep[s];
      for (const [key, entry] of Object.entries(expected)) {
        assertStateEntry(key, snapshots[s][key].values, entry, s);
      }
    }
    // Eval-mode features after step 3, end to end: the conv-bias drift reaches
    // them through (bias − running mean)/√running_var (measured ≈ 4e−3) …
    const features = await encode(enc, Float32Array.from(flat(golden.xEval)), {
      T: 10,
      batchSize: 1,
    });
    assertClose(features, flat(golden.evalFeatures), {
      rtol: 1e-5,
      atol: 1e-2,
      label: "evalFeatures",
    });
    // … and tight once the drifting conv biases and running means are the golden ones.
    const state = enc.stateDict();
    const after3 = toState(golden.paramsAfterStep[2]);
    for (const key of Object.keys(after3)) {
      if (CONV_BIAS.test(key) || key.endsWith("running_mean")) state[key] = after3[key];
    }
    enc.loadStateDict(state);
    const tight = await encode(enc, Float32Array.from(flat(golden.xEval)), { T: 10 });
    assertClose(tight, flat(golden.evalFeatures), { rtol: 1e-5, atol: 1e-5, label: "eval" });
    enc.dispose();
  });
}

Deno.test("sequenceBatches shuffles each epoch, drops the remainder and is seeded", () => {
  const T = 2, F = 3, n = 10;
  const x = Float32Array.from({ length: n * T * F }, (_, i) => Math.floor(i / (T * F)));
  const take = (seed: number, count: number): SequenceBatch[] => {
    const it = sequenceBatches({ x, nSequences: n, T, F }, { batchSize: 4, seed });
    return Array.from({ length: count }, () => it.next().value as SequenceBatch);
  };
  const batches = take(7, 6);
  // ⌊10/4⌋ = 2 batches per epoch.
  assert.deepEqual(batches.map((b) => b.epoch), [0, 0, 1, 1, 2, 2]);
  for (let e = 0; e < 3; e++) {
    const seen = [...batches[2 * e].indices, ...batches[2 * e + 1].indices];
    assert.equal(new Set(seen).size, 8, "no sequence twice within an epoch");
  }
  assert.notDeepEqual(batches[0].indices, batches[2].indices, "epochs are reshuffled");
  for (const b of batches) {
    assert.deepEqual(b.shape, [4, T, F]);
    b.indices.forEach((s, i) => assert.equal(b.x[i * T * F + T * F - 1], s));
  }
  assert.deepEqual(take(7, 6).map((b) => [...b.indices]), batches.map((b) => [...b.indices]));
  assert.notDeepEqual(take(8, 1)[0].indices, batches[0].indices);
  assert.throws(
    () => sequenceBatches({ x, nSequences: n, T, F }, { batchSize: 11, seed: 1 }).next(),
    OptionError,
  );
});

/** Small random sequences for loop tests. */
function smallSplit(seed: number, n: number, T: number, F: number) {
  const x = new Float32Array(n * T * F);
  let s = seed;
  for (let i = 0; i < x.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    x[i] = s / 2147483648 - 0.5;
  }
  return { x, nSequences: n, T, F };
}

Deno.test("pretrain keeps the tensor count flat over 1000 steps", async () => {
  await initBackend({ prefer: "wasm" });
  const split = smallSplit(3, 6, 8, 6);
  const enc = createFeatureProjector({ inFeatures: 6, outFeatures: 8, seed: 1 });
  const counts: number[] = [];
  const before = tf.memory().numTensors;
  const result = await pretrain({
    encoder: enc,
    // LS-InfoNCE stays finite here (the reference margin loss may turn NaN, D4).
    loss: (z: Tensor2D) => lsHatclLoss(z, { temperature: 0.5 }),
    batches: sequenceBatches(split, { batchSize: 2, seed: 1 }),
    steps: 1000,
    mode: "reference",
    onStep: ({ step }: StepProgress) => {
      if (step === 10 || step === 1000) counts.push(tf.memory().numTensors);
    },
  });
  assert.equal(result.losses.length, 1000);
  assert.equal(counts[0], counts[1], `tensors at step 10 vs 1000: ${counts}`);
  assert.equal(tf.memory().numTensors, before, "the optimiser's moments are freed");
  assert.ok(result.losses.every(Number.isFinite));
  assert.ok(result.losses[999] < result.losses[0], "the loss decreases");
  enc.dispose();
});

/** A loss that turns NaN from its `from`-th call on. */
function nanFrom(from: number): FrameLoss {
  let calls = 0;
  return (z: Tensor2D) => {
    calls++;
    const base = tf.mean(tf.square(z)) as Scalar;
    return calls >= from ? tf.mul(base, NaN) as Scalar : base;
  };
}

Deno.test("reference mode trains through NaN, guarded mode stops at the step", async () => {
  await initBackend({ prefer: "cpu" });
  const split = smallSplit(5, 4, 8, 6);
  const run = async (
    mode: "reference" | "guarded",
  ): Promise<[Awaited<ReturnType<typeof pretrain>>, Encoder]> => {
    const enc = createFeatureProjector({ inFeatures: 6, outFeatures: 4, seed: 2 });
    const result = await pretrain({
      encoder: enc,
      loss: nanFrom(3),
      batches: sequenceBatches(split, { batchSize: 2, seed: 2 }),
      steps: 6,
      mode,
    });
    return [result, enc];
  };
  const [reference, refEncoder] = await run("reference");
  assert.equal(reference.losses.length, 6);
  assert.equal(reference.nonFinite, 4);
  assert.equal(reference.divergedStep, 3);
  assert.equal(reference.diverged, true);
  assert.equal(reference.stoppedEarly, false);
  assert.ok(Number.isFinite(reference.losses[1]) && Number.isNaN(reference.losses[2]));
  // NaN flowed into the weights, as in the unguarded reference.
  assert.ok(refEncoder.stateDict()["conv1.weight"].values.some(Number.isNaN));
  refEncoder.dispose();

  const [guarded, guardedEncoder] = await run("guarded");
  assert.equal(guarded.losses.length, 3);
  assert.equal(guarded.divergedStep, 3);
  assert.equal(guarded.stoppedEarly, true);
  assert.ok(
    Object.values(guardedEncoder.stateDict()).every((e) => e.values.every(Number.isFinite)),
  );
  guardedEncoder.dispose();
  await assert.rejects(
    () =>
      pretrain({
        encoder: guardedEncoder,
        batches: repeat(split.x, [1, 8, 6]),
        steps: 1,
        mode: "guarded",
      }),
    OptionError,
  );
});

Deno.test("encode batches eval-mode forwards and matches one big forward", async () => {
  await initBackend({ prefer: "cpu" });
  const split = smallSplit(9, 5, 4, 6);
  const enc = createFeatureProjector({ inFeatures: 6, outFeatures: 3, seed: 4 });
  const before = tf.memory().numTensors;
  const batched = await encode(enc, split.x, { T: 4, batchSize: 2 });
  assert.equal(tf.memory().numTensors, before);
  const whole = tf.tidy(() =>
    enc.apply(tf.tensor3d(split.x, [5, 4, 6]), { training: false }).dataSync()
  );
  assert.equal(batched.length, 5 * 4 * 3);
  assertClose(batched, whole, { rtol: 0, atol: 0, label: "encode" });
  enc.dispose();
});
