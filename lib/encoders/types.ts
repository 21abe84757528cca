/**
 * The contract every frame encoder meets: a pure forward function of its
 * trainable variables plus torch-style state-dict access.
 *
 * @module
 */
import type { Tensor3D, Variable } from "../tf.ts";
import type { Rng } from "../random.ts";

/** One entry of a state dict: a torch-layout shape and its row-major values. */
export interface StateEntry {
  /** Torch shape, e.g. `[out, in, 1]` for a kernel-size-1 Conv1d weight. */
  shape: number[];
  /** Row-major values. */
  values: Float32Array;
}

/** A state dict keyed by torch `state_dict()` names. */
export type StateDict = Record<string, StateEntry>;

/** Options of {@linkcode Encoder.apply}. */
export interface ApplyOptions {
  /**
   * Train mode: BatchNorm uses (and updates) batch statistics, masks and
   * dropout are drawn. Eval mode uses running statistics and no randomness.
   */
  training: boolean;
}

/**
 * The train-mode randomness of an encoder that draws it on the host (TS2Vec's
 * timestamp mask and output dropout): its live stream and rates, so that a
 * fused training step can draw exactly what `apply` would, from the same
 * stream, in the same order.
 */
export interface EncoderNoise {
  /** The stream `apply({ training: true })` draws from (advanced by every draw). */
  readonly rng: Rng;
  /** Probability that a timestamp is kept by the mask. */
  readonly maskKeep: number;
  /** Output dropout rate (0: no dropout draws). */
  readonly dropout: number;
}

/** A sequence encoder `[B, T, F] → [B, T, D]`. */
export interface Encoder {
  /** Architecture name, e.g. "feature-projector" or "ts2vec". */
  readonly name: string;
  /** Input features per frame `F`. */
  readonly inFeatures: number;
  /** Output features per frame `D`. */
  readonly outFeatures: number;
  /** Trainable variables by torch state-dict name. */
  readonly params: Record<string, Variable>;
  /** Non-trainable state (BatchNorm running statistics) by state-dict name. */
  readonly buffers: Record<string, Variable>;
  /**
   * Forward pass `x [B, T, F] → [B, T, D]`. In train mode it also updates the
   * buffers in place; the returned tensor depends on `params` only through
   * differentiable ops, so it can be called inside `tf.variableGrads`.
   */
  apply(x: Tensor3D, options: ApplyOptions): Tensor3D;
  /** Number of trainable scalars. */
  parameterCount(): number;
  /**
   * Copies every parameter and buffer out, in torch layout. Reads
   * synchronously: raises `BackendError` on the webgpu backend under Deno.
   */
  stateDict(): StateDict;
  /** Overwrites parameters and buffers from a torch-layout state dict. */
  loadStateDict(state: StateDict): void;
  /** Frees every variable. */
  dispose(): void;
  /** The host-drawn train-mode noise, for encoders that have one (TS2Vec). */
  readonly noise?: EncoderNoise;
}
