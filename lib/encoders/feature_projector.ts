/**
 * The reference eMargin encoder (src/models/attention_model.py
 * `FeatureProjector`): a per-frame MLP written as three kernel-size-1 Conv1d
 * layers, each followed by BatchNorm1d and ReLU (also on the output).
 *
 * ```
 * x [B,T,F] → [N,F] → conv1 F→128 → bn1 → ReLU → conv2 128→64 → bn2 → ReLU
 *           → conv3 64→D → bn3 → ReLU → [B,T,D]
 * ```
 *
 * A kernel-size-1 Conv1d over `[B, C, T]` is the affine map `X·Wᵀ + b` applied
 * to every frame, so the frames are flattened to `N = B·T` rows sequence-major
 * and multiplied once. Only BatchNorm couples frames (statistics over all N).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { linear } from "../ops/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import { batchNormEval, batchNormReluTrain } from "./batch_norm.ts";
import type { BatchNormState } from "./batch_norm.ts";
import {
  constantVariable,
  countParameters,
  readState,
  uniformVariable,
  writeState,
} from "./state.ts";
import type { ApplyOptions, Encoder, StateDict } from "./types.ts";

/** Options of {@linkcode createFeatureProjector}. */
export interface FeatureProjectorOptions {
  /** Input features per frame `F`. */
  inFeatures: number;
  /** Embedding size `D` (default 320). */
  outFeatures?: number;
  /** Seed of the initialisation. */
  seed: number;
  /**
   * Whether gradients flow back to the input `x` (default false: the input
   * is data, and the first layer's `G·W` product is skipped). True where the
   * projector is fed by trained layers (TS2Vec's shipped wrapper).
   */
  inputGradient?: boolean;
}

/** Hidden widths of conv1 and conv2 in the reference. */
const HIDDEN = [128, 64] as const;

/** One conv layer of the projector and the BatchNorm that follows it. */
interface ProjectorLayer {
  weight: Variable;
  bias: Variable;
  bn: BatchNormState;
}

/** The variables of a projector, by torch state-dict name, and its layers in order. */
interface ProjectorLayers {
  params: Record<string, Variable>;
  buffers: Record<string, Variable>;
  /** Torch shapes where they differ from ours (`conv{i}.weight` is `[out, in, 1]`). */
  torchShapes: Record<string, number[]>;
  layers: ProjectorLayer[];
}

function checkWidths(inFeatures: number, outFeatures: number): void {
  for (const [key, value] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new OptionError(
        `createFeatureProjector: ${key} must be a positive integer, got ${value}`,
      );
    }
  }
}

/**
 * The three conv + BatchNorm layers for widths `[F, 128, 64, D]`, created in
 * the order conv weight, conv bias, bn weight, bn bias, running mean, running
 * variance per layer (the order of the seeded draws from `rng`).
 */
function createLayers(widths: readonly number[], rng: Rng): ProjectorLayers {
  const params: Record<string, Variable> = {};
  const buffers: Record<string, Variable> = {};
  const torchShapes: Record<string, number[]> = {};
  const layers: ProjectorLayer[] = [];
  for (let i = 0; i < 3; i++) {
    const fanIn = widths[i], out = widths[i + 1];
    const bound = 1 / Math.sqrt(fanIn);
    const conv = `conv${i + 1}`, bnName = `bn${i + 1}`;
    params[`${conv}.weight`] = uniformVariable([out, fanIn], bound, rng, `${conv}.weight`);
    params[`${conv}.bias`] = uniformVariable([out], bound, rng, `${conv}.bias`);
    params[`${bnName}.weight`] = constantVariable([out], 1, true, `${bnName}.weight`);
    params[`${bnName}.bias`] = constantVariable([out], 0, true, `${bnName}.bias`);
    buffers[`${bnName}.running_mean`] = constantVariable([out], 0, false, `${bnName}.running_mean`);
    buffers[`${bnName}.running_var`] = constantVariable([out], 1, false, `${bnName}.running_var`);
    torchShapes[`${conv}.weight`] = [out, fanIn, 1];
    layers.push({
      weight: params[`${conv}.weight`],
      bias: params[`${conv}.bias`],
      bn: {
        weight: params[`${bnName}.weight`],
        bias: params[`${bnName}.bias`],
        runningMean: buffers[`${bnName}.running_mean`],
        runningVar: buffers[`${bnName}.running_var`],
      },
    });
  }
  return { params, buffers, torchShapes, layers };
}

/**
 * The forward pass on frames flattened sequence-major: `[N, F] → [N, D]`
 * through conv → BatchNorm (batch statistics in training, running ones
 * otherwise) → ReLU per layer. Gradients reach the input only if `inputGradient`.
 */
function forwardFrames(
  frames: Tensor2D,
  layers: readonly ProjectorLayer[],
  training: boolean,
  inputGradient: boolean,
): Tensor2D {
  let h = frames;
  for (const [i, layer] of layers.entries()) {
    h = linear(h, layer.weight as Tensor2D, layer.bias, {
      inputGradient: i > 0 || inputGradient,
    });
    h = training ? batchNormReluTrain(h, layer.bn) : tf.relu(batchNormEval(h, layer.bn));
  }
  return h;
}

/** State dict of the projector: parameters, buffers and `bn{i}.num_batches_tracked`. */
function projectorState(net: ProjectorLayers, batchesTracked: readonly number[]): StateDict {
  const state = { ...readState(net.params, net.torchShapes), ...readState(net.buffers) };
  for (let i = 0; i < 3; i++) {
    state[`bn${i + 1}.num_batches_tracked`] = {
      shape: [],
      values: Float32Array.of(batchesTracked[i]),
    };
  }
  return state;
}

/** Writes `state` into the projector's variables and `batchesTracked` (missing counts: 0). */
function loadProjectorState(
  net: ProjectorLayers,
  batchesTracked: number[],
  state: StateDict,
): void {
  writeState(net.params, state);
  writeState(net.buffers, state);
  for (let i = 0; i < 3; i++) {
    const tracked = state[`bn${i + 1}.num_batches_tracked`];
    batchesTracked[i] = tracked ? tracked.values[0] : 0;
  }
}

/**
 * Creates a FeatureProjector with torch's default initialisation:
 * conv weight and bias `~ U(−1/√fan_in, 1/√fan_in)` (fan_in = input channels),
 * BatchNorm weight 1, bias 0, running mean 0, running variance 1.
 *
 * Parameters (torch state-dict names): `conv{1,2,3}.weight [out, in]`
 * (`[out, in, 1]` in `stateDict()`), `conv{1,2,3}.bias [out]`,
 * `bn{1,2,3}.weight|bias [out]`; buffers `bn{1,2,3}.running_mean|running_var`.
 * For `F = 156, D = 320` there are 50 176 trainable scalars.
 */
export function createFeatureProjector(options: FeatureProjectorOptions): Encoder {
  const { inFeatures, outFeatures = 320, seed, inputGradient = false } = options;
  checkWidths(inFeatures, outFeatures);
  const net = createLayers([inFeatures, HIDDEN[0], HIDDEN[1], outFeatures], makeRng(seed));
  const { params, buffers } = net;
  const batchesTracked = [0, 0, 0];

  function apply(x: Tensor3D, { training }: ApplyOptions): Tensor3D {
    const [b, t, f] = x.shape;
    if (f !== inFeatures) {
      throw new ShapeError(
        `FeatureProjector: x has ${f} features per frame, expected ${inFeatures}`,
      );
    }
    if (training) { for (let i = 0; i < 3; i++) batchesTracked[i]++; }
    return tf.tidy(() => {
      const frames = tf.reshape(tf.cast(x, "float32"), [b * t, f]) as Tensor2D;
      const h = forwardFrames(frames, net.layers, training, inputGradient);
      return tf.reshape(h, [b, t, outFeatures]) as Tensor3D;
    });
  }

  return {
    name: "feature-projector",
    inFeatures,
    outFeatures,
    params,
    buffers,
    apply,
    parameterCount: () => countParameters(params),
    stateDict: (): StateDict => projectorState(net, batchesTracked),
    loadStateDict: (state: StateDict): void => loadProjectorState(net, batchesTracked, state),
    dispose(): void {
      for (const v of [...Object.values(params), ...Object.values(buffers)]) v.dispose();
    },
  };
}
