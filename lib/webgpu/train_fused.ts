/**
 * The training loop around {@linkcode createFusedProjectorStep}: steps are
 * queued without reading anything back; every `readEvery` steps (default 50)
 * and at the end the losses of those steps are read in one read-back, the
 * record gets every step's loss, and the progress callback is called for each
 * of them.
 *
 * Non-finite losses: "reference" mode keeps going and counts them.
 * "guarded" mode stops updating on the GPU at the first non-finite loss (or
 * gradient), before that step's update, so the weights are exactly those the
 * per-step check leaves; the host learns it at the next read, up to
 * `readEvery − 1` steps later. Those later steps were queued but not taken
 * (no update, no running-statistics change): they are left out of the record,
 * which ends at the non-finite step as with the per-step check; their batches
 * were drawn from the batch source and (TS2Vec) their crops, masks and
 * dropout from the live streams, which the per-step check leaves undrawn.
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";
import type { Encoder } from "../encoders/mod.ts";
import type { Rng } from "../random.ts";
import { createFusedProjectorStep } from "./projector_step.ts";
import { createFusedTs2vecStep } from "./ts2vec_step.ts";
import type { FusedProjectorStep, FusedStepLoss } from "./projector_step.ts";

/** A batch as lib/train's batch sources yield it. */
export interface FusedBatch {
  x: Float32Array;
  shape: [number, number, number];
}

/**
 * Progress of one finished step (1-based `step`); lib/train's `StepProgress`
 * is this type.
 */
export interface FusedStepProgress {
  step: number;
  steps: number;
  loss: number;
  itPerSec: number;
  etaSeconds: number;
}

/** What every fused loop takes: the encoder, batches, steps and AdamW settings. */
export interface FusedLoopOptions {
  encoder: Encoder;
  batches: Iterator<FusedBatch>;
  steps: number;
  mode: "reference" | "guarded";
  lr: number;
  weightDecay: number;
  /** Steps between read-backs (default 50). */
  readEvery?: number;
  onStep?: (progress: FusedStepProgress) => void;
}

/** Options of {@linkcode trainFused}. */
export interface TrainFusedOptions extends FusedLoopOptions {
  loss: FusedStepLoss;
}

/**
 * Options of {@linkcode trainFusedTs2vec}: the TS2Vec step's streams and
 * settings (see {@linkcode FusedTs2vecStepOptions}).
 */
export interface TrainFusedTs2vecOptions extends FusedLoopOptions {
  cropRng: Rng;
  noiseRng: Rng;
  alpha?: number;
  maskKeep?: number;
  dropout?: number;
}

/**
 * Outcome of {@linkcode trainFused}; lib/train's `PretrainResult` (the tfjs
 * loop's outcome too) is this type.
 */
export interface TrainFusedResult {
  /** Loss of each step taken, computed before that step's update. */
  losses: Float32Array;
  /** Number of steps whose loss (or, in guarded mode, gradient) was non-finite. */
  nonFinite: number;
  /** True when some step was non-finite. */
  diverged: boolean;
  /** 1-based step of the first non-finite loss, or null. */
  divergedStep: number | null;
  /** True when guarded mode stopped at a non-finite step (its update not applied). */
  stoppedEarly: boolean;
  /** Wall time of the loop. */
  seconds: number;
  /** Steps per second. */
  itPerSec: number;
}

/** The record being filled: every taken step's loss and the non-finite count. */
export interface LoopRecord {
  losses: Float32Array;
  nonFinite: number;
  divergedStep: number | null;
  done: number;
}

/**
 * Appends one read's steps to `record` (calling `onStep` for each); true when
 * the run stopped (guarded mode's non-finite step, or steps not taken).
 */
function recordRead(
  record: LoopRecord,
  read: { losses: Float32Array; flags: Uint32Array },
  options: FusedLoopOptions,
  start: number,
): boolean {
  const { steps, mode, onStep } = options;
  for (let i = 0; i < read.losses.length; i++) {
    if (read.flags[i] === 2) return true;
    const step = record.done + 1;
    const loss = read.losses[i];
    record.losses[step - 1] = loss;
    record.done = step;
    if (read.flags[i] === 1) {
      record.nonFinite++;
      record.divergedStep ??= step;
    }
    if (onStep) {
      const itPerSec = step / ((performance.now() - start) / 1000);
      onStep({ step, steps, loss, itPerSec, etaSeconds: (steps - step) / itPerSec });
    }
    if (read.flags[i] === 1 && mode === "guarded") return true;
  }
  return false;
}

/**
 * Queues every step, reading every `readEvery` steps and at the end; true
 * when guarded mode stopped at a non-finite step.
 */
async function runSteps(
  fused: FusedProjectorStep,
  first: FusedBatch,
  draw: (step: number) => FusedBatch,
  record: LoopRecord,
  options: FusedLoopOptions,
  start: number,
): Promise<boolean> {
  const { steps, mode } = options;
  const readEvery = options.readEvery ?? 50;
  for (let step = 1; step <= steps; step++) {
    const batch = step === 1 ? first : draw(step);
    if (batch.shape.some((d, i) => d !== first.shape[i])) {
      throw new ShapeError(
        `pretrain (fused webgpu step): batch ${step} has shape [${batch.shape}], ` +
          `expected [${first.shape}] like the first`,
      );
    }
    fused.step(batch.x);
    if (fused.pending === readEvery || step === steps) {
      if (recordRead(record, await fused.read(), options, start)) return mode === "guarded";
    }
  }
  return false;
}

/**
 * Trains a FeatureProjector with LS_MARGIN or InfoNCE and AdamW on the webgpu backend
 * through the fused step, and writes the trained values back into
 * `encoder`'s variables. The first batch fixes the shape.
 *
 * @example Through pretrain (lib/train), which calls it on webgpu
 * ```ts ignore
 * const result = await pretrain({ encoder, loss: makeContrastiveLoss(lsMarginSpec),
 *   batches, steps: 200, mode: "guarded" }); // 4 read-backs of 50 losses each
 * ```
 *
 * @throws {OptionError} when the batch source ends early or the step is not covered.
 * @throws {ShapeError} when a batch's shape differs from the first one's.
 */
export function trainFused(options: TrainFusedOptions): Promise<TrainFusedResult> {
  const { encoder, loss, lr, weightDecay, mode } = options;
  return trainWith(
    options,
    (shape, readEvery) =>
      createFusedProjectorStep({ encoder, shape, loss, lr, weightDecay, mode, readEvery }),
  );
}

/**
 * Trains a TS2Vec encoder (dilated-CNN backbone) on the webgpu backend
 * through {@linkcode createFusedTs2vecStep} (≤ 150 dispatches a step), with
 * {@linkcode trainFused}'s loop: losses read every `readEvery` steps, guarded
 * mode stopping at the first non-finite step, the trained values written
 * back into `encoder`'s variables.
 *
 * @example
 * ```ts ignore
 * const result = await trainFusedTs2vec({ encoder, batches, steps: 200, mode: "guarded",
 *   lr: 1e-3, weightDecay: 0.01, cropRng: makeRng(cropSeed), noiseRng: makeRng(encoderSeed).fork() });
 * ```
 *
 * @throws {OptionError} when the batch source ends early or the step is not covered.
 * @throws {ShapeError} when a batch's shape differs from the first one's.
 */
export function trainFusedTs2vec(options: TrainFusedTs2vecOptions): Promise<TrainFusedResult> {
  return trainWith(
    options,
    (shape, readEvery) => createFusedTs2vecStep({ ...options, shape, readEvery }),
  );
}

/** The loop of both fused steps around the step `create` makes for the first batch's shape. */
async function trainWith(
  options: FusedLoopOptions,
  create: (shape: [number, number, number], readEvery: number) => Promise<FusedProjectorStep>,
): Promise<TrainFusedResult> {
  const { batches, steps } = options;
  const readEvery = options.readEvery ?? 50;
  const record: LoopRecord = {
    losses: new Float32Array(steps),
    nonFinite: 0,
    divergedStep: null,
    done: 0,
  };
  let stoppedEarly = false;
  const start = performance.now();
  const draw = (step: number): FusedBatch => {
    const next = batches.next();
    if (next.done) throw new OptionError(`pretrain: batch source ended after ${step - 1} steps`);
    return next.value;
  };
  const first = steps > 0 ? draw(1) : null;
  if (first) {
    const fused = await create(first.shape, readEvery);
    // The steps taken stay in the encoder also when the loop fails (a
    // batch source that ends early), as with the per-step loop.
    const errors: unknown[] = [];
    try {
      stoppedEarly = await runSteps(fused, first, draw, record, options, start);
    } catch (err) {
      errors.push(err);
    }
    try {
      await fused.writeBack();
    } catch (err) {
      errors.push(err);
    } finally {
      fused.destroy();
    }
    if (errors.length > 0) throw errors[0];
  }
  return loopResult(record, stoppedEarly, start);
}

/**
 * A training loop's outcome from its record: the first `done` losses, the
 * non-finite count and first step, and the wall time since `start`
 * (`performance.now()` ms) with `itPerSec = done / seconds` (0 when no time
 * passed). Shared by this loop and lib/train's tfjs loop.
 *
 * @example
 * ```ts
 * const result = loopResult({ losses: new Float32Array(2), nonFinite: 0, divergedStep: null, done: 2 }, false, performance.now());
 * ```
 */
export function loopResult(
  record: LoopRecord,
  stoppedEarly: boolean,
  start: number,
): TrainFusedResult {
  const seconds = (performance.now() - start) / 1000;
  const { done, nonFinite, divergedStep } = record;
  return {
    losses: record.losses.slice(0, done),
    nonFinite,
    diverged: divergedStep !== null,
    divergedStep,
    stoppedEarly,
    seconds,
    itPerSec: seconds > 0 ? done / seconds : 0,
  };
}
