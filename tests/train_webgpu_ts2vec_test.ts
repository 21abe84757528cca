import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { adamw } from "../lib/optim/mod.ts";
import { makeRng } from "../lib/random.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { Objective, PretrainResult, SequenceBatch } from "../lib/train/mod.ts";
import { createTs2vecEncoder, drawCrop, ts2vecObjective } from "../lib/ts2vec/mod.ts";
import { countWebGpu, recordSteps } from "../lib/webgpu/mod.ts";
import type { GpuCounts } from "../lib/webgpu/mod.ts";
import { assertClose } from "./_util.ts";
import { maxAbsFinite, warnIfIgnored, webgpuTest } from "./_webgpu.ts";

warnIfIgnored("train_webgpu_ts2vec_test", "pretrain's fused TS2Vec path tests");

const SHAPE: [number, number, number] = [2, 16, 3];
const [HIDDEN, OUT, DEPTH, DROPOUT, ALPHA] = [8, 12, 3, 0.1, 0.5];
const [SEED, CROP_SEED, LR, STEPS] = [1, 8, 1e-3, 4];

type Values = Record<string, Float32Array>;

function encoderOf(backbone: "dilated-cnn" | "feature-projector" = "dilated-cnn"): Encoder {
  return createTs2vecEncoder({
    inFeatures: SHAPE[2],
    hidden: HIDDEN,
    outFeatures: OUT,
    depth: DEPTH,
    dropout: DROPOUT,
    backbone,
    seed: SEED,
  });
}

function batchOf(step: number): Float32Array {
  const rng = makeRng(100 + step);
  return Float32Array.from({ length: SHAPE[0] * SHAPE[1] * SHAPE[2] }, () => rng.normal());
}

/** Fresh batches 0, 1, …; `onNext` is called before each is handed out. */
function* batches(onNext: () => void): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: SHAPE[0] }, (_, i) => i);
  for (let step = 0;; step++) {
    onNext();
    yield { indices, epoch: 0, x: batchOf(step), shape: SHAPE };
  }
}

async function values(encoder: Encoder): Promise<Values> {
  const out: Values = {};
  for (const [name, v] of Object.entries(encoder.params)) {
    out[name] = await v.data() as Float32Array;
  }
  return out;
}

interface Run {
  result: PretrainResult;
  states: Values;
  /** Counts between consecutive batch draws: `[before the first, draw 1 → 2, …]`. */
  draws: GpuCounts[];
  /** The next number of the crop stream and of the noise stream after the run. */
  nextDraws: [number, number];
}

/**
 * `pretrain` of a fresh encoder and objective on webgpu; `plain` wraps the
 * objective in a function without its spec (the tfjs loop).
 */
async function run(
  cropping: "overlap" | "padded-full",
  plain: boolean,
  steps = STEPS,
  backbone: "dilated-cnn" | "feature-projector" = "dilated-cnn",
): Promise<Run> {
  const encoder = encoderOf(backbone);
  const objective = ts2vecObjective({ seed: CROP_SEED, alpha: ALPHA, cropping });
  const counter = countWebGpu();
  try {
    const recorder = recordSteps(counter);
    const result = await pretrain({
      encoder,
      objective: plain ? (e, x) => objective(e, x) : objective,
      batches: batches(() => recorder.mark()),
      steps,
      mode: "reference",
      lr: LR,
    });
    const nextDraws: [number, number] = [objective.spec!.rng.next(), encoder.noise!.rng.next()];
    return { result, states: await values(encoder), draws: [...recorder.steps], nextDraws };
  } finally {
    counter.uninstall();
    encoder.dispose();
  }
}

/** The tfjs path's gradients of every step (lib/train's loop, written out). */
async function tfjsGradients(): Promise<Values[]> {
  const encoder = encoderOf();
  const objective: Objective = ts2vecObjective({ seed: CROP_SEED, alpha: ALPHA });
  const optimizer = adamw(encoder.params, { lr: LR, weightDecay: 0.01 });
  const keyOf = new Map(Object.entries(encoder.params).map(([key, v]) => [v.name, key]));
  const gradients: Values[] = [];
  try {
    for (let s = 0; s < STEPS; s++) {
      const x = tf.tensor3d(batchOf(s), SHAPE);
      const { value, grads } = tf.variableGrads(
        () => objective(encoder, x),
        Object.values(encoder.params),
      );
      const named: Record<string, Tensor> = {};
      for (const [name, g] of Object.entries(grads)) named[keyOf.get(name) ?? name] = g;
      const g: Values = {};
      for (const [name, t] of Object.entries(named)) g[name] = await t.data() as Float32Array;
      gradients.push(g);
      optimizer.step(named);
      tf.dispose([x, value, ...Object.values(named)]);
    }
  } finally {
    optimizer.dispose();
    encoder.dispose();
  }
  return gradients;
}

/**
 * tests/webgpu_ts2vec_test.ts' tolerance: 1e-5 relative (1e-6 absolute),
 * except entries whose tfjs gradient was at float32 noise level at some step
 * (|g| < 1e-4 of the tensor's largest), which AdamW moves by up to ±lr a step.
 */
function assertStates(got: Values, want: Values, grads: Values[]): void {
  for (const [name, expected] of Object.entries(want)) {
    const noisy = new Uint8Array(expected.length);
    for (const g of grads) {
      const floor = 1e-4 * maxAbsFinite(g[name]);
      g[name].forEach((v, i) => noisy[i] |= Math.abs(v) < floor ? 1 : 0);
    }
    for (let i = 0; i < expected.length; i++) {
      const slack = noisy[i] ? 2 * LR * STEPS : Math.max(1e-5 * Math.abs(expected[i]), 1e-6);
      assert.ok(
        Math.abs(got[name][i] - expected[i]) <= slack,
        `${name}[${i}]: ${got[name][i]} vs ${expected[i]}`,
      );
    }
  }
}

webgpuTest(
  "pretrain on webgpu: a TS2Vec encoder with ts2vecObjective takes the fused step " +
    "(≤ 150 dispatches and no read a step) and equals the tfjs loop",
  async () => {
    const fused = await run("overlap", false);
    const tfjs = await run("overlap", true);
    const grads = await tfjsGradients();
    // draws 2 → 3 and 3 → 4 hold steps 2 and 3 whole (1 holds the setup, 4 the read)
    for (const counts of fused.draws.slice(2)) {
      assert.ok(counts.dispatches <= 150, `fused: ${counts.dispatches} dispatches a step`);
      assert.equal(counts.mapReads + counts.tensorReads, 0, "fused: a read within a step");
      assert.equal(counts.buffers + counts.bindGroups, 0, "fused: a creation within a step");
    }
    for (const counts of tfjs.draws.slice(2)) {
      assert.ok(counts.dispatches > 150, `tfjs loop: ${counts.dispatches} dispatches a step`);
      assert.ok(counts.tensorReads >= 1, "tfjs loop: the loss is read every step");
    }
    assert.equal(fused.result.losses.length, STEPS);
    for (let s = 0; s < STEPS; s++) {
      assertClose(fused.result.losses[s], tfjs.result.losses[s], {
        rtol: 1e-5,
        label: `loss step ${s + 1}`,
      });
    }
    assertStates(fused.states, tfjs.states, grads);
    // both streams left where the tfjs loop leaves them
    assert.deepEqual(fused.nextDraws, tfjs.nextDraws);
  },
);

webgpuTest(
  "pretrain on webgpu: ts2vec-reference's padded-full cropping and SoftCLT's " +
    "frame-projector backbone take the tfjs loop",
  async () => {
    const padded = await run("padded-full", false, 3);
    const frameProjector = await run("overlap", false, 3, "feature-projector");
    for (const { result, draws } of [padded, frameProjector]) {
      assert.equal(result.losses.length, 3);
      assert.ok(result.losses.every(Number.isFinite));
      // the frame projector's tfjs step is short, the fused step has no read
      assert.ok(draws[2].dispatches > 30, `${draws[2].dispatches} dispatches`);
      assert.ok(draws[2].tensorReads >= 1, "the tfjs loop reads the loss every step");
    }
    assert.ok(padded.draws[2].dispatches > 150, "padded-full: not the tfjs loop");
  },
);

Deno.test("TS2Vec encoder.noise is the live stream of its masks and dropout", async () => {
  await initBackend({ prefer: "cpu" });
  const encoder = encoderOf();
  try {
    const noise = encoder.noise!;
    assert.deepEqual([noise.maskKeep, noise.dropout], [0.5, DROPOUT]);
    assert.ok(Object.isFrozen(noise));
    const mirror = makeRng(SEED).fork();
    const [b, t, f] = SHAPE;
    tf.dispose(encoder.apply(tf.tensor3d(batchOf(0), SHAPE), { training: true }));
    for (let i = 0; i < b * t + b * t * OUT; i++) mirror.next();
    tf.dispose(encoder.apply(tf.zeros([b, t, f]), { training: false }));
    assert.equal(noise.rng.next(), mirror.next(), "one train-mode apply draws B·T + B·T·D");
  } finally {
    encoder.dispose();
  }
});

Deno.test("ts2vecObjective's spec: its live crop stream, α and cropping", async () => {
  await initBackend({ prefer: "cpu" });
  const encoder = encoderOf();
  const objective = ts2vecObjective({ seed: CROP_SEED, cropping: "padded-full" });
  try {
    const spec = objective.spec!;
    assert.deepEqual([spec.kind, spec.alpha, spec.cropping], ["ts2vec", 0.5, "padded-full"]);
    assert.equal(ts2vecObjective({ seed: 1, alpha: 0.25 }).spec?.cropping, "overlap");
    const mirror = makeRng(CROP_SEED);
    tf.dispose(objective(encoder, tf.tensor3d(batchOf(0), SHAPE)));
    drawCrop(SHAPE[0], SHAPE[1], mirror);
    assert.equal(spec.rng.next(), mirror.next(), "one call draws one crop from spec.rng");
  } finally {
    encoder.dispose();
  }
});
