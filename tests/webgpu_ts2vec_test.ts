import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { createTs2vecEncoder, ts2vecObjective } from "../lib/ts2vec/mod.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { adamw } from "../lib/optim/mod.ts";
import {
  countWebGpu,
  createFusedTs2vecStep,
  fusedTs2vecUnsupported,
  trainFusedTs2vec,
} from "../lib/webgpu/mod.ts";
import type { FusedBatch } from "../lib/webgpu/mod.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { makeRng } from "../lib/random.ts";
import { OptionError } from "../lib/errors.ts";
import { assertClose } from "./_util.ts";
import { maxAbsFinite, warnIfIgnored, webgpuTest } from "./_webgpu.ts";

warnIfIgnored("webgpu_ts2vec_test", "the fused TS2Vec step tests");

interface Case {
  shape: [number, number, number];
  hidden: number;
  out: number;
  depth: number;
  alpha: number;
  dropout: number;
  seed: number;
  /** A NaN planted at this flat index of the batch, or −1. */
  nanAt: number;
}

const LR = 1e-3, WD = 0.01, STEPS = 3;

function batch(c: Case, step: number): Float32Array {
  const rng = makeRng(100 * c.seed + step);
  const x = Float32Array.from({ length: c.shape[0] * c.shape[1] * c.shape[2] }, () => rng.normal());
  if (c.nanAt >= 0) x[c.nanAt] = NaN;
  return x;
}

function encoderOf(c: Case): Encoder {
  return createTs2vecEncoder({
    inFeatures: c.shape[2],
    hidden: c.hidden,
    outFeatures: c.out,
    depth: c.depth,
    dropout: c.dropout,
    seed: c.seed,
  });
}

async function values(encoder: Encoder): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(encoder.params)) {
    out[name] = await v.data() as Float32Array;
  }
  return out;
}

type Values = Record<string, Float32Array>;

/**
 * The tfjs path (lib/train's loop: variableGrads of the objective, then
 * AdamW): the loss, state and gradients of each step.
 */
async function tfjsSteps(
  c: Case,
): Promise<{ losses: number[]; states: Values[]; grads: Values[] }> {
  const encoder = encoderOf(c);
  const objective = ts2vecObjective({ seed: c.seed + 7, alpha: c.alpha });
  const optimizer = adamw(encoder.params, { lr: LR, weightDecay: WD });
  const keyOf = new Map(Object.entries(encoder.params).map(([key, v]) => [v.name, key]));
  const losses: number[] = [], states: Values[] = [], gradients: Values[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const x = tf.tensor3d(batch(c, s), c.shape);
      const { value, grads } = tf.variableGrads(
        () => objective(encoder, x),
        Object.values(encoder.params),
      );
      const named: Record<string, Tensor> = {};
      for (const [name, g] of Object.entries(grads)) named[keyOf.get(name) ?? name] = g;
      losses.push((await value.data())[0]);
      const g: Values = {};
      for (const [name, t] of Object.entries(named)) g[name] = await t.data() as Float32Array;
      gradients.push(g);
      optimizer.step(named);
      tf.dispose([x, value, ...Object.values(named)]);
      states.push(await values(encoder));
    }
  } finally {
    optimizer.dispose();
    encoder.dispose();
  }
  return { losses, states, grads: gradients };
}

/**
 * The state after step `s` (0-based) against the tfjs path's: 1e-5 relative
 * (1e-6 absolute), except entries whose tfjs gradient was at float32 noise
 * level at some step so far (|g| < 1e-4 of the tensor's largest): AdamW
 * divides by |g|, so those move by up to ±lr per step either way (as
 * _model_golden's conv-bias rule).
 */
function assertStep(got: Values, want: { states: Values[]; grads: Values[] }, s: number): void {
  for (const [name, expected] of Object.entries(want.states[s])) {
    const noisy = new Uint8Array(expected.length);
    for (const g of want.grads.slice(0, s + 1)) {
      const floor = 1e-4 * maxAbsFinite(g[name]);
      g[name].forEach((v, i) => noisy[i] |= Math.abs(v) < floor ? 1 : 0);
    }
    const actual = got[name];
    for (let i = 0; i < expected.length; i++) {
      const slack = noisy[i] ? 2 * LR * (s + 1) : Math.max(1e-5 * Math.abs(expected[i]), 1e-6);
      assert.ok(
        Math.abs(actual[i] - expected[i]) <= slack,
        `step ${s + 1} ${name}[${i}]: ${actual[i]} vs ${expected[i]}${
          noisy[i] ? " (noise gradient)" : ""
        }`,
      );
    }
  }
}

async function fusedSteps(c: Case): Promise<{ losses: number[]; states: Values[] }> {
  const encoder = encoderOf(c);
  const step = await createFusedTs2vecStep({
    encoder,
    shape: c.shape,
    cropRng: makeRng(c.seed + 7),
    noiseRng: makeRng(c.seed).fork(),
    alpha: c.alpha,
    dropout: c.dropout,
    lr: LR,
    weightDecay: WD,
    mode: "reference",
  });
  const losses: number[] = [], states: Values[] = [];
  try {
    assert.ok(step.dispatchesPerStep <= 150, `${step.dispatchesPerStep} dispatches`);
    for (let s = 0; s < STEPS; s++) {
      step.step(batch(c, s));
      const read = await step.read();
      assert.deepEqual([...read.flags], [0]);
      losses.push(read.losses[0]);
      await step.writeBack();
      states.push(await values(encoder));
    }
  } finally {
    step.destroy();
    encoder.dispose();
  }
  return { losses, states };
}

const CASES: Case[] = [
  { shape: [2, 16, 3], hidden: 8, out: 12, depth: 3, alpha: 0.5, dropout: 0.1, seed: 1, nanAt: -1 },
  { shape: [3, 11, 4], hidden: 6, out: 10, depth: 2, alpha: 0.3, dropout: 0, seed: 2, nanAt: 17 },
  // B = 1: no instance term
  { shape: [1, 9, 3], hidden: 8, out: 12, depth: 2, alpha: 0.5, dropout: 0.1, seed: 3, nanAt: -1 },
  // T = 2, one block with its projector, α = 1: no temporal term
  { shape: [4, 2, 2], hidden: 8, out: 12, depth: 0, alpha: 1, dropout: 0.5, seed: 6, nanAt: -1 },
  // long temporal rows (2·T_l·C products each), the case llvmpipe got wrong within one program
  {
    shape: [2, 200, 3],
    hidden: 8,
    out: 160,
    depth: 1,
    alpha: 0.5,
    dropout: 0.1,
    seed: 1,
    nanAt: -1,
  },
];

for (const c of CASES) {
  webgpuTest(
    `fused TS2Vec step = tfjs path for 3 steps (B=${c.shape[0]}, T=${
      c.shape[1]
    }, depth ${c.depth}, ` +
      `α=${c.alpha}, dropout ${c.dropout}${c.nanAt >= 0 ? ", a NaN frame" : ""})`,
    async () => {
      const want = await tfjsSteps(c);
      const got = await fusedSteps(c);
      for (let s = 0; s < STEPS; s++) {
        assertClose(got.losses[s], want.losses[s], { rtol: 1e-5, label: `loss step ${s + 1}` });
        assertStep(got.states[s], want, s);
      }
    },
  );
}

function* batchesOf(c: Case, override?: Float32Array): Generator<FusedBatch> {
  for (let s = 0;; s++) yield { x: override ?? batch(c, s), shape: c.shape };
}

webgpuTest(
  "trainFusedTs2vec: the tfjs path's losses and weights, one read-back per readEvery steps",
  async () => {
    const c = CASES[0];
    const want = await tfjsSteps(c);
    const encoder = encoderOf(c);
    const tensors = Object.keys(encoder.params).length;
    const counter = countWebGpu();
    const seen: number[] = [];
    try {
      const result = await trainFusedTs2vec({
        encoder,
        batches: batchesOf(c),
        steps: STEPS,
        mode: "guarded",
        lr: LR,
        weightDecay: WD,
        readEvery: 2,
        cropRng: makeRng(c.seed + 7),
        noiseRng: makeRng(c.seed).fork(),
        alpha: c.alpha,
        dropout: c.dropout,
        onStep: ({ step }) => seen.push(step),
      });
      const { mapReads, tensorReads } = counter.snapshot();
      // softmax rows of 4·B·T² float32 beyond one storage binding (128 MiB by default)
      assert.match(String(fusedTs2vecUnsupported(encoder, [8, 3000, 3])), /exceeds the device/);
      assert.equal(fusedTs2vecUnsupported(encoder, [8, 200, 3]), null);
      // GPU read-backs after steps 2 and 3 and of the trained values; the fresh
      // encoder's initial values are read through tfjs from the host, one per tensor
      assert.equal(mapReads, 2 + 1);
      assert.equal(tensorReads, tensors);
      assert.deepEqual(seen, [1, 2, 3]);
      assert.equal(result.nonFinite, 0);
      assertClose(result.losses, want.losses, { rtol: 1e-5, label: "losses" });
      assertStep(await values(encoder), want, STEPS - 1);
    } finally {
      counter.uninstall();
      encoder.dispose();
    }
  },
);

webgpuTest(
  "trainFusedTs2vec in guarded mode stops before the first non-finite step's update",
  async () => {
    const c = CASES[0];
    const x = batch(c, 0).fill(Infinity, 0, c.shape[2] * c.shape[1]); // sequence 0 infinite
    const encoder = encoderOf(c);
    try {
      const before = await values(encoder);
      const result = await trainFusedTs2vec({
        encoder,
        batches: batchesOf(c, x),
        steps: 4,
        mode: "guarded",
        lr: LR,
        weightDecay: WD,
        readEvery: 3,
        cropRng: makeRng(1),
        noiseRng: makeRng(2),
      });
      assert.equal(result.losses.length, 1);
      assert.ok(!Number.isFinite(result.losses[0]));
      assert.equal(result.divergedStep, 1);
      assert.equal(result.stoppedEarly, true);
      assert.deepEqual(await values(encoder), before, "no update after the non-finite step");
    } finally {
      encoder.dispose();
    }
  },
);

Deno.test("fusedTs2vecUnsupported names what the fused TS2Vec step does not cover", async () => {
  await initBackend({ prefer: "cpu" });
  const ts2vec = createTs2vecEncoder({
    inFeatures: 3,
    hidden: 4,
    outFeatures: 6,
    depth: 1,
    seed: 1,
  });
  const shipped = createTs2vecEncoder({
    inFeatures: 3,
    hidden: 4,
    outFeatures: 6,
    backbone: "feature-projector",
    seed: 1,
  });
  const projector = createFeatureProjector({ inFeatures: 3, outFeatures: 6, seed: 1 });
  try {
    assert.equal(fusedTs2vecUnsupported(ts2vec, [2, 8, 3]), null);
    assert.match(String(fusedTs2vecUnsupported(ts2vec, [2, 1, 3])), /T = 1/);
    assert.match(String(fusedTs2vecUnsupported(ts2vec, [2, 8, 4])), /F = 4/);
    assert.match(String(fusedTs2vecUnsupported(shipped, [2, 8, 3])), /ts2vec-feature-projector/);
    assert.match(String(fusedTs2vecUnsupported(projector, [2, 8, 3])), /"feature-projector"/);
    await assert.rejects(
      () =>
        createFusedTs2vecStep({
          encoder: projector,
          shape: [2, 8, 3],
          cropRng: makeRng(1),
          noiseRng: makeRng(2),
          lr: LR,
          weightDecay: WD,
          mode: "reference",
        }),
      (err) => err instanceof OptionError && /not covered/.test(err.message),
    );
  } finally {
    ts2vec.dispose();
    shipped.dispose();
    projector.dispose();
  }
});
