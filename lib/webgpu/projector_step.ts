/**
 * The FeatureProjector + loss + AdamW training step as one fixed sequence of
 * WGSL programs on buffers allocated once per run, for LS_MARGIN (the
 * reference eMargin), emargin-stable and decoupled InfoNCE (the last two in
 * the "ls" and "single" forms; see {@linkcode fusedStepUnsupported}).
 *
 * Design: tfjs runs a step as several hundred small kernels, each with a new
 * bind group and pooled buffers, and reads the loss back every step. Here the
 * whole step is 30 compute dispatches in one compute pass and one submission,
 * on the tfjs backend's own `GPUDevice` (so the counters of counters.ts see
 * it). At creation the parameters, BatchNorm running statistics and AdamW
 * moments are copied into flat storage buffers, every intermediate buffer is
 * allocated for the batch shape, and every pipeline and bind group is built;
 * a step then only uploads the batch and a 16-byte step uniform
 * (`queue.writeBuffer`) and records the dispatches. Losses go to a slot of a
 * loss buffer on the GPU and are read with {@linkcode FusedProjectorStep.read}
 * (one `mapAsync` per read), at most every `readEvery` steps.
 * {@linkcode FusedProjectorStep.writeBack} copies the trained values into the
 * encoder's tfjs variables.
 *
 * The sequence (`N = B·T` frames, widths `F → 128 → 64 → D`):
 * ```
 * sim vector v [N] (not for InfoNCE)                           1
 * 3 × (conv: H = X·Wᵀ + b; BN statistics (+ running update);
 *      A = ReLU(BN(H)))                                        9
 * U = normalize(A₃); S = U·Uᵀ; column sums c, positives ℓ (per loss);
 * loss, w = ∂L/∂c, g = ∂L/∂ℓ; coefficient matrix; ∂U = A·U;
 * ∂A₃ = normalize backward                                     7
 * 3 × (BN+ReLU backward sums ∂γ, ∂β; ∂H; ∂W, ∂b; ∂X (layers 3, 2)) 11
 * finiteness guard; AdamW over all parameters                  2
 * ```
 * The arithmetic is the one of lib/encoders, lib/losses (lsMarginLoss) and
 * lib/optim (AdamW in torch's order), with sums in a different order (float32
 * rounding differs at the 1e−6 level). Non-finite values propagate as in the
 * reference; guarded mode is kept on the GPU (shaders.ts `GUARD`): the first
 * non-finite step stops every later update, so the weights are those before
 * that step, exactly as the tfjs path leaves them.
 *
 * Not advanced by this path: BatchNorm's `num_batches_tracked` counter (torch
 * reads it only when momentum is None, which this project never uses).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Variable } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { webGpuDevice } from "./counters.ts";
import {
  allocateStepBuffers,
  HIDDEN,
  LAYERS,
  readEncoderValues,
  stepLayout,
  USAGE_READ,
} from "./step_buffers.ts";
import type { StepBuffers, StepLayout } from "./step_buffers.ts";
import { buildSequence } from "./step_sequence.ts";
import { assignParams, readBack, stepRunner } from "./step_runner.ts";
import type { FusedProjectorStep } from "./step_runner.ts";

export { readBack, submitSequence } from "./step_runner.ts";
export type { FusedProjectorStep, StepRead } from "./step_runner.ts";

/** The LS_MARGIN loss of the fused step (lib/losses `MarginSpec` with kind "ls-margin"). */
export interface LsMarginStepLoss {
  kind: "ls-margin";
  temperature: number;
  margin: number;
  /** θ of the sim vector. */
  threshold: number;
  simVariant: "reference" | "intended";
  /** γ (default 0.05, the reference's). */
  gamma?: number;
}

/**
 * Decoupled log-space InfoNCE of the fused step (lib/losses `InfoNceSpec`),
 * without the §6 options, for `1/τ ≤ 40`.
 */
export interface InfoNceStepLoss {
  kind: "infonce";
  temperature: number;
  form: "ls" | "single";
  difficult?: unknown;
  vrns?: unknown;
}

/**
 * emargin-stable of the fused step (lib/losses `StableSpec`), without the §6 options, for `2/τ ≤ 80` (the fused tfjs loss's range).
 */
export interface StableStepLoss {
  kind: "stable";
  temperature: number;
  margin: number;
  threshold: number;
  gamma?: number;
  form: "ls" | "single";
  difficult?: unknown;
  vrns?: unknown;
}

/** The losses the fused step covers. */
export type FusedStepLoss = LsMarginStepLoss | StableStepLoss | InfoNceStepLoss;

/** Options of {@linkcode createFusedProjectorStep}. */
export interface FusedProjectorStepOptions {
  /** A FeatureProjector (`createFeatureProjector`, input gradient off). */
  encoder: Encoder;
  /** Batch shape `[B, T, F]`; every step's batch must have it. */
  shape: [number, number, number];
  loss: FusedStepLoss;
  /** AdamW learning rate. */
  lr: number;
  /** AdamW decoupled weight decay. */
  weightDecay: number;
  mode: "reference" | "guarded";
  /** Steps between reads (size of the on-GPU loss record), default 50. */
  readEvery?: number;
}

/** Why the fused step does not cover `loss` on N frames, or null. */
function lossUnsupported(loss: { kind: string } | undefined, n: number): string | null {
  if (loss?.kind === "ls-margin") return n < 3 ? `N = ${n} < 3 frames` : null;
  if (loss?.kind !== "infonce" && loss?.kind !== "stable") {
    return `loss "${loss?.kind ?? "custom"}"`;
  }
  const spec = loss as InfoNceStepLoss | StableStepLoss;
  if (spec.form !== "ls" && spec.form !== "single") return `${spec.kind} form "${spec.form}"`;
  if (spec.difficult !== undefined || spec.vrns !== undefined) {
    return `${spec.kind} with §6 options`;
  }
  // the unshifted (InfoNCE) or column-shifted (stable) sums' range, as in lib/losses/fused
  const reach = (spec.kind === "infonce" ? 1 : 2) / spec.temperature;
  if (!(reach <= (spec.kind === "infonce" ? 40 : 80))) {
    return `${spec.kind} τ = ${spec.temperature} outside the fused range`;
  }
  const least = spec.form === "ls" ? 4 : 3; // every column keeps a negative
  return n < least ? `N = ${n} < ${least} frames` : null;
}

/**
 * Why the fused step cannot train `encoder` with `loss`, or null when it can.
 * It covers FeatureProjectors (three conv+BN+ReLU layers, input gradient off)
 * with LS_MARGIN on batches of N ≥ 3 frames, and with emargin-stable and
 * decoupled InfoNCE (no §6 options, τ in the fused tfjs losses' range:
 * 2/τ ≤ 80, 1/τ ≤ 40) on N ≥ 4 ("ls" form) or N ≥ 3 ("single"); on the
 * webgpu backend, N × N float32 must fit one storage binding.
 */
export function fusedStepUnsupported(
  encoder: Encoder,
  loss: { kind: string } | undefined,
  n: number,
): string | null {
  if (encoder.name !== "feature-projector") return `encoder "${encoder.name}"`;
  const why = lossUnsupported(loss, n);
  if (why !== null) return why;
  if (tf.getBackend() === "webgpu" && Number.isFinite(n)) {
    // S and the coefficient matrix are N × N float32 buffers, each bound whole
    const limits = webGpuDevice().limits;
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    if (n * n * 4 > limit) return `N = ${n}: an N × N buffer exceeds the device's ${limit} bytes`;
  }
  const expected = LAYERS.flatMap((l) => [
    `conv${l}.weight`,
    `conv${l}.bias`,
    `bn${l}.weight`,
    `bn${l}.bias`,
  ]);
  const names = Object.keys(encoder.params);
  if (names.join() !== expected.join()) return `parameters [${names.join(", ")}]`;
  const w1 = encoder.params["conv1.weight"];
  if (w1.shape[0] !== HIDDEN[0] || w1.shape[1] !== encoder.inFeatures) {
    return `conv1.weight shape [${w1.shape}]`;
  }
  return null;
}

function validate(options: FusedProjectorStepOptions, readEvery: number): void {
  const { encoder, shape, loss } = options;
  const why = fusedStepUnsupported(encoder, loss, shape[0] * shape[1]);
  if (why !== null) throw new OptionError(`createFusedProjectorStep: not covered: ${why}`);
  if (shape[2] !== encoder.inFeatures) {
    throw new ShapeError(
      `createFusedProjectorStep: shape has F = ${
        shape[2]
      }, the encoder expects ${encoder.inFeatures}`,
    );
  }
  if (!Number.isInteger(readEvery) || readEvery < 1) {
    throw new OptionError(`createFusedProjectorStep: readEvery must be ≥ 1, got ${readEvery}`);
  }
}

/**
 * Builds the fused step for `options.encoder` (its current parameters and
 * running statistics, read once) on the active webgpu backend.
 *
 * @example Ten steps and one read
 * ```ts ignore
 * const step = await createFusedProjectorStep({ encoder, shape: [8, 200, 90],
 *   loss: { kind: "ls-margin", temperature: 0.1, margin: 5, threshold: 0.4, simVariant: "reference" },
 *   lr: 1e-3, weightDecay: 0.01, mode: "reference" });
 * for (let i = 0; i < 10; i++) step.step(x);
 * const { losses } = await step.read(); // 10 losses, one read-back
 * await step.writeBack();
 * step.destroy();
 * ```
 *
 * @throws {OptionError} when the encoder or loss is not covered (see
 * {@linkcode fusedStepUnsupported}) or webgpu is not the active backend.
 */
export async function createFusedProjectorStep(
  options: FusedProjectorStepOptions,
): Promise<FusedProjectorStep> {
  const readEvery = options.readEvery ?? 50;
  validate(options, readEvery);
  const { encoder, shape, loss, lr, weightDecay, mode } = options;
  const device = webGpuDevice();
  const layout = stepLayout(encoder, shape[0] * shape[1]);
  const values = await readEncoderValues(encoder, layout);
  const buffers = allocateStepBuffers(device, layout, values, readEvery);
  const margin = loss.kind === "infonce" ? null : loss;
  const sequence = buildSequence(device, layout, buffers, {
    kind: loss.kind,
    form: loss.kind === "ls-margin" ? "ls" : loss.form,
    temperature: loss.temperature,
    margin: margin?.margin ?? 0,
    gamma: margin?.gamma ?? 0.05,
    threshold: margin?.threshold ?? 0,
    simVariant: loss.kind === "ls-margin" ? loss.simVariant : "intended",
    lr,
    weightDecay,
    guarded: mode === "guarded",
  });
  return stepRunner({
    name: "FusedProjectorStep",
    device,
    buffers,
    sequence,
    size: layout.N * layout.F,
    readEvery,
    lr,
    writeBack: () => writeBackValues(device, encoder, layout, buffers),
  });
}

/** Copies the trained parameters and running statistics into the encoder's variables. */
async function writeBackValues(
  device: GPUDevice,
  encoder: Encoder,
  layout: StepLayout,
  buffers: StepBuffers,
): Promise<void> {
  const { count, runCount, runOffsets, widths } = layout;
  const target = device.createBuffer({ size: (count + runCount) * 4, usage: USAGE_READ });
  try {
    const bytes = await readBack(
      device,
      [[buffers.params, count * 4], [buffers.running, runCount * 4]],
      target,
    );
    const values = new Float32Array(bytes);
    assignParams(encoder, layout, values);
    const assign = (v: Variable, start: number) =>
      tf.tidy(() => v.assign(tf.tensor(values.slice(start, start + v.size), v.shape)));
    for (const [i, l] of LAYERS.entries()) {
      assign(encoder.buffers[`bn${l}.running_mean`], count + runOffsets[i]);
      assign(encoder.buffers[`bn${l}.running_var`], count + runOffsets[i] + widths[l]);
    }
  } finally {
    target.destroy();
  }
}
