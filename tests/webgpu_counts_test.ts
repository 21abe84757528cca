import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import {
  countWebGpu,
  createFusedProjectorStep,
  createFusedTs2vecStep,
  fusedStepUnsupported,
  recordSteps,
  trainFused,
} from "../lib/webgpu/mod.ts";
import type { FusedProjectorStep, LsMarginStepLoss, StepRead } from "../lib/webgpu/mod.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { createTs2vecEncoder } from "../lib/ts2vec/mod.ts";
import { makeContrastiveLoss } from "../lib/losses/mod.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { FrameLoss, SequenceBatch } from "../lib/train/mod.ts";
import { makeRng } from "../lib/random.ts";
import { OptionError } from "../lib/errors.ts";
import { warnIfIgnored, webgpuTest } from "./_webgpu.ts";
import { countVariantSteps } from "../bench/webgpu_counts.ts";

warnIfIgnored("webgpu_counts_test", "the WebGPU count tests");

webgpuTest(
  "the device counter counts dispatches, bind groups, submissions and read-backs",
  async () => {
    const a = tf.fill([4096], 2);
    await a.data(); // uploaded and settled before counting
    const counter = countWebGpu();
    const steps = recordSteps(counter);
    const b = tf.square(a);
    const c = tf.square(b);
    const d = tf.square(c);
    steps.mark();
    assert.equal(counter.snapshot().dispatches, 3);
    assert.equal(counter.snapshot().bindGroups, 3);
    assert.equal(counter.snapshot().mapReads, 0);
    const values = await d.data();
    steps.mark();
    assert.equal(values[0], 256);
    assert.equal(steps.steps[0].dispatches, 3);
    assert.equal(steps.steps[1].dispatches, 0);
    assert.equal(steps.steps[1].mapReads, 1);
    assert.equal(steps.steps[1].tensorReads, 1);
    assert.ok(steps.steps[1].submits >= 1);
    counter.reset();
    assert.equal(counter.snapshot().dispatches, 0);
    counter.uninstall();
    const e = tf.square(d);
    await e.data();
    assert.equal(counter.snapshot().dispatches, 0);
    assert.equal(counter.snapshot().mapReads, 0);
    tf.dispose([a, b, c, d, e]);
  },
);

Deno.test("countWebGpu names the active backend when it is not webgpu", async () => {
  await initBackend({ prefer: "cpu" });
  assert.throws(
    () => countWebGpu(),
    (err) => err instanceof OptionError && /"cpu"/.test(String(err)),
  );
});

const LS_MARGIN: LsMarginStepLoss = {
  kind: "ls-margin",
  temperature: 0.1,
  margin: 5,
  threshold: 0.4,
  simVariant: "reference",
};

function batchOf(shape: [number, number, number], seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from(
    { length: shape[0] * shape[1] * shape[2] },
    () => Math.abs(rng.normal()),
  );
}

function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

/**
 * One warm-up step and its read, then two counted steps of `step` on `x`:
 * each dispatches `step.dispatchesPerStep` ≤ `maxDispatches` programs, creates
 * no buffer or bind group, reads nothing back and submits once. Returns the
 * read of the two counted steps.
 */
async function assertSteadySteps(
  step: FusedProjectorStep,
  x: Float32Array,
  maxDispatches: number,
): Promise<StepRead> {
  const counter = countWebGpu();
  try {
    step.step(x); // warm-up
    await step.read();
    const steps = recordSteps(counter);
    for (let i = 0; i < 2; i++) {
      step.step(x);
      steps.mark();
    }
    for (const counts of steps.steps) {
      assert.ok(counts.dispatches <= maxDispatches, `${counts.dispatches} dispatches per step`);
      assert.equal(counts.dispatches, step.dispatchesPerStep);
      assert.equal(counts.buffers, 0, "buffers created after warm-up");
      assert.equal(counts.bindGroups, 0, "bind groups created after warm-up");
      assert.equal(counts.mapReads, 0, "read-backs inside the loop");
      assert.equal(counts.tensorReads, 0, "tfjs reads inside the loop");
      assert.equal(counts.submits, 1);
    }
    return await step.read();
  } finally {
    counter.uninstall();
  }
}

webgpuTest(
  "the fused SleepEEG-shaped step: ≤ 40 dispatches, no creations after warm-up, no read-back",
  async () => {
    const shape: [number, number, number] = [8, 200, 90];
    const x = batchOf(shape, 1);
    const encoder = createFeatureProjector({ inFeatures: 90, outFeatures: 320, seed: 1 });
    const step = await createFusedProjectorStep({
      encoder,
      shape,
      loss: LS_MARGIN,
      lr: 1e-3,
      weightDecay: 0.01,
      mode: "reference",
    });
    try {
      const { losses, flags } = await assertSteadySteps(step, x, 40);
      assert.equal(losses.length, 2);
      assert.ok(losses.every(Number.isFinite) && losses[1] < losses[0], `losses ${losses}`);
      assert.deepEqual([...flags], [0, 0]);
    } finally {
      step.destroy();
      encoder.dispose();
    }
  },
);

webgpuTest(
  "the fused SleepEEG-shaped TS2Vec step: ≤ 150 dispatches, no creations after warm-up, no read-back",
  async () => {
    const shape: [number, number, number] = [8, 200, 90];
    const x = batchOf(shape, 8);
    const encoder = createTs2vecEncoder({ inFeatures: 90, seed: 1 });
    const step = await createFusedTs2vecStep({
      encoder,
      shape,
      cropRng: makeRng(1),
      noiseRng: makeRng(1).fork(),
      lr: 1e-3,
      weightDecay: 0.01,
      mode: "reference",
    });
    try {
      const { losses, flags } = await assertSteadySteps(step, x, 150);
      assert.equal(losses.length, 2);
      assert.ok(losses.every((l) => Number.isFinite(l) && l > 0), `losses ${losses}`);
      assert.deepEqual([...flags], [0, 0]);
    } finally {
      step.destroy();
      encoder.dispose();
    }
  },
);

webgpuTest(
  "pretrain on webgpu reads the losses back once per 50 steps and keeps every step's loss",
  async () => {
    const shape: [number, number, number] = [2, 6, 5];
    const encoder = createFeatureProjector({ inFeatures: 5, outFeatures: 8, seed: 2 });
    const tensors = Object.keys(encoder.params).length + Object.keys(encoder.buffers).length;
    const counter = countWebGpu();
    const seen: number[] = [];
    try {
      const result = await pretrain({
        encoder,
        // τ = 0.5 keeps exp(ℓ/τ) ≤ e² below the column sums: finite throughout
        loss: makeContrastiveLoss({ ...LS_MARGIN, temperature: 0.5 }),
        batches: repeat(batchOf(shape, 3), shape),
        steps: 120,
        mode: "reference",
        onStep: ({ step }) => seen.push(step),
      });
      const counts = counter.snapshot();
      assert.equal(result.losses.length, 120);
      assert.ok(result.losses.every(Number.isFinite));
      assert.deepEqual(seen, Array.from({ length: 120 }, (_, i) => i + 1));
      assert.ok(counts.dispatches <= 120 * 40, `${counts.dispatches} dispatches`);
      // The loop reads 3 times (steps 50, 100, 120); the rest is the one-off
      // reading of the initial values and the write-back of the trained ones.
      assert.ok(
        counts.mapReads <= 3 + 1 + tensors,
        `${counts.mapReads} read-backs for 120 steps (${tensors} initial values)`,
      );
      assert.ok(counts.buffers <= 100, `${counts.buffers} buffers created for 120 steps`);
    } finally {
      counter.uninstall();
      encoder.dispose();
    }
  },
);

webgpuTest(
  "fused guarded mode stops at the first non-finite loss, found at the next read",
  async () => {
    const shape: [number, number, number] = [2, 6, 5];
    const x = batchOf(shape, 4);
    // τ = 0.5, m = 100: every term overflows float32 (D3), the loss is NaN from step 1.
    const overflow: LsMarginStepLoss = { ...LS_MARGIN, temperature: 0.5, margin: 100 };
    const run = async (mode: "reference" | "guarded", steps: number) => {
      const encoder = createFeatureProjector({ inFeatures: 5, outFeatures: 8, seed: 5 });
      const before = await encoder.params["conv1.weight"].data();
      const result = await trainFused({
        encoder,
        loss: overflow,
        batches: repeat(x, shape),
        steps,
        mode,
        lr: 1e-3,
        weightDecay: 0.01,
        readEvery: 3,
      });
      const after = await encoder.params["conv1.weight"].data();
      const runningVar = await encoder.buffers["bn1.running_var"].data();
      encoder.dispose();
      return { result, before, after, runningVar };
    };
    const reference = await run("reference", 5);
    assert.equal(reference.result.losses.length, 5);
    assert.equal(reference.result.nonFinite, 5);
    assert.equal(reference.result.divergedStep, 1);
    assert.equal(reference.result.stoppedEarly, false);
    assert.ok(reference.after.some(Number.isNaN), "NaN flows into the weights");

    const guarded = await run("guarded", 5);
    assert.equal(guarded.result.losses.length, 1);
    assert.ok(Number.isNaN(guarded.result.losses[0]));
    assert.equal(guarded.result.nonFinite, 1);
    assert.equal(guarded.result.divergedStep, 1);
    assert.equal(guarded.result.stoppedEarly, true);
    assert.deepEqual(guarded.after, guarded.before, "no update after the non-finite step");
    // The non-finite step's forward pass moved the running statistics once
    // (as the per-step loop does); the two steps queued after it did not.
    const oneStep = await run("reference", 1);
    assert.ok(oneStep.runningVar.every(Number.isFinite));
    assert.notDeepEqual(oneStep.runningVar, Float32Array.from(oneStep.runningVar, () => 1));
    assert.deepEqual(guarded.runningVar, oneStep.runningVar);
  },
);

webgpuTest("the fused loop keeps the steps taken when the batch source ends early", async () => {
  const shape: [number, number, number] = [2, 6, 5];
  const x = batchOf(shape, 6);
  const encoder = createFeatureProjector({ inFeatures: 5, outFeatures: 8, seed: 6 });
  try {
    const before = await encoder.params["conv1.weight"].data();
    await assert.rejects(
      () =>
        pretrain({
          encoder,
          loss: makeContrastiveLoss({ ...LS_MARGIN, temperature: 0.5 }),
          batches: repeat(x, shape).take(2),
          steps: 5,
          mode: "reference",
        }),
      (err) => err instanceof OptionError && /ended after 2 steps/.test(err.message),
    );
    const after = await encoder.params["conv1.weight"].data();
    assert.notDeepEqual(after, before, "the two steps taken are in the encoder");
  } finally {
    encoder.dispose();
  }
});

webgpuTest(
  "pretrain keeps the tfjs loop on webgpu for the reference implementation and custom losses",
  async () => {
    const shape: [number, number, number] = [2, 6, 5];
    const x = batchOf(shape, 7);
    const spec = { ...LS_MARGIN, temperature: 0.5 };
    const reference = makeContrastiveLoss(spec, { implementation: "reference" });
    const fused = makeContrastiveLoss(spec);
    const custom: FrameLoss = (z, v) => fused(z, v); // a plain function: no spec
    const cases: [FrameLoss, boolean][] = [[reference, true], [custom, true], [fused, false]];
    const encoder = createFeatureProjector({ inFeatures: 5, outFeatures: 8, seed: 7 });
    // N × N float32 beyond one storage binding (128 MiB by default): the tfjs loop
    assert.match(String(fusedStepUnsupported(encoder, spec, 8192)), /exceeds the device/);
    assert.equal(fusedStepUnsupported(encoder, spec, 1600), null);
    encoder.dispose();
    for (const [loss, tfjsLoop] of cases) {
      const encoder = createFeatureProjector({ inFeatures: 5, outFeatures: 8, seed: 7 });
      const counter = countWebGpu();
      try {
        await pretrain({ encoder, loss, batches: repeat(x, shape), steps: 1, mode: "reference" });
        const { dispatches } = counter.snapshot();
        assert.equal(dispatches > 40, tfjsLoop, `${dispatches} dispatches`);
      } finally {
        counter.uninstall();
        encoder.dispose();
      }
    }
  },
);

webgpuTest(
  "the bench's tfjs-ops TS2Vec counts come from the tfjs loop, not pretrain's fused step",
  async () => {
    const shape = { B: 2, T: 16, F: 3 };
    const counts = await countVariantSteps("ts2vec", { warmup: 1, counted: 1, shape });
    const [step] = counts.steps;
    assert.ok(step.dispatches > 150, `${step.dispatches} dispatches: not the tfjs loop`);
    assert.ok(step.tensorReads >= 1, "the tfjs loop reads the loss every step");
  },
);
