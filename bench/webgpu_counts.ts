/**
 * What one training step asks of the WebGPU device, counted (not timed): per
 * step of `pretrain`, compute dispatches, buffer and bind-group creations,
 * queue submissions, uploads and read-backs (see lib/webgpu/counters.ts).
 * The counts are the same on a real GPU and on Mesa's llvmpipe software
 * adapter, so this section runs wherever a WebGPU adapter exists; it prints
 * no timings (a software adapter's timings are not GPU figures).
 *
 * Steps: the SleepEEG-shaped (8 × 200 × 90 → 320) FeatureProjector + LS_MARGIN
 * (emargin-reference) + AdamW step and the SleepEEG-shaped TS2Vec step as
 * tfjs ops ("tfjs ops": the per-step loop of lib/train), each under tfjs'
 * default WebGPU flags and under the flags that change the counts:
 * `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE` (dispatches per submitted command
 * buffer, default 15) and `WEBGPU_CPU_FORWARD` (small ops on host values run
 * on the cpu backend, default on); then the emargin-reference,
 * emargin-stable, infonce and TS2Vec steps as tfjs ops and through
 * lib/webgpu's fused steps ("fused": the FeatureProjector step `pretrain`
 * runs on webgpu, and the TS2Vec step of `createFusedTs2vecStep`, ≤ 150
 * dispatches), whose losses are read once per 50 steps (the read is its own
 * row).
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import { initBackend, probeWebGpu } from "../lib/backend.ts";
import {
  countWebGpu,
  createFusedProjectorStep,
  createFusedTs2vecStep,
  divideCounts,
  recordSteps,
  zeroCounts,
} from "../lib/webgpu/mod.ts";
import type { FusedProjectorStep, FusedStepLoss, GpuCounts } from "../lib/webgpu/mod.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { makeRng } from "../lib/random.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { SequenceBatch } from "../lib/train/mod.ts";
import { stepLossSpec, STUDY_SHAPES, variantStep } from "./variants.ts";
import type { StepVariant, StudyShape } from "./variants.ts";
import type { FrameLoss, Objective } from "../lib/train/mod.ts";

/** A tfjs WebGPU flag setting the counts are taken under. */
export interface FlagSetting {
  label: string;
  flags: Record<string, number | boolean>;
}

/** tfjs' defaults, then each flag that changes what a step submits. */
export const FLAG_SETTINGS: readonly FlagSetting[] = [
  { label: "tfjs defaults", flags: {} },
  { label: "DEFERRED_SUBMIT_BATCH_SIZE=1000", flags: { WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 1000 } },
  { label: "CPU_FORWARD=false", flags: { WEBGPU_CPU_FORWARD: false } },
];

function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

/** Counts of `warmup + counted` steps: the warm-up steps' total and each counted step. */
export interface StepCounts {
  warmup: GpuCounts;
  steps: GpuCounts[];
}

/**
 * Runs `warmup + counted` `pretrain` steps of `variant` as tfjs ops (the
 * per-step loop, also for a loss the fused step covers) on one seeded
 * SleepEEG-shaped batch (or `shape`) on the active webgpu backend, counting
 * per step. The `flags` are set for the run and restored afterwards.
 */
export async function countVariantSteps(
  variant: StepVariant,
  options: {
    warmup: number;
    counted: number;
    flags?: Record<string, number | boolean>;
    shape?: { B: number; T: number; F: number };
  },
): Promise<StepCounts> {
  const base = STUDY_SHAPES[0];
  const { B, T, F } = { ...base, ...options.shape };
  const rng = makeRng(1);
  const x = Float32Array.from({ length: B * T * F }, () => Math.abs(rng.normal()));
  const step = variantStep({ ...base, B, T, F }, variant);
  const { encoder } = step;
  // A plain function hides the loss's or the objective's spec: pretrain keeps the tfjs loop.
  const train = "loss" in step.train
    ? { loss: ((loss: FrameLoss): FrameLoss => (z, x) => loss(z, x))(step.train.loss) }
    : { objective: ((f: Objective): Objective => (e, x) => f(e, x))(step.train.objective) };
  const env = tf.env();
  const previous = Object.keys(options.flags ?? {}).map((k) => [k, env.get(k)] as const);
  for (const [k, v] of Object.entries(options.flags ?? {})) env.set(k, v);
  const counter = countWebGpu();
  const recorder = recordSteps(counter);
  try {
    await pretrain({
      encoder,
      ...train,
      batches: repeat(x, [B, T, F]),
      steps: options.warmup + options.counted,
      mode: "reference",
      onStep: () => recorder.mark(),
    });
  } finally {
    counter.uninstall();
    encoder.dispose();
    for (const [k, v] of previous) env.set(k, v);
  }
  const warm = recorder.steps.slice(0, options.warmup);
  const warmup = warm.reduce((acc, c) => {
    for (const key of Object.keys(acc) as (keyof GpuCounts)[]) acc[key] += c[key];
    return acc;
  }, zeroCounts());
  return { warmup, steps: recorder.steps.slice(options.warmup) };
}

/** Per-step mean of the counted steps. */
export function meanStep(counts: { steps: GpuCounts[] }): GpuCounts {
  const total = zeroCounts();
  for (const c of counts.steps) {
    for (const key of Object.keys(total) as (keyof GpuCounts)[]) total[key] += c[key];
  }
  return divideCounts(total, counts.steps.length);
}

/** The steps counted under every flag setting. */
const VARIANTS: readonly StepVariant[] = ["emargin-reference", "ts2vec"];

/** The variants the fused step covers on the SleepEEG shape (also counted as tfjs ops, default flags). */
const FUSED_VARIANTS: readonly StepVariant[] = [
  "emargin-reference",
  "emargin-stable",
  "infonce",
  "ts2vec",
];

/**
 * The fused step of `variant` for `encoder` (variantStep's): the TS2Vec step
 * with the crop and noise streams of `ts2vecObjective({ seed: 1 })` and the
 * encoder's seed 1, or the FeatureProjector step with the variant's loss.
 */
function fusedStepOf(
  variant: StepVariant,
  encoder: Encoder,
  shape: StudyShape,
): Promise<FusedProjectorStep> {
  const common = { encoder, shape: [shape.B, shape.T, shape.F] as [number, number, number] };
  const optimiser = { lr: 1e-3, weightDecay: 0.01, mode: "reference" as const };
  if (variant === "ts2vec") {
    return createFusedTs2vecStep({
      ...common,
      ...optimiser,
      cropRng: makeRng(1),
      noiseRng: makeRng(1).fork(),
    });
  }
  return createFusedProjectorStep({
    ...common,
    ...optimiser,
    loss: stepLossSpec(shape, variant) as FusedStepLoss,
  });
}

/**
 * Counts of the fused step of `variant` on one seeded SleepEEG-shaped
 * batch: its setup (reading the encoder, allocating, building the
 * pipelines), `warmup + counted` steps queued without a read (the counted
 * ones per step), and the one read of their losses.
 */
export async function countFusedSteps(
  variant: StepVariant,
  warmup: number,
  counted: number,
): Promise<{ setup: GpuCounts; steps: GpuCounts[]; read: GpuCounts; dispatchesPerStep: number }> {
  const shape = STUDY_SHAPES[0];
  const { B, T, F } = shape;
  const rng = makeRng(1);
  const x = Float32Array.from({ length: B * T * F }, () => Math.abs(rng.normal()));
  const { encoder } = variantStep(shape, variant);
  const counter = countWebGpu();
  const marks = recordSteps(counter);
  try {
    const step = await fusedStepOf(variant, encoder, shape);
    marks.mark();
    try {
      for (let i = 0; i < warmup + counted; i++) {
        step.step(x);
        marks.mark();
      }
      await step.read();
      marks.mark();
    } finally {
      step.destroy();
    }
    const [setup, ...rest] = marks.steps;
    return {
      setup,
      steps: rest.slice(warmup, warmup + counted),
      read: rest[warmup + counted],
      dispatchesPerStep: step.dispatchesPerStep,
    };
  } finally {
    counter.uninstall();
    encoder.dispose();
  }
}

/** One row per step × flag setting: the per-step counts after one warm-up step. */
export async function benchWebgpuCounts(): Promise<
  { rows: Record<string, unknown>[]; notes: string[] }
> {
  const gpu = await probeWebGpu();
  if (!gpu) return { rows: [], notes: ["no WebGPU adapter on this machine: nothing counted"] };
  await initBackend({ prefer: "webgpu" });
  const rows: Record<string, unknown>[] = [];
  const [warmup, counted] = [1, 2];
  for (const variant of VARIANTS) {
    for (const { label, flags } of FLAG_SETTINGS) {
      const counts = await countVariantSteps(variant, { warmup, counted, flags });
      rows.push({
        step: `${variant} (SleepEEG 8×200×90)`,
        path: "tfjs ops",
        flags: label,
        ...meanStep(counts),
        warmupBuffers: counts.warmup.buffers,
      });
    }
  }
  for (const variant of FUSED_VARIANTS) {
    const step = `${variant} (SleepEEG 8×200×90)`;
    if (!VARIANTS.includes(variant)) {
      const counts = await countVariantSteps(variant, { warmup, counted });
      rows.push({
        step,
        path: "tfjs ops",
        flags: "tfjs defaults",
        ...meanStep(counts),
        warmupBuffers: counts.warmup.buffers,
      });
    }
    const fused = await countFusedSteps(variant, warmup, counted);
    const fusedRow = (path: string, counts: GpuCounts) => ({
      step,
      path,
      flags: "(none used)",
      ...counts,
    });
    rows.push(
      fusedRow("fused: setup, once per run", fused.setup),
      fusedRow("fused: per step", meanStep(fused)),
      fusedRow(`fused: one read of ${warmup + counted} losses (every 50 steps)`, fused.read),
    );
  }
  return {
    rows,
    notes: [
      `adapter: ${gpu.adapter}; counts per step, mean of ${counted} steps after ${warmup} warm-up step(s); counts do not depend on the adapter, timings would`,
      "mapReads = GPU read-backs (mapAsync); tensorReads = tfjs data() calls, host-held values included",
    ],
  };
}

if (import.meta.main) {
  const { rows, notes } = await benchWebgpuCounts();
  console.table(rows);
  for (const note of notes) console.log(note);
}
