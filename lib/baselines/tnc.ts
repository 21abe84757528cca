/**
 * TNC as shipped with the eMargin reference (baselines/tnc.py, spec §B2).
 *
 * ```
 * X = the batch as one stream [B·T, F] (sequence boundaries crossed)
 * t ~ U{2W .. W·B − 2W − 1}, W = 20; anchor window X[t−10 : t+10]
 * positives: 20 centres int(t + N(0,1)·ε·W) clamped to [W/2+1, T_s − W/2]
 * negatives: 20 centres, U[W/2, max(t−δ+1, W/2+1)) if t > T_s/2,
 *            else U[min(t+δ, T_s−W−1), T_s − W/2);  δ = 5·ε·W
 * z_t = FP(anchor window ×20), z_p = FP(positive windows), z_n = FP(negatives)   [M, W, D]
 * D(z, z') = Linear(4D→1)(Dropout₀.₅(ReLU(Linear(2D→4D)([z ; z'])))) per frame → [M·W]
 * L = ½ [BCE(D(z_t, z_p), 1) + w·BCE(D(z_t, z_n), 1) + (1−w)·BCE(D(z_t, z_n), 0)],  w = 0.1
 * ```
 *
 * Defects of the shipped code: the discriminator is not in the optimiser
 * (it stays at its random init, dropout active); the stream crosses sequence
 * boundaries and its length is taken as `W·B`, not `B·T`; windows of the
 * per-frame FP are `[W, D]` sequences, not one vector per window.
 *
 * ADF substitute: the neighbourhood size ε comes from statsmodels' `adfuller`
 * (first `w ∈ {W, 2W, 3W}` whose feature-averaged p-value is ≥ 0.01), which
 * has no JavaScript port. Here ε = 1 always: on a 40-point window the
 * feature-averaged ADF p-value stays ≥ 0.01 unless every feature is strongly
 * stationary, so the reference almost always stops at the first size
 * (an assumption, not a measurement). The golden replays fixed windows.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng, randint } from "../random.ts";
import type { Rng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import { applyLinear, auxPool, bceWithLogits, dropout, frozenLinear } from "./common.ts";
import type { LinearWeights } from "./common.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** `tnc_window` of every reference config. */
export const TNC_WINDOW = 20;
/** Windows per positive / negative set (`mc_sample_size`). */
export const TNC_SAMPLES = 20;
/** The positive-unlabeled weight `w`. */
export const TNC_W = 0.1;

/** The discriminator: `model.0 = Linear(2D→4D)`, `model.3 = Linear(4D→1)`. */
export interface TncDiscriminator {
  first: LinearWeights;
  second: LinearWeights;
}

/**
 * Discriminator logits of frame pairs: `z, other [M, W, D]` → `[M·W]`.
 * With `rng`, dropout 0.5 is active (train mode, as shipped).
 */
export function tncDiscriminate(
  z: Tensor3D,
  other: Tensor3D,
  disc: TncDiscriminator,
  rng?: Rng,
): Tensor1D {
  const [m, w, d] = z.shape;
  if (other.shape.join() !== z.shape.join()) {
    throw new ShapeError(`tnc: window shapes differ, [${z.shape}] vs [${other.shape}]`);
  }
  return tf.tidy(() => {
    const pair = tf.reshape(tf.concat([z, other], 2), [m * w, 2 * d]) as Tensor2D;
    let h = tf.relu(applyLinear(pair, disc.first));
    if (rng) h = dropout(h, 0.5, rng);
    return tf.reshape(applyLinear(h, disc.second), [m * w]) as Tensor1D;
  });
}

/** The parts of the TNC loss. */
export interface TncLossParts {
  /** `BCE(d_p, 1)`. */
  pLoss: Scalar;
  /** `BCE(d_n, 0)`. */
  nLoss: Scalar;
  /** `BCE(d_n, 1)`. */
  nLossU: Scalar;
  /** `½ [pLoss + w·nLossU + (1−w)·nLoss]`. */
  loss: Scalar;
}

/** The TNC loss on anchor, positive and negative windows `[M, W, D]`. */
export function tncLossParts(
  zt: Tensor3D,
  zp: Tensor3D,
  zn: Tensor3D,
  disc: TncDiscriminator,
  options: { w?: number; rng?: Rng } = {},
): TncLossParts {
  const w = options.w ?? TNC_W;
  return tf.tidy(() => {
    const dP = tncDiscriminate(zt, zp, disc, options.rng);
    const dN = tncDiscriminate(zt, zn, disc, options.rng);
    const pLoss = bceWithLogits(dP, 1), nLoss = bceWithLogits(dN, 0), nLossU = bceWithLogits(dN, 1);
    const loss = tf.mul(0.5, tf.addN([pLoss, tf.mul(w, nLossU), tf.mul(1 - w, nLoss)])) as Scalar;
    return { pLoss, nLoss, nLossU, loss };
  });
}

/** Window centres of one TNC step. */
export interface TncDraw {
  anchor: number;
  positives: Int32Array;
  negatives: Int32Array;
}

/**
 * Draws the anchor and the neighbour centres for a batch of `B` sequences of
 * `T_s` frames, with ε = 1 (the ADF substitute).
 */
export function tncDraw(B: number, Ts: number, rng: Rng, epsilon = 1): TncDraw {
  const W = TNC_WINDOW, half = W / 2, stream = W * B;
  if (stream - 4 * W < 1 || Ts - half <= half + 1 || B * Ts < stream) {
    throw new OptionError(
      `tnc: needs W·B − 4W ≥ 1, T > 2W/2 + 1 and B·T ≥ W·B (W = ${W}), got B = ${B}, T = ${Ts}`,
    );
  }
  const anchor = randint(rng, 2 * W, stream - 2 * W);
  const delta = 5 * epsilon * W;
  const positives = Int32Array.from({ length: TNC_SAMPLES }, () => {
    const c = Math.trunc(anchor + rng.normal() * epsilon * W);
    return Math.min(Math.max(c, half + 1), Ts - half);
  });
  const [low, high] = anchor > Ts / 2
    ? [half, Math.max(anchor - delta + 1, half + 1)]
    : [Math.min(anchor + delta, Ts - W - 1), Ts - half];
  const negatives = Int32Array.from({ length: TNC_SAMPLES }, () => randint(rng, low, high));
  return { anchor, positives, negatives };
}

/** Windows `X[c−10 : c+10]` of the stream `x [B·T, F]` for each centre → `[M, W, F]`. */
function windows(stream: Tensor2D, centres: ArrayLike<number>): Tensor3D {
  const f = stream.shape[1], W = TNC_WINDOW;
  const index = new Int32Array(centres.length * W);
  for (let m = 0; m < centres.length; m++) {
    for (let i = 0; i < W; i++) index[m * W + i] = centres[m] - W / 2 + i;
  }
  return tf.reshape(tf.gather(stream, tf.tensor1d(index, "int32")), [centres.length, W, f]);
}

const pool = auxPool();

/** The discriminator at init: xavier-uniform weight, default bias, then default `Linear`. */
export function createTncDiscriminator(d: number, rng: Rng): TncDiscriminator {
  return {
    first: frozenLinear(2 * d, 4 * d, rng, "xavier"),
    second: frozenLinear(4 * d, 1, rng, "xavier"),
  };
}

/** The TNC objective (`T` = `sequence_sample`, the clamp bound of the centres). */
export function tncObjective(options: { seed: number; T: number }): Objective {
  const rng = makeRng(options.seed);
  let disc: TncDiscriminator | null = null;
  return (encoder, x) => {
    disc ??= pool.track(createTncDiscriminator(encoder.outFeatures, rng.fork()));
    const [b, t, f] = x.shape;
    const draw = tncDraw(b, options.T, rng);
    const anchor = new Array(TNC_SAMPLES).fill(draw.anchor);
    return tf.tidy(() => {
      const stream = tf.reshape(x, [b * t, f]) as Tensor2D;
      const encodeAt = (c: ArrayLike<number>) =>
        encoder.apply(windows(stream, c), { training: true });
      const zt = encodeAt(anchor), zp = encodeAt(draw.positives), zn = encodeAt(draw.negatives);
      return tncLossParts(zt, zp, zn, disc!, { rng }).loss;
    });
  };
}

/** TNC in the study grid. */
export const tncBaseline: BaselineSpec = baselineSpec("tnc", {
  createEncoder: createFeatureProjector,
  createObjective: tncObjective,
  pool,
});
