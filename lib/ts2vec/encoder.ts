/**
 * The original TS2Vec encoder (Yue et al., 2022; yuezhihan/ts2vec
 * models/encoder.py and models/dilated_conv.py):
 *
 * ```
 * x [B,T,F] → NaN rows zeroed → input_fc Linear(F→64) → timestamp mask
 *   → 11 ConvBlocks (10 × 64→64 with dilation 2^i, then 64→320 with
 *     dilation 2^10 and a 1×1 residual projector) → Dropout(0.1) → [B,T,320]
 * ConvBlock: y = conv2(GELU(conv1(GELU(x)))) + residual(x)
 * ```
 *
 * Every convolution is a `SamePadConv` (kernel 3, padding = dilation, output
 * length T). With the GELU before it, it is one op (`geluConv`): on wasm three
 * products over row ranges with the taps side by side (`taps_wasm.ts`);
 * elsewhere a dilated 2-D convolution forward and for the input gradient and
 * one product of the gathered taps `[x(t−d), x(t), x(t+d)]` for the weight
 * gradient (tfjs has no gradient for dilated convolutions). The weight keeps
 * the taps k-major.
 *
 * With `backbone: "feature-projector"` the ConvBlocks are replaced by the
 * eMargin `FeatureProjector(64→320)`, as in the TS2Vec wrapper shipped with
 * the eMargin reference (src/models/ts2vecencoder.py, spec §3 variant 5):
 * a per-frame network with no temporal receptive field.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { linear } from "../ops/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import {
  countParameters,
  createFeatureProjector,
  readState,
  uniformVariable,
  writeState,
} from "../encoders/mod.ts";
import type { ApplyOptions, Encoder, StateDict } from "../encoders/mod.ts";
import { convBlock, createConvBlocks, KERNEL } from "./conv_blocks.ts";
import type { AddParameter, Block } from "./conv_blocks.ts";
import { deviceClean, hostClean } from "./input_clean.ts";
import { hostReadable } from "./host.ts";

export { gelu } from "./conv_blocks.ts";

/** Options of {@linkcode createTs2vecEncoder}; defaults are TS2Vec's. */
export interface Ts2vecEncoderOptions {
  /** Input features per frame `F`. */
  inFeatures: number;
  /** Output features `D` (default 320). */
  outFeatures?: number;
  /** Hidden channels (default 64). */
  hidden?: number;
  /** Number of 64→64 blocks before the final block (default 10). */
  depth?: number;
  /** Probability that a timestamp is kept by the train-time mask (default 0.5). */
  maskKeep?: number;
  /** Output dropout rate in training (default 0.1). */
  dropout?: number;
  /**
   * What follows the input layer and mask: TS2Vec's dilated ConvBlocks
   * (default) or the shipped wrapper's `FeatureProjector(hidden→outFeatures)`
   * (state-dict names `feature_extractor.conv1.weight`, …, with BatchNorm
   * buffers). `depth` is unused with the latter.
   */
  backbone?: "dilated-cnn" | "feature-projector";
  /** Seed of the initialisation, the masks and the dropout. */
  seed: number;
}

/** State-dict prefix of the layers after `input_fc`. */
const BACKBONE_PREFIX = "feature_extractor.";

/** {@linkcode Ts2vecEncoderOptions} with every default filled in. */
type ResolvedOptions = Required<Ts2vecEncoderOptions>;

function resolveOptions(options: Ts2vecEncoderOptions): ResolvedOptions {
  const {
    inFeatures,
    outFeatures = 320,
    hidden = 64,
    depth = 10,
    maskKeep = 0.5,
    dropout = 0.1,
    backbone = "dilated-cnn",
    seed,
  } = options;
  for (
    const [key, value] of [["inFeatures", inFeatures], ["outFeatures", outFeatures], [
      "hidden",
      hidden,
    ]] as const
  ) {
    if (!Number.isInteger(value) || value < 1) {
      throw new OptionError(`createTs2vecEncoder: ${key} must be a positive integer, got ${value}`);
    }
  }
  if (!Number.isInteger(depth) || depth < 0) {
    throw new OptionError(
      `createTs2vecEncoder: depth must be a non-negative integer, got ${depth}`,
    );
  }
  if (!(maskKeep > 0 && maskKeep <= 1) || !(dropout >= 0 && dropout < 1)) {
    throw new OptionError(
      `createTs2vecEncoder: need 0 < maskKeep ≤ 1 and 0 ≤ dropout < 1, got ${maskKeep}, ${dropout}`,
    );
  }
  if (backbone !== "dilated-cnn" && backbone !== "feature-projector") {
    throw new OptionError(
      `createTs2vecEncoder: backbone must be "dilated-cnn" or "feature-projector", got "${backbone}"`,
    );
  }
  return { inFeatures, outFeatures, hidden, depth, maskKeep, dropout, backbone, seed };
}

/** Everything an encoder closes over: its options, layers and noise stream. */
interface Ts2vecNet {
  options: ResolvedOptions;
  /** Parameters of input_fc and the ConvBlocks (the frame projector keeps its own). */
  own: Record<string, Variable>;
  torchShapes: Record<string, number[]>;
  inputFc: { weight: Variable; bias: Variable };
  blocks: Block[];
  /** The shipped wrapper's backbone: its own parameters and BatchNorm buffers, under BACKBONE_PREFIX. */
  frameProjector: Encoder | null;
  /** Stream of the timestamp masks and dropout. */
  noiseRng: Rng;
}

/**
 * The layers in creation order: input_fc, then the frame projector (seeded
 * from the init stream) or the ConvBlocks; the noise stream is the init
 * stream's first fork.
 */
function createNet(options: ResolvedOptions): Ts2vecNet {
  const { inFeatures, outFeatures, hidden, depth, backbone, seed } = options;
  const initRng = makeRng(seed);
  const noiseRng = initRng.fork();
  const own: Record<string, Variable> = {};
  const torchShapes: Record<string, number[]> = {};
  const add: AddParameter = (name, shape, fanIn, torchShape) => {
    own[name] = uniformVariable(shape, 1 / Math.sqrt(fanIn), initRng, name);
    if (torchShape) torchShapes[name] = torchShape;
    return own[name];
  };
  const inputFc = {
    weight: add("input_fc.weight", [hidden, inFeatures], inFeatures),
    bias: add("input_fc.bias", [hidden], inFeatures),
  };
  const frameProjector = backbone === "feature-projector"
    ? createFeatureProjector({
      inFeatures: hidden,
      outFeatures,
      seed: initRng.int(2 ** 31),
      inputGradient: true,
    })
    : null;
  const blocks = frameProjector ? [] : createConvBlocks(add, hidden, outFeatures, depth);
  return { options, own, torchShapes, inputFc, blocks, frameProjector, noiseRng };
}

/**
 * input_fc on `x [B, T, F]` with NaN entries zeroed, then the rows that held
 * a NaN and, in training, the timestamps not kept (`keep [B·T]`) zeroed → `[B, T, hidden]`.
 */
function inputLayer(net: Ts2vecNet, x: Tensor3D, keep: Float32Array | null): Tensor3D {
  const [b, t, f] = x.shape;
  const { clean, rows } = hostReadable() ? hostClean(x, keep) : deviceClean(x, keep);
  const h = tf.reshape(
    linear(
      tf.reshape(clean, [b * t, f]) as Tensor2D,
      net.inputFc.weight as Tensor2D,
      net.inputFc.bias,
      { inputGradient: false },
    ),
    [b, t, net.options.hidden],
  ) as Tensor3D;
  return rows ? tf.mul(h, rows) : h;
}

/** The forward pass `[B, T, F] → [B, T, D]`; in training the mask and dropout draw from the noise stream. */
function forward(net: Ts2vecNet, x: Tensor3D, training: boolean): Tensor3D {
  const { inFeatures, outFeatures, maskKeep, dropout } = net.options;
  const [b, t, f] = x.shape;
  if (f !== inFeatures) {
    throw new ShapeError(`TS2Vec encoder: x has ${f} features per frame, expected ${inFeatures}`);
  }
  const keep = training ? bernoulli(net.noiseRng, b * t, maskKeep) : null;
  const drop = training && dropout > 0
    ? bernoulli(net.noiseRng, b * t * outFeatures, 1 - dropout)
    : null;
  return tf.tidy(() => {
    let h = inputLayer(net, x, keep);
    if (net.frameProjector) h = net.frameProjector.apply(h, { training });
    for (const block of net.blocks) h = convBlock(h, block);
    if (drop) {
      h = tf.mul(h, tf.mul(tf.tensor3d(drop, [b, t, outFeatures], "float32"), 1 / (1 - dropout)));
    }
    return h;
  });
}

/** Torch's state dict: conv weights `[out, in, k]`, the frame projector's entries prefixed. */
function ts2vecState(net: Ts2vecNet): StateDict {
  const state = readState(net.own, net.torchShapes);
  if (net.frameProjector) {
    for (const [name, entry] of Object.entries(net.frameProjector.stateDict())) {
      state[BACKBONE_PREFIX + name] = entry;
    }
  }
  // Our conv weights are tap-major ([out, k, in]); torch's are [out, in, k].
  for (const [name, shape] of Object.entries(net.torchShapes)) {
    if (shape.length === 3 && shape[2] === KERNEL) {
      state[name].values = permuteTaps(state[name].values, shape[0], KERNEL, shape[1]);
    }
  }
  return state;
}

/** Loads a torch state dict (the inverse of {@linkcode ts2vecState}). */
function loadTs2vecState(net: Ts2vecNet, state: StateDict): void {
  const ours: StateDict = { ...state };
  for (const [name, shape] of Object.entries(net.torchShapes)) {
    const entry = state[name];
    if (entry && shape.length === 3 && shape[2] === KERNEL) {
      if (entry.values.length !== shape[0] * shape[1] * KERNEL) {
        throw new ShapeError(
          `state dict: "${name}" has ${entry.values.length} values, expected shape [${shape}]`,
        );
      }
      ours[name] = { shape, values: permuteTaps(entry.values, shape[0], shape[1], KERNEL) };
    }
  }
  if (net.frameProjector) {
    const inner: StateDict = {};
    for (const [name, entry] of Object.entries(ours)) {
      if (name.startsWith(BACKBONE_PREFIX)) {
        inner[name.slice(BACKBONE_PREFIX.length)] = entry;
        delete ours[name];
      }
    }
    net.frameProjector.loadStateDict(inner);
  }
  writeState(net.own, ours);
}

/**
 * Creates a TS2Vec encoder with torch's default initialisation
 * (`U(−1/√fan_in, 1/√fan_in)`, fan_in = in_channels·kernel). Parameters use the
 * original state-dict names: `input_fc.{weight,bias}`,
 * `feature_extractor.net.{i}.conv{1,2}.conv.{weight,bias}` (`[out, in, 3]`)
 * and `feature_extractor.net.{depth}.projector.{weight,bias}` (`[out, in, 1]`).
 * `noise` holds the live stream of the train-mode masks and dropout (the init
 * stream's first fork) and their rates, read-only.
 */
export function createTs2vecEncoder(options: Ts2vecEncoderOptions): Encoder {
  const net = createNet(resolveOptions(options));
  const { own, frameProjector } = net;
  const prefixed = (vars: Record<string, Variable> = {}) =>
    Object.fromEntries(Object.entries(vars).map(([name, v]) => [BACKBONE_PREFIX + name, v]));
  const params: Record<string, Variable> = { ...own, ...prefixed(frameProjector?.params) };
  const buffers: Record<string, Variable> = prefixed(frameProjector?.buffers);
  return {
    name: frameProjector ? "ts2vec-feature-projector" : "ts2vec",
    inFeatures: net.options.inFeatures,
    outFeatures: net.options.outFeatures,
    params,
    buffers,
    // the live stream (not a copy): a fused step draws the masks and dropout from it
    noise: Object.freeze({
      rng: net.noiseRng,
      maskKeep: net.options.maskKeep,
      dropout: net.options.dropout,
    }),
    apply: (x: Tensor3D, { training }: ApplyOptions): Tensor3D => forward(net, x, training),
    parameterCount: () => countParameters(params),
    stateDict: (): StateDict => ts2vecState(net),
    loadStateDict: (state: StateDict): void => loadTs2vecState(net, state),
    dispose(): void {
      for (const v of Object.values(own)) v.dispose();
      frameProjector?.dispose();
    },
  };
}

/** `[o, a, b] → [o, b, a]` (swaps the two inner axes of a row-major array). */
function permuteTaps(values: Float32Array, o: number, a: number, b: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < o; i++) {
    for (let j = 0; j < a; j++) {
      for (let k = 0; k < b; k++) out[(i * b + k) * a + j] = values[(i * a + j) * b + k];
    }
  }
  return out;
}

/** `n` Bernoulli draws with `P(1) = p`, as 0/1 floats. */
function bernoulli(rng: Rng, n: number, p: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() < p ? 1 : 0;
  return out;
}
