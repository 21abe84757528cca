/**
 * The fused step's memory: where each parameter sits in the flat parameter
 * vector, the encoder's values read once, and every GPU buffer of the step,
 * allocated once for the batch shape.
 *
 * @module
 */
import type { Encoder } from "../encoders/mod.ts";

/** The FeatureProjector's layers (1-based, as in its parameter names). */
export const LAYERS = [1, 2, 3] as const;
/** Hidden widths of conv1 and conv2. */
export const HIDDEN = [128, 64] as const;

const USAGE_STORAGE = 0x80 | 0x04 | 0x08; // STORAGE | COPY_SRC | COPY_DST
/** UNIFORM | COPY_DST. */
export const USAGE_UNIFORM = 0x40 | 0x08;
/** MAP_READ | COPY_DST. */
export const USAGE_READ = 0x01 | 0x08;

/**
 * Where things sit: `offsets[name]` in the flat parameter vector (`count`
 * scalars, the encoder's parameter order); the running statistics as
 * `[mean₁; var₁; mean₂; var₂; mean₃; var₃]` (`runOffsets[i]` = layer i's
 * mean); `widths = [F, 128, 64, D]`; `N = B·T` frames.
 */
export interface StepLayout extends ParamLayout {
  runOffsets: number[];
  runCount: number;
  widths: number[];
  N: number;
  F: number;
  D: number;
}

/** Where each parameter sits in the flat parameter vector (`count` scalars). */
export interface ParamLayout {
  /** The encoder's parameter names, in its order. */
  names: string[];
  offsets: Record<string, number>;
  count: number;
}

/** The flat layout of `encoder`'s parameters, in their order: `offsets[name] = Σ` sizes before it. */
export function paramLayout(encoder: Encoder): ParamLayout {
  const names = Object.keys(encoder.params);
  const offsets: Record<string, number> = {};
  let count = 0;
  for (const name of names) {
    offsets[name] = count;
    count += encoder.params[name].size;
  }
  return { names, offsets, count };
}

/** The encoder's parameters, flat as `layout` says (one read each). */
export async function readParams(
  encoder: Encoder,
  layout: ParamLayout,
): Promise<Float32Array<ArrayBuffer>> {
  const params = new Float32Array(layout.count);
  for (const name of layout.names) {
    params.set(await encoder.params[name].data(), layout.offsets[name]);
  }
  return params;
}

/** The layout of `encoder` for `N` frames. */
export function stepLayout(encoder: Encoder, N: number): StepLayout {
  const F = encoder.inFeatures, D = encoder.outFeatures;
  const widths = [F, HIDDEN[0], HIDDEN[1], D];
  const { names, offsets, count } = paramLayout(encoder);
  const runOffsets: number[] = [];
  let runCount = 0;
  for (const l of LAYERS) {
    runOffsets.push(runCount);
    runCount += 2 * widths[l];
  }
  return { names, offsets, count, runOffsets, runCount, widths, N, F, D };
}

/** The encoder's parameters and running statistics, flat as the layout says (one read each). */
export async function readEncoderValues(
  encoder: Encoder,
  layout: StepLayout,
): Promise<{ params: Float32Array<ArrayBuffer>; running: Float32Array<ArrayBuffer> }> {
  const params = await readParams(encoder, layout);
  const running = new Float32Array(layout.runCount);
  for (const [i, l] of LAYERS.entries()) {
    const at = layout.runOffsets[i];
    running.set(await encoder.buffers[`bn${l}.running_mean`].data(), at);
    running.set(await encoder.buffers[`bn${l}.running_var`].data(), at + layout.widths[l]);
  }
  return { params, running };
}

/** The flat parameters, their gradients and AdamW's moments (`count` each). */
export interface OptimizerBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  /** AdamW's moments. */
  m: GPUBuffer;
  v: GPUBuffer;
}

/** The buffers every fused step records its steps in, and the list of all its buffers. */
export interface RecordBuffers {
  /** Per-step loss and flag slots (`readEvery` each) and the run state (`state[0]`: stopped). */
  losses: GPUBuffer;
  flags: GPUBuffer;
  state: GPUBuffer;
  /** The 16-byte per-step uniform (slot, lr/(1−β₁ᵗ), √(1−β₂ᵗ)). */
  step: GPUBuffer;
  /** Read-back staging for the loss and flag slots. */
  staging: GPUBuffer;
  /** Every buffer of the step, for destruction. */
  all: GPUBuffer[];
}

/** Every storage buffer of the step (per-layer ones indexed 0..2). */
export interface StepBuffers extends OptimizerBuffers, RecordBuffers {
  /** The batch `[N, F]`. */
  x: GPUBuffer;
  running: GPUBuffer;
  /** Pre-BatchNorm values, post-ReLU activations and `[μ; invStd]` per layer. */
  h: GPUBuffer[];
  a: GPUBuffer[];
  stats: GPUBuffer[];
  /** Sim vector `[N]`, unit rows `[N, D]`, row norms `[N]`. */
  sim: GPUBuffer;
  u: GPUBuffer;
  norms: GPUBuffer;
  /** `S = U·Uᵀ` and the coefficient matrix, `[N, N]`. */
  s: GPUBuffer;
  coefficients: GPUBuffer;
  /** Column statistics `[c; ℓ]` (`[R; ℓ; X]` for emargin-stable, `3N`) and `[w; g]`, `2N`. */
  cs: GPUBuffer;
  wg: GPUBuffer;
  dU: GPUBuffer;
  /** Gradient scratch `[N, max width]`: to the activations and to the pre-norm values. */
  gradA: GPUBuffer;
  gradH: GPUBuffer;
}

/** Allocates a storage buffer of `floats` 4-byte values, written with `init` when given. */
export type StorageAllocator = (
  floats: number,
  init?: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>,
) => GPUBuffer;

/**
 * A {@linkcode StorageAllocator} on `device`: sizes rounded up to 16 bytes
 * (at least 16), every buffer pushed onto `all` for destruction.
 */
export function storageAllocator(device: GPUDevice, all: GPUBuffer[]): StorageAllocator {
  return (floats, init) => {
    const buffer = device.createBuffer({
      size: Math.max(16, Math.ceil((floats * 4) / 16) * 16),
      usage: USAGE_STORAGE,
    });
    if (init) device.queue.writeBuffer(buffer, 0, init);
    all.push(buffer);
    return buffer;
  };
}

/** Allocates the optimizer's buffers: `params` (written with `params`), `grads`, and `m`, `v` (zeros). */
export function allocateOptimizer(
  storage: StorageAllocator,
  params: Float32Array<ArrayBuffer>,
): OptimizerBuffers {
  const count = params.length;
  return {
    params: storage(count, params),
    grads: storage(count),
    m: storage(count, new Float32Array(count)),
    v: storage(count, new Float32Array(count)),
  };
}

/**
 * Allocates the record of `readEvery` steps: loss and flag slots, the zeroed
 * run state, the step uniform and the read-back staging; pushes them onto `all`.
 */
export function allocateRecord(
  device: GPUDevice,
  storage: StorageAllocator,
  all: GPUBuffer[],
  readEvery: number,
): RecordBuffers {
  const losses = storage(readEvery);
  const flags = storage(readEvery);
  const state = storage(4, new Uint32Array(4));
  const step = device.createBuffer({ size: 16, usage: USAGE_UNIFORM });
  const staging = device.createBuffer({ size: readEvery * 8, usage: USAGE_READ });
  all.push(step, staging);
  return { losses, flags, state, step, staging, all };
}

/** The loss's own buffers, from the sim vector to `∂L/∂U`. */
export type LossMatrices = Pick<
  StepBuffers,
  "sim" | "u" | "norms" | "s" | "coefficients" | "cs" | "wg" | "dU"
>;

/**
 * Allocates the loss's buffers in this order: `sim [N]` (written with `sim`
 * when given), `u [N, D]`, `norms [N]`, `s` and `coefficients [N, N]`,
 * `cs [csRows·N]`, `wg [2N]`, `dU [N, D]`.
 */
export function allocateLossMatrices(
  storage: StorageAllocator,
  N: number,
  D: number,
  csRows: number,
  sim?: Float32Array<ArrayBuffer>,
): LossMatrices {
  return {
    sim: storage(N, sim),
    u: storage(N * D),
    norms: storage(N),
    s: storage(N * N),
    coefficients: storage(N * N),
    cs: storage(csRows * N),
    wg: storage(2 * N),
    dU: storage(N * D),
  };
}

/** Allocates (and initialises) every buffer of the step. */
export function allocateStepBuffers(
  device: GPUDevice,
  layout: StepLayout,
  values: { params: Float32Array<ArrayBuffer>; running: Float32Array<ArrayBuffer> },
  readEvery: number,
): StepBuffers {
  const { N, F, D, runCount, widths } = layout;
  const all: GPUBuffer[] = [];
  const storage = storageAllocator(device, all);
  const maxWidth = Math.max(...widths.slice(1));
  const perLayer = (size: (width: number) => number) => LAYERS.map((l) => storage(size(widths[l])));
  return {
    x: storage(N * F),
    ...allocateOptimizer(storage, values.params),
    running: storage(runCount, values.running),
    h: perLayer((w) => N * w),
    a: perLayer((w) => N * w),
    stats: perLayer((w) => 2 * w),
    ...allocateLossMatrices(storage, N, D, 3),
    gradA: storage(N * maxWidth),
    gradH: storage(N * maxWidth),
    ...allocateRecord(device, storage, all, readEvery),
  };
}
