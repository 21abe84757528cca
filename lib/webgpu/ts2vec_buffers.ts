/**
 * The fused TS2Vec step's memory: where each parameter of the TS2Vec encoder
 * sits in the flat parameter vector, and every buffer of the step, allocated
 * once for the batch shape `[B, T, F]` (both views as `2B` sequences padded
 * to `T` frames).
 *
 * @module
 */
import type { Encoder } from "../encoders/mod.ts";
import { DIMS } from "./shaders_ts2vec.ts";
import {
  allocateOptimizer,
  allocateRecord,
  paramLayout,
  storageAllocator,
} from "./step_buffers.ts";
import type { OptimizerBuffers, ParamLayout, RecordBuffers } from "./step_buffers.ts";

/** One ConvBlock's parameter offsets, widths and dilation. */
export interface BlockLayout {
  cin: number;
  cout: number;
  dilation: number;
  conv1: [number, number];
  conv2: [number, number];
  /** Projector weight and bias offsets, or null (identity residual). */
  projector: [number, number] | null;
}

/** Where things sit for the batch shape `[B, T, F]`, hidden width `H`, output `D`. */
export interface Ts2vecLayout extends ParamLayout {
  B: number;
  T: number;
  F: number;
  H: number;
  D: number;
  blocks: BlockLayout[];
  /** Most frames of each loss level (`T, ⌊T/2⌋, …, 1`). */
  levelCaps: number[];
}

/** The layout of a TS2Vec encoder (dilated-CNN backbone) for batches `[B, T, F]`. */
export function ts2vecLayout(encoder: Encoder, [B, T, F]: [number, number, number]): Ts2vecLayout {
  const { names, offsets, count } = paramLayout(encoder);
  const H = encoder.params["input_fc.weight"].shape[0];
  const blocks: BlockLayout[] = [];
  for (let i = 0; `feature_extractor.net.${i}.conv1.conv.weight` in offsets; i++) {
    const at = (name: string) => offsets[`feature_extractor.net.${i}.${name}`];
    const cout = encoder.params[`feature_extractor.net.${i}.conv1.conv.weight`].shape[0];
    const projected = `feature_extractor.net.${i}.projector.weight` in offsets;
    blocks.push({
      cin: H,
      cout,
      dilation: 2 ** i,
      conv1: [at("conv1.conv.weight"), at("conv1.conv.bias")],
      conv2: [at("conv2.conv.weight"), at("conv2.conv.bias")],
      projector: projected ? [at("projector.weight"), at("projector.bias")] : null,
    });
  }
  const levelCaps = [T];
  while (levelCaps[levelCaps.length - 1] > 1) {
    levelCaps.push(Math.floor(levelCaps[levelCaps.length - 1] / 2));
  }
  return { names, offsets, count, B, T, F, H, D: encoder.outFeatures, blocks, levelCaps };
}

/** Every buffer of the step. */
export interface Ts2vecBuffers extends OptimizerBuffers, RecordBuffers {
  x: GPUBuffer;
  dims: GPUBuffer;
  keep: GPUBuffer;
  /** Per frame: input_fc's row factor (keep, 0 for a NaN row). */
  mask: GPUBuffer;
  drop: GPUBuffer;
  /** Block inputs and their GELU (`h[0]` = input_fc's output), conv1 outputs and their GELU. */
  h: GPUBuffer[];
  gh: GPUBuffer[];
  y1: GPUBuffer[];
  gy1: GPUBuffer[];
  /** The encoder's output `[2B, T, D]`. */
  out: GPUBuffer;
  /** Per level: `Z_l`, the pooling argmax (`arg[0]` unused). */
  z: GPUBuffer[];
  arg: GPUBuffer[];
  /** Softmax rows of one level (instance block, then temporal at `pOff`). */
  p: GPUBuffer;
  rowLoss: GPUBuffer;
  /** Level gradients (alternating) and the encoder's gradients (alternating, and ∂Y₁). */
  dZ: [GPUBuffer, GPUBuffer];
  dOut: [GPUBuffer, GPUBuffer];
  dY1: GPUBuffer;
}

/** Slots of `rowLoss` per level: `[instance; temporal]`, `2B·cap_l` each. */
export function lossSlots(layout: Ts2vecLayout): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let total = 0;
  for (const cap of layout.levelCaps) {
    offsets.push(total);
    total += 4 * layout.B * cap;
  }
  return { offsets, total };
}

/** Allocates every buffer; `params` holds the encoder's values. */
export function allocateTs2vecBuffers(
  device: GPUDevice,
  layout: Ts2vecLayout,
  params: Float32Array<ArrayBuffer>,
  readEvery: number,
): Ts2vecBuffers {
  const { B, T, F, H, D, blocks, levelCaps } = layout;
  const all: GPUBuffer[] = [];
  const storage = storageAllocator(device, all);
  const frames = 2 * B * T;
  const wide = Math.max(H, D);
  return {
    x: storage(B * T * F),
    dims: storage(DIMS.starts + 2 * B),
    keep: storage(frames),
    mask: storage(frames),
    drop: storage(frames * D),
    ...allocateOptimizer(storage, params),
    h: blocks.map(() => storage(frames * H)),
    gh: blocks.map(() => storage(frames * H)),
    y1: blocks.map((b) => storage(frames * b.cout)),
    gy1: blocks.map((b) => storage(frames * b.cout)),
    out: storage(frames * D),
    z: levelCaps.map((cap) => storage(2 * B * cap * D)),
    arg: levelCaps.map((cap) => storage(2 * B * cap * D)),
    p: storage(4 * B * B * T + 4 * T * T * B),
    rowLoss: storage(lossSlots(layout).total),
    dZ: [storage(2 * B * T * D), storage(2 * B * T * D)],
    dOut: [storage(frames * wide), storage(frames * wide)],
    dY1: storage(frames * wide),
    ...allocateRecord(device, storage, all, readEvery),
  };
}
