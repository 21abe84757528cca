/**
 * The pretraining loop of the reference (baselines/emargin.py `fit`): per step
 * `z = net(x)` → `[N, D]` → `loss` → backward → AdamW, for a fixed number of
 * optimiser steps, with no gradient clipping.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor2D, Tensor3D } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError } from "../errors.ts";
import type { Rng } from "../random.ts";
import { adamw } from "../optim/mod.ts";
import type { SequenceBatch } from "./batches.ts";
import {
  fusedStepUnsupported,
  fusedTs2vecUnsupported,
  loopResult,
  trainFused,
  trainFusedTs2vec,
} from "../webgpu/mod.ts";
import type { FusedStepLoss, FusedStepProgress, TrainFusedResult } from "../webgpu/mod.ts";

/**
 * A per-frame loss: `z [N, D]` (encoder output, sequence-major rows
 * `n = b·T + t`) and the raw input `x [N, F]` (for the sim vector) → scalar.
 */
export type FrameLoss = (z: Tensor2D, x: Tensor2D) => Scalar;

/**
 * What a TS2Vec objective (lib/ts2vec's `ts2vecObjective`) is, for a fused
 * step to take its place: `rng`, the live stream its crops are drawn from
 * (advanced by every call), the instance-term weight `alpha` and the cropping.
 */
export interface Ts2vecObjectiveSpec {
  readonly kind: "ts2vec";
  readonly rng: Rng;
  readonly alpha: number;
  readonly cropping: "overlap" | "padded-full";
}

/**
 * A full training objective: runs the encoder in train mode on `x [B, T, F]`
 * and returns the loss. Must depend on the parameters only through tf ops.
 * `spec`, when present, says what the objective computes (see
 * {@linkcode pretrain}'s webgpu path).
 */
export type Objective = ((encoder: Encoder, x: Tensor3D) => Scalar) & {
  readonly spec?: Ts2vecObjectiveSpec;
};

/**
 * The reference objective: `z = encoder(x)` in train mode, reshaped to
 * `[B·T, D]`, and `loss(z, x.reshape([B·T, F]))`.
 */
export function frameObjective(loss: FrameLoss): Objective {
  return (encoder, x) => {
    const [b, t, f] = x.shape;
    const z = encoder.apply(x, { training: true });
    return loss(
      tf.reshape(z, [b * t, encoder.outFeatures]) as Tensor2D,
      tf.reshape(x, [b * t, f]) as Tensor2D,
    );
  };
}

/** Progress of one finished step (1-based `step`), on either path. */
export type StepProgress = FusedStepProgress;

/**
 * What to do with a non-finite loss: "reference" records it and keeps going
 * (NaN flows into the weights, as in the reference, which has no guard);
 * "guarded" stops before applying that step's update.
 */
export type TrainMode = "reference" | "guarded";

/** Options of {@linkcode pretrain}. Exactly one of `loss` / `objective`. */
export interface PretrainOptions {
  encoder: Encoder;
  /** Per-frame loss; wrapped by {@linkcode frameObjective}. */
  loss?: FrameLoss;
  /** Custom objective (e.g. TS2Vec's two crops and hierarchical loss). */
  objective?: Objective;
  /** Batch source, e.g. {@linkcode sequenceBatches}. */
  batches: Iterator<SequenceBatch>;
  /** Number of optimiser steps. */
  steps: number;
  mode: TrainMode;
  /**
   * Called after every step (on webgpu's fused path, for each step after the
   * read of its loss: in bursts of up to 50).
   */
  onStep?: (progress: StepProgress) => void;
  /** AdamW learning rate (default 1e−3). */
  lr?: number;
  /** AdamW decoupled weight decay (default 0.01, torch's default). */
  weightDecay?: number;
}

/**
 * Outcome of {@linkcode pretrain}: `losses` (each taken step's, before its
 * update), `nonFinite`, `diverged`, `divergedStep` (1-based, or null),
 * `stoppedEarly` (guarded mode), `seconds` and `itPerSec`; the fused webgpu
 * loop returns the same record.
 */
export type PretrainResult = TrainFusedResult;

/**
 * Trains `encoder` in place with AdamW (torch order, see `lib/optim`) for
 * `steps` steps. Per step: `(loss, ∇) = variableGrads(objective(encoder, x))`,
 * then `adamw.step(∇)`. Every tensor of a step is freed before the next one.
 * On the webgpu backend, a FeatureProjector with a loss lib/webgpu's fused
 * step covers, and a TS2Vec encoder with `ts2vecObjective`'s overlap
 * cropping, train through lib/webgpu's fused steps instead (same arithmetic
 * and random draws, ≤ 30 and ≤ 150 GPU dispatches a step, the losses read
 * back every 50 steps); the shipped wrapper's "padded-full" cropping and
 * every other encoder or objective take the tfjs loop.
 *
 * @example Three steps of a small encoder on random sequences
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { createFeatureProjector } from "../encoders/mod.ts";
 * import { makeContrastiveLoss } from "../losses/mod.ts";
 * import { sequenceBatches } from "./batches.ts";
 * import { pretrain } from "./pretrain.ts";
 *
 * await initBackend({ prefer: "cpu" });
 * const [nSequences, T, F] = [4, 6, 5];
 * const x = Float32Array.from({ length: nSequences * T * F }, (_, i) => Math.sin(i));
 * const encoder = createFeatureProjector({ inFeatures: F, outFeatures: 8, seed: 1 });
 * const { losses, nonFinite } = await pretrain({
 *   encoder,
 *   loss: makeContrastiveLoss({ kind: "infonce", temperature: 0.5, form: "ls" }),
 *   batches: sequenceBatches({ x, nSequences, T, F }, { batchSize: 2, seed: 1 }),
 *   steps: 3,
 *   mode: "guarded",
 * });
 * assert.ok(losses.length === 3 && nonFinite === 0);
 * encoder.dispose();
 * ```
 */
export async function pretrain(options: PretrainOptions): Promise<PretrainResult> {
  const { encoder, steps, mode, onStep, lr = 1e-3, weightDecay = 0.01 } = options;
  let { batches } = options;
  if ((options.loss === undefined) === (options.objective === undefined)) {
    throw new OptionError("pretrain: pass exactly one of `loss` and `objective`");
  }
  if (!Number.isInteger(steps) || steps < 0) {
    throw new OptionError(`pretrain: steps must be a non-negative integer, got ${steps}`);
  }
  if (mode !== "reference" && mode !== "guarded") {
    throw new OptionError(`pretrain: mode must be "reference" or "guarded", got "${mode}"`);
  }
  if (tf.getBackend() === "webgpu") {
    const fused = await pretrainWebGpu(options);
    if ("result" in fused) return fused.result;
    batches = fused.batches;
  }
  const objective = options.objective ?? frameObjective(options.loss!);
  const optimizer = adamw(encoder.params, { lr, weightDecay });
  // tfjs returns gradients keyed by the variables' global names.
  const keyOf = new Map(Object.entries(encoder.params).map(([key, v]) => [v.name, key]));
  const varList = Object.values(encoder.params);

  const losses = new Float32Array(steps);
  let nonFinite = 0, divergedStep: number | null = null, done = 0, stoppedEarly = false;
  const start = performance.now();
  try {
    for (let step = 1; step <= steps; step++) {
      const next = batches.next();
      if (next.done) throw new OptionError(`pretrain: batch source ended after ${step - 1} steps`);
      const batch = next.value;
      const x = tf.tensor3d(batch.x, batch.shape);
      const { value, grads } = tf.variableGrads(() => objective(encoder, x), varList);
      x.dispose();
      const named: Record<string, Tensor> = {};
      for (const [name, g] of Object.entries(grads)) named[keyOf.get(name) ?? name] = g;
      // asynchronous reads: WebGPU under Deno has no synchronous readback
      const loss = (await value.data())[0];
      let finite = Number.isFinite(loss);
      if (finite && mode === "guarded") finite = await allFinite(Object.values(named));
      if (!finite) {
        nonFinite++;
        divergedStep ??= step;
      }
      if (finite || mode === "reference") optimizer.step(named);
      value.dispose();
      tf.dispose(Object.values(named));
      losses[step - 1] = loss;
      done = step;
      if (onStep) {
        const seconds = (performance.now() - start) / 1000;
        const itPerSec = step / seconds;
        onStep({ step, steps, loss, itPerSec, etaSeconds: (steps - step) / itPerSec });
      }
      if (!finite && mode === "guarded") {
        stoppedEarly = true;
        break;
      }
    }
  } finally {
    optimizer.dispose();
  }
  return loopResult({ losses, nonFinite, divergedStep, done }, stoppedEarly, start);
}

/**
 * A fused webgpu loop that may take the tfjs loop's place: whether its step
 * covers a batch shape, and the loop itself.
 */
interface FusedRoute {
  covers(shape: [number, number, number]): boolean;
  train(batches: Iterator<SequenceBatch>): Promise<PretrainResult>;
}

/**
 * The fused loop for `options`, or null when none applies: a FeatureProjector
 * with a spec'd LS_MARGIN, emargin-stable or decoupled InfoNCE loss
 * (`makeContrastiveLoss`; see lib/webgpu's `fusedStepUnsupported`) trains
 * through `trainFused` (≤ 30 dispatches a step); a TS2Vec encoder (with its
 * `noise`) and a `ts2vecObjective` with overlap cropping through
 * `trainFusedTs2vec` (≤ 150 dispatches a step; see `fusedTs2vecUnsupported`),
 * which draws the crops from the objective's live stream and the masks and
 * dropout from the encoder's, as the tfjs loop would.
 */
function fusedRoute(options: PretrainOptions): FusedRoute | null {
  const { encoder, steps, mode, onStep, lr = 1e-3, weightDecay = 0.01 } = options;
  const loop = { encoder, steps, mode, lr, weightDecay, onStep };
  if (options.loss) {
    const spec = (options.loss as { spec?: { kind: string } }).spec;
    if (fusedStepUnsupported(encoder, spec, Infinity) !== null) return null;
    return {
      covers: ([b, t]) => fusedStepUnsupported(encoder, spec, b * t) === null,
      train: (batches) => trainFused({ ...loop, loss: spec as FusedStepLoss, batches }),
    };
  }
  const spec = options.objective?.spec;
  const noise = encoder.noise;
  if (spec?.kind !== "ts2vec" || spec.cropping !== "overlap" || !noise) return null;
  return {
    covers: (shape) => fusedTs2vecUnsupported(encoder, shape) === null,
    train: (batches) =>
      trainFusedTs2vec({
        ...loop,
        batches,
        cropRng: spec.rng,
        noiseRng: noise.rng,
        alpha: spec.alpha,
        maskKeep: noise.maskKeep,
        dropout: noise.dropout,
      }),
  };
}

/**
 * The webgpu branch: when a fused loop applies (see {@linkcode fusedRoute})
 * and its step covers the first batch's shape, trains through it (the losses
 * read every 50 steps; see `trainFused` for the guarded mode). Otherwise
 * returns the batch source to use instead (the same batches, the first one
 * possibly looked at): the tfjs loop then runs unchanged.
 */
async function pretrainWebGpu(
  options: PretrainOptions,
): Promise<{ result: PretrainResult } | { batches: Iterator<SequenceBatch> }> {
  const route = options.steps === 0 ? null : fusedRoute(options);
  if (route === null) return { batches: options.batches };
  // The batch decides too (its size, its length): look at the first batch,
  // then hand it on with the rest to whichever loop runs.
  const first = options.batches.next();
  const rest = options.batches;
  let consumed = false;
  const batches: Iterator<SequenceBatch> = {
    next: (): IteratorResult<SequenceBatch> => {
      if (!consumed) {
        consumed = true;
        return first;
      }
      return rest.next();
    },
  };
  if (first.done || !route.covers(first.value.shape)) return { batches };
  return { result: await route.train(batches) };
}

/** True when every entry of every tensor is finite (one reduction, one read). */
async function allFinite(tensors: Tensor[]): Promise<boolean> {
  const total = tf.tidy(() => tf.addN(tensors.map((t) => tf.sum(tf.abs(t)))));
  try {
    return Number.isFinite((await total.data())[0]);
  } finally {
    total.dispose();
  }
}
