/**
 * The TS2Vec training step (lib/ts2vec: overlap cropping, the dilated-CNN
 * encoder on both views in train mode, the hierarchical contrastive loss,
 * AdamW) as one fixed sequence of WGSL programs on buffers allocated once per
 * run (see ts2vec_sequence.ts): ≤ 150 dispatches, one compute pass and one
 * submission a step, no buffer or bind-group creation after setup, the loss
 * kept on the GPU and read with {@linkcode FusedProjectorStep.read}.
 *
 * The host draws each step's random numbers exactly as the tfjs path does,
 * in its order, and uploads them (`queue.writeBuffer`): from `cropRng` the
 * crop (`ts2vecObjective`'s `drawCrop`: `crop_l ~ U[2, T]`,
 * `left ~ U[0, T − crop_l]`, `eleft ~ U[0, left]`, `eright ~ U[right, T]`,
 * `offset_b ~ U[−eleft, T − eright]`), and from `noiseRng` per view the
 * encoder's timestamp mask (`B·L` draws, kept when `< maskKeep`) and its
 * dropout (`B·L·D` draws, kept when `< 1 − dropout`). Given the live
 * streams (`ts2vecObjective(...).spec.rng` and `encoder.noise.rng`, as
 * lib/train's `pretrain` passes them) they advance exactly as the tfjs path
 * would advance them; `makeRng(seed)` and `makeRng(seed).fork()` draw the
 * same numbers for a fresh objective and encoder without advancing theirs.
 *
 * Both views are encoded as one batch of `2B` sequences padded to `T`
 * frames; the arithmetic is lib/ts2vec's (tfjs' erf for GELU), with sums in
 * another order (float32 rounding differs at the 1e−6 level).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError } from "../errors.ts";
import { BackendError } from "../backend.ts";
import { randint } from "../random.ts";
import type { Rng } from "../random.ts";
import { webGpuDevice } from "./counters.ts";
import { DIMS } from "./shaders_ts2vec.ts";
import { readParams, USAGE_READ } from "./step_buffers.ts";
import { assignParams, readBack, stepRunner } from "./step_runner.ts";
import type { FusedProjectorStep } from "./step_runner.ts";
import { allocateTs2vecBuffers, ts2vecLayout } from "./ts2vec_buffers.ts";
import type { Ts2vecBuffers, Ts2vecLayout } from "./ts2vec_buffers.ts";
import { buildTs2vecSequence } from "./ts2vec_sequence.ts";

/** Options of {@linkcode createFusedTs2vecStep}. */
export interface FusedTs2vecStepOptions {
  /** A TS2Vec encoder (`createTs2vecEncoder`, dilated-CNN backbone). */
  encoder: Encoder;
  /** Batch shape `[B, T, F]`, `T ≥ 2`; every step's batch must have it. */
  shape: [number, number, number];
  /** Stream of the crops (`ts2vecObjective`'s: `makeRng(seed)`). */
  cropRng: Rng;
  /** Stream of the masks and dropout (the encoder's: `makeRng(seed).fork()`). */
  noiseRng: Rng;
  /** Weight of the instance term (default 0.5). */
  alpha?: number;
  /** The encoder's timestamp keep probability (default 0.5). */
  maskKeep?: number;
  /** The encoder's output dropout (default 0.1). */
  dropout?: number;
  lr: number;
  weightDecay: number;
  mode: "reference" | "guarded";
  /** Steps between reads (size of the on-GPU loss record), default 50. */
  readEvery?: number;
}

/**
 * Why the fused TS2Vec step cannot train `encoder` on `[B, T, F]` batches,
 * or null when it can: it covers `createTs2vecEncoder`'s dilated-CNN
 * backbone (parameters in its creation order) with `T ≥ 2`; on the webgpu
 * backend its largest buffer (the softmax rows, `4B²T + 4BT²` float32) must
 * fit one storage binding.
 */
export function fusedTs2vecUnsupported(
  encoder: Encoder,
  shape: [number, number, number],
): string | null {
  if (encoder.name !== "ts2vec") return `encoder "${encoder.name}"`;
  const names = Object.keys(encoder.params);
  const expected = ["input_fc.weight", "input_fc.bias"];
  for (let i = 0; expected.length < names.length; i++) {
    const p = `feature_extractor.net.${i}`;
    expected.push(`${p}.conv1.conv.weight`, `${p}.conv1.conv.bias`);
    expected.push(`${p}.conv2.conv.weight`, `${p}.conv2.conv.bias`);
    if (names.includes(`${p}.projector.weight`)) {
      expected.push(`${p}.projector.weight`, `${p}.projector.bias`);
    }
  }
  if (names.join() !== expected.join()) return `parameters [${names.join(", ")}]`;
  if (shape[1] < 2) return `T = ${shape[1]} < 2 frames`;
  if (shape[2] !== encoder.inFeatures) {
    return `F = ${shape[2]}, the encoder expects ${encoder.inFeatures}`;
  }
  if (tf.getBackend() === "webgpu") {
    // the softmax rows (4B²T + 4BT²) and the [2B, T, max(H, D)] activations, each bound whole
    const [B, T] = shape;
    const wide = Math.max(encoder.outFeatures, encoder.params["input_fc.weight"].shape[0]);
    const bytes = 4 * Math.max(4 * B * B * T + 4 * B * T * T, 2 * B * T * wide);
    const limits = webGpuDevice().limits;
    const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    if (bytes > limit) {
      return `[${shape}]: a ${bytes}-byte buffer exceeds the device's ${limit} bytes`;
    }
  }
  return null;
}

/** One step's draws, laid out for the padded `2B` sequences. */
interface StepDraws {
  dims: Uint32Array<ArrayBuffer>;
  keep: Float32Array<ArrayBuffer>;
  drop: Float32Array<ArrayBuffer>;
}

/** Fills `into` with one step's crop, mask and dropout draws, in the tfjs path's order. */
export function drawStep(
  layout: Ts2vecLayout,
  rngs: { cropRng: Rng; noiseRng: Rng },
  noise: { maskKeep: number; dropout: number },
  into: StepDraws,
): void {
  const { B, T, D } = layout;
  const { cropRng, noiseRng } = rngs;
  const length = randint(cropRng, 2, T + 1);
  const left = randint(cropRng, 0, T - length + 1);
  const right = left + length;
  const eleft = randint(cropRng, 0, left + 1);
  const eright = randint(cropRng, right, T + 1);
  const { dims, keep, drop } = into;
  for (let b = 0; b < B; b++) {
    const offset = randint(cropRng, -eleft, T - eright + 1);
    dims[DIMS.starts + b] = offset + eleft;
    dims[DIMS.starts + B + b] = offset + left;
  }
  const lengths = [right - eleft, eright - left];
  [dims[DIMS.len1], dims[DIMS.len2], dims[DIMS.crop], dims[DIMS.z1Start]] = [
    ...lengths,
    length,
    left - eleft,
  ];
  let levels = 0;
  for (let len = length;; len = Math.floor(len / 2)) {
    dims[DIMS.levelLengths + levels++] = len;
    if (len <= 1) break;
  }
  dims[DIMS.levels] = levels;
  for (const [view, len] of lengths.entries()) {
    for (let b = 0; b < B; b++) {
      const s = view * B + b;
      for (let t = 0; t < len; t++) keep[s * T + t] = noiseRng.next() < noise.maskKeep ? 1 : 0;
    }
    if (noise.dropout > 0) {
      for (let b = 0; b < B; b++) {
        const at = (view * B + b) * T * D;
        for (let i = 0; i < len * D; i++) {
          drop[at + i] = noiseRng.next() < 1 - noise.dropout ? 1 : 0;
        }
      }
    }
  }
}

/**
 * Builds the fused TS2Vec step for `options.encoder` (its current
 * parameters, read once) on the active webgpu backend.
 *
 * @example Three steps and one read
 * ```ts ignore
 * const encoder = createTs2vecEncoder({ inFeatures: 90, seed: 1 });
 * const step = await createFusedTs2vecStep({ encoder, shape: [8, 200, 90],
 *   cropRng: makeRng(7), noiseRng: makeRng(1).fork(), lr: 1e-3, weightDecay: 0.01,
 *   mode: "reference" });
 * for (let i = 0; i < 3; i++) step.step(x); // 104 dispatches each
 * const { losses } = await step.read();
 * await step.writeBack();
 * step.destroy();
 * ```
 *
 * @throws {OptionError} when the encoder is not covered (see
 * {@linkcode fusedTs2vecUnsupported}), an option is out of range or webgpu is
 * not the active backend.
 * @throws {BackendError} when the device rejects a program or binding.
 */
export async function createFusedTs2vecStep(
  options: FusedTs2vecStepOptions,
): Promise<FusedProjectorStep> {
  const { encoder, shape, lr, weightDecay, mode } = options;
  const { alpha = 0.5, maskKeep = 0.5, dropout = 0.1, readEvery = 50 } = options;
  const why = fusedTs2vecUnsupported(encoder, shape);
  if (why !== null) throw new OptionError(`createFusedTs2vecStep: not covered: ${why}`);
  if (
    !(alpha >= 0 && alpha <= 1) || !(maskKeep > 0 && maskKeep <= 1) ||
    !(dropout >= 0 && dropout < 1)
  ) {
    throw new OptionError(
      `createFusedTs2vecStep: need alpha ∈ [0, 1], maskKeep ∈ (0, 1], dropout ∈ [0, 1), got ${alpha}, ${maskKeep}, ${dropout}`,
    );
  }
  if (!Number.isInteger(readEvery) || readEvery < 1) {
    throw new OptionError(`createFusedTs2vecStep: readEvery must be ≥ 1, got ${readEvery}`);
  }
  const device = webGpuDevice();
  const layout = ts2vecLayout(encoder, shape);
  const params = await readParams(encoder, layout);
  // A program or binding the device rejects would otherwise only be logged.
  device.pushErrorScope("validation");
  const buffers = allocateTs2vecBuffers(device, layout, params, readEvery);
  const sequence = buildTs2vecSequence(device, layout, buffers, {
    alpha,
    dropout,
    lr,
    weightDecay,
    guarded: mode === "guarded",
  });
  const error = await device.popErrorScope();
  if (error) {
    for (const buffer of buffers.all) buffer.destroy();
    throw new BackendError(`createFusedTs2vecStep: the device rejected the step: ${error.message}`);
  }
  const { B, T, F, D } = layout;
  const draws: StepDraws = {
    dims: new Uint32Array(DIMS.starts + 2 * B),
    keep: new Float32Array(2 * B * T),
    drop: new Float32Array(2 * B * T * D),
  };
  return stepRunner({
    name: "FusedTs2vecStep",
    device,
    buffers,
    sequence,
    size: B * T * F,
    readEvery,
    lr,
    upload: () => {
      drawStep(layout, options, { maskKeep, dropout }, draws);
      device.queue.writeBuffer(buffers.dims, 0, draws.dims);
      device.queue.writeBuffer(buffers.keep, 0, draws.keep);
      if (dropout > 0) device.queue.writeBuffer(buffers.drop, 0, draws.drop);
    },
    writeBack: () => writeBackParams(device, encoder, layout, buffers),
  });
}

/** Copies the trained parameters into the encoder's variables (one read-back). */
async function writeBackParams(
  device: GPUDevice,
  encoder: Encoder,
  layout: Ts2vecLayout,
  buffers: Ts2vecBuffers,
): Promise<void> {
  const target = device.createBuffer({ size: layout.count * 4, usage: USAGE_READ });
  try {
    const bytes = await readBack(device, [[buffers.params, layout.count * 4]], target);
    assignParams(encoder, layout, new Float32Array(bytes));
  } finally {
    target.destroy();
  }
}
