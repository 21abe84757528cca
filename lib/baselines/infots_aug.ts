/**
 * InfoTS' seven augmentations (src/models/augclass.py) on plain arrays
 * `x [B, T, F]` row-major, and the shipped `AutoAUG` mixing (spec §B3).
 *
 * They run on the CPU outside autodiff: the shipped augmentation weights are
 * never trained, so view 1 is a constant of the step.
 *
 * `time_warp` needs tsaug, which has no JavaScript port. Substitute (not
 * bit-identical): per sequence, the output time axis is cut into
 * `n_speed_change + 1 = 101` equal segments, each given a speed
 * `U(1, max_speed_ratio = 10)`; the cumulative speeds, rescaled to
 * `[0, T−1]`, give the source time of every output frame, read by linear
 * interpolation (one warp per sequence, shared by its features).
 *
 * @module
 */
import { randint } from "../random.ts";
import type { Rng } from "../random.ts";

/** A batch `[B, T, F]` row-major with its sizes. */
export interface Series {
  data: Float32Array;
  B: number;
  T: number;
  F: number;
}

/**
 * torch `interpolate(mode="linear", align_corners=False)` of `len` values at
 * `src[offset + i·stride]` to `outLen` values.
 */
function resampleLinear(
  read: (i: number) => number,
  len: number,
  outLen: number,
): Float32Array {
  const out = new Float32Array(outLen);
  const scale = len / outLen;
  for (let i = 0; i < outLen; i++) {
    const pos = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(pos), len - 1);
    const i1 = Math.min(i0 + 1, len - 1);
    const lambda = pos - i0;
    out[i] = (1 - lambda) * read(i0) + lambda * read(i1);
  }
  return out;
}

/** Per sequence and feature, `out[b, ·, f] = build(b, f, read)` of length T. */
function perSeries(
  x: Series,
  build: (b: number, read: (t: number) => number) => Float32Array,
): Float32Array {
  const { B, T, F, data } = x;
  const out = new Float32Array(data.length);
  for (let b = 0; b < B; b++) {
    for (let f = 0; f < F; f++) {
      const base = b * T * F + f;
      const y = build(b, (t) => data[base + t * F]);
      for (let t = 0; t < T; t++) out[base + t * F] = y[t];
    }
  }
  return out;
}

/** `subsequence`: one crop `[start, start+crop_l)` kept, the rest zeroed (whole batch). */
export function subsequence(x: Series, rng: Rng): Float32Array {
  const cropL = randint(rng, 2, x.T + 1);
  const start = randint(rng, 0, x.T - cropL + 1);
  return zeroOutside(x, start, start + cropL);
}

function zeroOutside(x: Series, start: number, end: number, inside = false): Float32Array {
  const out = x.data.slice();
  for (let b = 0; b < x.B; b++) {
    for (let t = 0; t < x.T; t++) {
      if ((t >= start && t < end) === inside) {
        out.fill(0, (b * x.T + t) * x.F, (b * x.T + t + 1) * x.F);
      }
    }
  }
  return out;
}

/** `cutout(0.1)`: frames `[start, start + ⌊0.1 T⌋)` zeroed, `start ~ U[0, T − w − 1)`. */
export function cutout(x: Series, rng: Rng, perc = 0.1): Float32Array {
  const win = Math.floor(perc * x.T);
  const start = randint(rng, 0, Math.max(x.T - win - 1, 1));
  return zeroOutside(x, start, Math.min(start + win, x.T), true);
}

/** `jitter(0.3)`: `x + N(0, 0.3²)` per entry. */
export function jitter(x: Series, rng: Rng, sigma = 0.3): Float32Array {
  return x.data.map((v) => v + sigma * rng.normal());
}

/** `scaling(0.5)`: `x · N(1, 0.5²)` per (sequence, feature). */
export function scaling(x: Series, rng: Rng, sigma = 0.5): Float32Array {
  const factor = Float32Array.from({ length: x.B * x.F }, () => 1 + sigma * rng.normal());
  return x.data.map((v, i) => v * factor[Math.floor(i / (x.T * x.F)) * x.F + (i % x.F)]);
}

/** `time_warp(100, 10)`: the documented substitute for tsaug's TimeWarp. */
export function timeWarp(x: Series, rng: Rng, nSpeedChange = 100, maxRatio = 10): Float32Array {
  const { T } = x;
  const sources: Float32Array[] = [];
  for (let b = 0; b < x.B; b++) {
    const segments = nSpeedChange + 1;
    const speed = Float64Array.from({ length: segments }, () => 1 + (maxRatio - 1) * rng.next());
    const cumulative = new Float64Array(segments + 1);
    for (let s = 0; s < segments; s++) cumulative[s + 1] = cumulative[s] + speed[s];
    const src = new Float32Array(T);
    for (let t = 0; t < T; t++) {
      const u = T > 1 ? (t / (T - 1)) * segments : 0;
      const s = Math.min(Math.floor(u), segments - 1);
      const at = cumulative[s] + (u - s) * speed[s];
      src[t] = (at / cumulative[segments]) * (T - 1);
    }
    sources.push(src);
  }
  return perSeries(x, (b, read) =>
    sources[b].map((pos) => {
      const i0 = Math.min(Math.floor(pos), T - 1), i1 = Math.min(i0 + 1, T - 1);
      return (1 - (pos - i0)) * read(i0) + (pos - i0) * read(i1);
    }));
}

/** `window_slice(0.5)`: a random half per sequence, stretched back to T. */
export function windowSlice(x: Series, rng: Rng, ratio = 0.5): Float32Array {
  const target = Math.ceil(ratio * x.T);
  if (target >= x.T) return x.data.slice();
  const starts = Array.from({ length: x.B }, () => randint(rng, 0, x.T - target));
  return perSeries(x, (b, read) => resampleLinear((i) => read(starts[b] + i), target, x.T));
}

/** `window_warp(0.3, [0.5, 2])`: a window per sequence rescaled by 0.5 or 2, then back to T. */
export function windowWarp(x: Series, rng: Rng, ratio = 0.3, scales = [0.5, 2]): Float32Array {
  const { T } = x;
  const size = Math.ceil(ratio * T);
  const scale = Array.from({ length: x.B }, () => scales[rng.int(scales.length)]);
  const starts = Array.from({ length: x.B }, () => randint(rng, 1, Math.max(T - size - 1, 2)));
  return perSeries(x, (b, read) => {
    const start = starts[b], end = Math.min(start + size, T);
    const warped = resampleLinear((i) => read(start + i), end - start, Math.floor(size * scale[b]));
    const joined = new Float32Array(start + warped.length + (T - end));
    for (let t = 0; t < start; t++) joined[t] = read(t);
    joined.set(warped, start);
    for (let t = end; t < T; t++) joined[start + warped.length + t - end] = read(t);
    return resampleLinear((i) => joined[i], joined.length, T);
  });
}

/** The seven augmentations in `AutoAUG`'s order. */
export const INFOTS_AUGS = [
  subsequence,
  cutout,
  jitter,
  scaling,
  timeWarp,
  windowSlice,
  windowWarp,
] as const;

/**
 * `AutoAUG.forward` in train mode: with probability 0.8 view 1 is `x`;
 * otherwise `Σ_k p_k·aug_k(x)` with `p = softmax(logit(ε) + w₀)`,
 * `ε ~ U(0.0001, 0.9999)` per weight, temperature 1. View 2 is always `x`.
 */
export function autoAugView(x: Series, weight0: Float32Array, rng: Rng): Float32Array {
  const gate = Array.from(weight0, (w) => {
    const eps = 0.0001 + 0.9998 * rng.next();
    return Math.log(eps) - Math.log(1 - eps) + w;
  });
  if (rng.next() > 0.2) return x.data.slice();
  const top = Math.max(...gate);
  const e = gate.map((g) => Math.exp(g - top));
  const total = e.reduce((a, b) => a + b, 0);
  const out = new Float32Array(x.data.length);
  INFOTS_AUGS.forEach((aug, k) => {
    const y = aug(x, rng);
    const p = e[k] / total;
    for (let i = 0; i < out.length; i++) out[i] += p * y[i];
  });
  return out;
}
