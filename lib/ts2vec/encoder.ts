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
 * length T). It is computed as one matrix product of the three dilated taps
 * concatenated along channels, `[x(t−d), x(t), x(t+d)]·Wᵀ`, because tfjs
 * has no gradient for dilated convolutions.
 *
 * With `backbone: "feature-projector"` the ConvBlocks are replaced by the
 * eMargin `FeatureProjector(64→320)`, as in the TS2Vec wrapper shipped with
 * the eMargin reference (src/models/ts2vecencoder.py, spec §3 variant 5):
 * a per-frame network with no temporal receptive field.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../tf.ts";
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

interface Conv {
  /** `[out, in·k]` with taps k-major: column `k·in + c` holds torch `weight[o, c, k]`. */
  weight: Variable;
  bias: Variable;
}

interface Block {
  conv1: Conv;
  conv2: Conv;
  dilation: number;
  projector: { weight: Variable; bias: Variable } | null;
}

const KERNEL = 3;

type Saver = (tensors: Tensor[]) => void;

// The derivative is written out (`Φ(x) + x·φ(x)`): autodiff of the
// composition costs about twice the element-wise passes.
const geluWithGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [x, save] = args as [Tensor, Saver];
  const cdf = tf.mul(tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sx, sCdf] = saved;
      const density = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [tf.mul(dy, tf.add(sCdf, tf.mul(sx, density)))];
    },
  };
}) as (x: Tensor) => Tensor;

/**
 * Exact GELU (torch default): `x·Φ(x) = ½·x·(1 + erf(x/√2))`, with the
 * gradient `Φ(x) + x·φ(x)`, `φ(x) = exp(−x²/2)/√(2π)`.
 */
export function gelu(x: Tensor): Tensor {
  return geluWithGrad(x);
}

/**
 * `SamePadConv` with kernel 3 and dilation `d` on `x [B, T, C]`:
 * `y[t] = W₀·x[t−d] + W₁·x[t] + W₂·x[t+d] + b` (zero outside `0..T−1`).
 */
function samePadConv(x: Tensor3D, conv: Conv, dilation: number): Tensor3D {
  const [b, t, c] = x.shape;
  const out = conv.weight.shape[0];
  if (dilation >= t) {
    // The outer taps only see padding: the centre tap alone is exact.
    const centre = tf.slice(conv.weight, [0, c], [out, c]) as Tensor2D;
    const y = linear(tf.reshape(x, [b * t, c]) as Tensor2D, centre, conv.bias);
    return tf.reshape(y, [b, t, out]) as Tensor3D;
  }
  const padded = tf.pad(x, [[0, 0], [dilation, dilation], [0, 0]]);
  const taps = [0, 1, 2].map((k) => tf.slice(padded, [0, k * dilation, 0], [b, t, c]));
  const stacked = tf.reshape(tf.concat(taps, 2), [b * t, KERNEL * c]) as Tensor2D;
  return tf.reshape(linear(stacked, conv.weight as Tensor2D, conv.bias), [b, t, out]) as Tensor3D;
}

/**
 * Creates a TS2Vec encoder with torch's default initialisation
 * (`U(−1/√fan_in, 1/√fan_in)`, fan_in = in_channels·kernel). Parameters use the
 * original state-dict names: `input_fc.{weight,bias}`,
 * `feature_extractor.net.{i}.conv{1,2}.conv.{weight,bias}` (`[out, in, 3]`)
 * and `feature_extractor.net.{depth}.projector.{weight,bias}` (`[out, in, 1]`).
 */
export function createTs2vecEncoder(options: Ts2vecEncoderOptions): Encoder {
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
  const initRng = makeRng(seed);
  const noiseRng = initRng.fork();
  /** Parameters of input_fc and the ConvBlocks (the frame projector keeps its own). */
  const own: Record<string, Variable> = {};
  const torchShapes: Record<string, number[]> = {};

  const add = (name: string, shape: number[], fanIn: number, torchShape?: number[]) => {
    own[name] = uniformVariable(shape, 1 / Math.sqrt(fanIn), initRng, name);
    if (torchShape) torchShapes[name] = torchShape;
    return own[name];
  };
  const inputFc = {
    weight: add("input_fc.weight", [hidden, inFeatures], inFeatures),
    bias: add("input_fc.bias", [hidden], inFeatures),
  };
  const blocks: Block[] = [];
  // The shipped wrapper's backbone: its own parameters and BatchNorm buffers, under BACKBONE_PREFIX.
  const frameProjector = backbone === "feature-projector"
    ? createFeatureProjector({
      inFeatures: hidden,
      outFeatures,
      seed: initRng.int(2 ** 31),
      inputGradient: true,
    })
    : null;
  for (let i = 0; i <= (frameProjector ? -1 : depth); i++) {
    const final = i === depth;
    const cin = hidden, cout = final ? outFeatures : hidden;
    const prefix = `feature_extractor.net.${i}`;
    const conv = (name: string, cIn: number): Conv => ({
      weight: add(`${prefix}.${name}.conv.weight`, [cout, KERNEL * cIn], cIn * KERNEL, [
        cout,
        cIn,
        KERNEL,
      ]),
      bias: add(`${prefix}.${name}.conv.bias`, [cout], cIn * KERNEL),
    });
    const conv1 = conv("conv1", cin);
    const conv2 = conv("conv2", cout);
    const projector = cin !== cout || final
      ? {
        weight: add(`${prefix}.projector.weight`, [cout, cin], cin, [cout, cin, 1]),
        bias: add(`${prefix}.projector.bias`, [cout], cin),
      }
      : null;
    blocks.push({ conv1, conv2, dilation: 2 ** i, projector });
  }

  const prefixed = (vars: Record<string, Variable> = {}) =>
    Object.fromEntries(Object.entries(vars).map(([name, v]) => [BACKBONE_PREFIX + name, v]));
  const params: Record<string, Variable> = { ...own, ...prefixed(frameProjector?.params) };
  const buffers: Record<string, Variable> = prefixed(frameProjector?.buffers);

  function apply(x: Tensor3D, { training }: ApplyOptions): Tensor3D {
    const [b, t, f] = x.shape;
    if (f !== inFeatures) {
      throw new ShapeError(`TS2Vec encoder: x has ${f} features per frame, expected ${inFeatures}`);
    }
    const keep = training ? bernoulli(noiseRng, b * t, maskKeep) : null;
    const drop = training && dropout > 0
      ? bernoulli(noiseRng, b * t * outFeatures, 1 - dropout)
      : null;
    return tf.tidy(() => {
      const xf = tf.cast(x, "float32");
      const isNan = tf.isNaN(xf);
      const nanRow = tf.any(isNan, 2, true); // [B,T,1]
      // Only the NaN entries are zeroed here (no [B,T,1] → [B,T,F] broadcast):
      // the whole row is zeroed after input_fc, which is the same output.
      const clean = tf.where(isNan, tf.zerosLike(xf), xf);
      let h = tf.reshape(
        linear(
          tf.reshape(clean, [b * t, f]) as Tensor2D,
          inputFc.weight as Tensor2D,
          inputFc.bias,
          { inputGradient: false },
        ),
        [b, t, hidden],
      ) as Tensor3D;
      // Timestamp mask (train) and NaN rows (always) are zeroed after input_fc.
      let rowMask: Tensor = tf.logicalNot(nanRow);
      if (keep) {
        rowMask = tf.logicalAnd(rowMask, tf.cast(tf.tensor3d(keep, [b, t, 1]), "bool"));
      }
      h = tf.mul(h, tf.cast(rowMask, "float32"));
      if (frameProjector) h = frameProjector.apply(h, { training });
      for (const block of blocks) {
        const [bb, tt, c] = h.shape;
        const residual = block.projector
          ? tf.reshape(
            linear(
              tf.reshape(h, [bb * tt, c]) as Tensor2D,
              block.projector.weight as Tensor2D,
              block.projector.bias,
            ),
            [bb, tt, block.projector.weight.shape[0]],
          )
          : h;
        let y = samePadConv(gelu(h) as Tensor3D, block.conv1, block.dilation);
        y = samePadConv(gelu(y) as Tensor3D, block.conv2, block.dilation);
        h = tf.add(y, residual) as Tensor3D;
      }
      if (drop) {
        h = tf.mul(h, tf.mul(tf.tensor3d(drop, [b, t, outFeatures], "float32"), 1 / (1 - dropout)));
      }
      return h;
    });
  }

  return {
    name: frameProjector ? "ts2vec-feature-projector" : "ts2vec",
    inFeatures,
    outFeatures,
    params,
    buffers,
    apply,
    parameterCount: () => countParameters(params),
    stateDict(): StateDict {
      const state = readState(own, torchShapes);
      if (frameProjector) {
        for (const [name, entry] of Object.entries(frameProjector.stateDict())) {
          state[BACKBONE_PREFIX + name] = entry;
        }
      }
      // Our conv weights are tap-major ([out, k, in]); torch's are [out, in, k].
      for (const [name, shape] of Object.entries(torchShapes)) {
        if (shape.length === 3 && shape[2] === KERNEL) {
          state[name].values = permuteTaps(state[name].values, shape[0], KERNEL, shape[1]);
        }
      }
      return state;
    },
    loadStateDict(state: StateDict): void {
      const ours: StateDict = { ...state };
      for (const [name, shape] of Object.entries(torchShapes)) {
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
      if (frameProjector) {
        const inner: StateDict = {};
        for (const [name, entry] of Object.entries(ours)) {
          if (name.startsWith(BACKBONE_PREFIX)) {
            inner[name.slice(BACKBONE_PREFIX.length)] = entry;
            delete ours[name];
          }
        }
        frameProjector.loadStateDict(inner);
      }
      writeState(own, ours);
    },
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
