/**
 * CoST's encoder layers after the FeatureProjector (src/models/costencoder.py)
 * and its MoCo queue, shared by the shipped objective and the unfrozen
 * variant. Weights are named as in a state dict under `encoder_q.`:
 * `input_fc`, `tfd.{i}` (causal conv with kernel `2^i`, stored as the
 * matrix `[k·320, 160]` that multiplies the tap-major window, so no large
 * transpose is needed), `sfd.0.weight_re|weight_im [⌊T/2⌋+1, 320, 160]`,
 * `sfd.0.bias_re|bias_im [⌊T/2⌋+1, 160]` (the complex weight's parts).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import type { Rng } from "../random.ts";
import { applyLinear, dropout, normalizeRows, normalValues, uniformValues } from "./common.ts";
import type { LinearWeights } from "./common.ts";
import { rfftTime } from "./cost.ts";
import { basisProduct, wideProduct } from "./cost_product.ts";
import { bandedProduct } from "./cost_banded.ts";

/** Kernel sizes of the trend convolutions. */
export const COST_KERNELS = [1, 2, 4, 8, 16, 32, 64, 128] as const;
/** Width of the trend and season components. */
export const COST_COMPONENT = 160;
/** MoCo queue length `K`. */
export const COST_QUEUE = 256;
const HIDDEN = 320;

/** One weight's shape and initial values (torch default init bounds). */
export interface WeightInit {
  shape: number[];
  values: Float32Array;
}

/** Initial values of every CoST layer after the FP, by name (no prefix). */
export function costLayerInits(f: number, t: number, rng: Rng): Record<string, WeightInit> {
  const out: Record<string, WeightInit> = {};
  const add = (name: string, shape: number[], bound: number) => {
    out[name] = { shape, values: uniformValues(shape.reduce((a, b) => a * b, 1), bound, rng) };
  };
  add("input_fc.weight", [f, f], 1 / Math.sqrt(f));
  add("input_fc.bias", [f], 1 / Math.sqrt(f));
  COST_KERNELS.forEach((k, i) => {
    add(`tfd.${i}.weight`, [k * HIDDEN, COST_COMPONENT], 1 / Math.sqrt(HIDDEN * k));
    add(`tfd.${i}.bias`, [COST_COMPONENT], 1 / Math.sqrt(HIDDEN * k));
  });
  const nf = Math.floor(t / 2) + 1, bound = 1 / Math.sqrt(HIDDEN * COST_COMPONENT);
  for (const part of ["re", "im"]) add(`sfd.0.weight_${part}`, [nf, HIDDEN, COST_COMPONENT], bound);
  for (const part of ["re", "im"]) add(`sfd.0.bias_${part}`, [nf, COST_COMPONENT], bound);
  return out;
}

/** The layers as tensors. */
export interface CostLayers {
  inputFc: LinearWeights;
  /** Per kernel: `weight [k·320, 160]` (window · weight), `bias [160]`. */
  trend: LinearWeights[];
  season: { wRe: Tensor3D; wIm: Tensor3D; bRe: Tensor2D; bIm: Tensor2D };
}

/** A view of `record[prefix + name]` as {@linkcode CostLayers}. */
export function costLayersOf(record: Record<string, Tensor>, prefix = ""): CostLayers {
  const get = <T extends Tensor>(name: string) => record[prefix + name] as T;
  return {
    inputFc: { weight: get<Tensor2D>("input_fc.weight"), bias: get<Tensor1D>("input_fc.bias") },
    trend: COST_KERNELS.map((_, i) => ({
      weight: get<Tensor2D>(`tfd.${i}.weight`),
      bias: get<Tensor1D>(`tfd.${i}.bias`),
    })),
    season: {
      wRe: get<Tensor3D>("sfd.0.weight_re"),
      wIm: get<Tensor3D>("sfd.0.weight_im"),
      bRe: get<Tensor2D>("sfd.0.bias_re"),
      bIm: get<Tensor2D>("sfd.0.bias_im"),
    },
  };
}

/** Mean of the causal trend convolutions at frame `r` of `h [B, T, 320]` → `[B, 160]`. */
export function trendAt(h: Tensor3D, r: number, layers: CostLayers): Tensor2D {
  const [b] = h.shape, maxK = COST_KERNELS[COST_KERNELS.length - 1];
  const padded = tf.pad(h, [[0, 0], [maxK - 1, 0], [0, 0]]);
  const outs = COST_KERNELS.map((k, i) => {
    const taps = tf.slice(padded, [0, r + maxK - k, 0], [b, k, HIDDEN]);
    const { weight, bias } = layers.trend[i];
    const window = tf.reshape(taps, [b, k * HIDDEN]) as Tensor2D;
    // A trained weight changes every step: wideProduct avoids repacking it (cost_product.ts).
    const product = weight instanceof tf.Variable ? wideProduct : tf.matMul;
    return tf.add(product(window, weight), bias);
  });
  return tf.div(tf.addN(outs), COST_KERNELS.length) as Tensor2D;
}

/**
 * `irfft(X, n = T)` over the frequency axis of `re, im [B, ⌊T/2⌋+1, C]` →
 * `[B, T, C]`: `x_t = (1/T) Σ_f c_f (Re_f cos 2πft/T − Im_f sin 2πft/T)`,
 * `c_f = 1` at DC and Nyquist (whose imaginary parts are ignored), else 2.
 */
export function irfftTime(re: Tensor3D, im: Tensor3D, t: number): Tensor3D {
  const [b, nf, c] = re.shape;
  const cos = new Float32Array(nf * t), sin = new Float32Array(nf * t);
  for (let f = 0; f < nf; f++) {
    const edge = f === 0 || 2 * f === t, weight = edge ? 1 / t : 2 / t;
    for (let s = 0; s < t; s++) {
      const angle = (2 * Math.PI * ((s * f) % t)) / t;
      cos[f * t + s] = weight * Math.cos(angle);
      sin[f * t + s] = edge ? 0 : -weight * Math.sin(angle);
    }
  }
  return tf.tidy(() => {
    const rows = (z: Tensor) => tf.reshape(tf.transpose(z, [0, 2, 1]), [b * c, nf]) as Tensor2D;
    const time = tf.add(
      basisProduct(rows(re), cos, [nf, t]),
      basisProduct(rows(im), sin, [nf, t]),
    );
    return tf.transpose(tf.reshape(time, [b, c, t]), [0, 2, 1]) as Tensor3D;
  });
}

/** The banded Fourier layer over all frequencies, then dropout 0.1 → `[B, T, 160]`. */
export function seasonOf(h: Tensor3D, layers: CostLayers, rng: Rng): Tensor3D {
  const t = h.shape[1];
  const [re, im] = rfftTime(h).map((p) => tf.transpose(p, [1, 0, 2]) as Tensor3D); // [nf, B, 320]
  const { wRe, wIm, bRe, bIm } = layers.season;
  const mm = bandedProduct; // per-frequency 2-D products (cost_banded.ts)
  const outRe = tf.add(tf.sub(mm(re, wRe), mm(im, wIm)), tf.expandDims(bRe, 1));
  const outIm = tf.add(tf.add(mm(re, wIm), mm(im, wRe)), tf.expandDims(bIm, 1));
  const toBatch = (z: Tensor) => tf.transpose(z, [1, 0, 2]) as Tensor3D;
  return dropout(irfftTime(toBatch(outRe), toBatch(outIm), t), 0.1, rng);
}

/** `CoSTEncoder` in train mode on `x [B, T, F]`: the trend at `r` and the season. */
export function costEncode(
  core: Encoder,
  layers: CostLayers,
  x: Tensor3D,
  r: number,
  rng: Rng,
): { trend: Tensor2D; season: Tensor3D } {
  const [b, t, f] = x.shape;
  const fc = applyLinear(tf.reshape(x, [b * t, f]) as Tensor2D, layers.inputFc);
  const h = core.apply(tf.reshape(fc, [b, t, f]) as Tensor3D, { training: true });
  return { trend: trendAt(h, r, layers), season: seasonOf(h, layers, rng) };
}

/** `jitter(shift(scale(x)))`, each applied with probability ½, σ = 0.5. */
export function augmentKey(x: Tensor3D, rng: Rng): Tensor3D {
  const [b, t, f] = x.shape;
  let out: Tensor = x;
  if (rng.next() < 0.5) out = tf.mul(out, tf.add(1, tf.tensor1d(normalValues(f, 0.5, rng))));
  if (rng.next() < 0.5) out = tf.add(out, tf.tensor1d(normalValues(f, 0.5, rng)));
  if (rng.next() < 0.5) {
    out = tf.add(out, tf.tensor3d(normalValues(b * t * f, 0.5, rng), [b, t, f]));
  }
  return out as Tensor3D;
}

/** The MoCo queue `[160, K]` and the keys waiting to enter it. */
export interface MocoQueue {
  queue: Tensor2D;
  pointer: number;
  /** Keys of the last step, enqueued at the start of the next (after its backward pass). */
  pending: Tensor2D | null;
}

/** A queue of column-normalised `N(0, 1)` draws. */
export function createMocoQueue(rng: Rng): MocoQueue {
  const draws = tf.tensor2d(normalValues(COST_COMPONENT * COST_QUEUE, 1, rng), [
    COST_COMPONENT,
    COST_QUEUE,
  ]);
  const queue = tf.tidy(() => tf.transpose(normalizeRows(tf.transpose(draws))) as Tensor2D);
  draws.dispose();
  return { queue, pointer: 0, pending: null };
}

/** Writes the pending keys `[B, 160]` at the pointer and advances it by `B`. */
export function advanceQueue(q: MocoQueue): void {
  if (!q.pending) return;
  const k = q.pending, old = q.queue, b = k.shape[0];
  q.queue = tf.keep(tf.tidy(() => {
    const before = tf.slice(old, [0, 0], [COST_COMPONENT, q.pointer]);
    const after = tf.slice(old, [0, q.pointer + b], [COST_COMPONENT, COST_QUEUE - q.pointer - b]);
    return tf.concat([before, tf.transpose(k), after], 1) as Tensor2D;
  }));
  q.pointer = (q.pointer + b) % COST_QUEUE;
  tf.dispose([k, old]);
  q.pending = null;
}
