/**
 * Seeded synthetic recordings with known regime segments, so the study runs
 * with no downloaded data. Each recording is a sequence of segments, each in
 * one of four regimes with its own spectrum; the per-sample label is the
 * regime.
 *
 * Regime `r` on channel `c`: `x(t) = Σ_j a_j·sin(2π·f_{r,c,j}·t + φ_j) + 0.3·ε(t)`
 * with the frequencies of {@linkcode SYNTHETIC_REGIMES}, random phases per
 * segment and white Gaussian noise ε.
 *
 * @module
 */
import { makeRng } from "../random.ts";

/** Sampling rate of the synthetic signals (Hz). */
export const SYNTHETIC_FS = 50;

/** Regime names; class `r` is `SYNTHETIC_CLASS_NAMES[r]`. */
export const SYNTHETIC_CLASS_NAMES: readonly string[] = ["slow", "mid", "fast", "mixed"];

/** Component frequencies (Hz) of each regime, per channel: `[regime][channel][component]`. */
export const SYNTHETIC_REGIMES: readonly (readonly (readonly number[])[])[] = [
  [[1.5], [2.5]],
  [[5], [7, 3]],
  [[12], [16]],
  [[2, 19], [9, 21]],
];

/** Options of {@linkcode syntheticRecording}. */
export interface SyntheticOptions {
  /** Samples per channel. */
  nSamples: number;
  /** Shortest and longest segment (s). */
  segmentSeconds?: [number, number];
}

/** One synthetic recording. */
export interface SyntheticRecording {
  /** `[2][nSamples]` signals. */
  channels: Float64Array[];
  /** `[nSamples]` regime of each sample (0–3). */
  labels: Int32Array;
}

/**
 * Generates one recording from `seed`: segments of uniform length in
 * `segmentSeconds` with regimes drawn uniformly, never the same regime twice
 * in a row.
 */
export function syntheticRecording(
  seed: number,
  { nSamples, segmentSeconds = [4, 20] }: SyntheticOptions,
): SyntheticRecording {
  const rng = makeRng(seed);
  const nChannels = SYNTHETIC_REGIMES[0].length;
  const channels = Array.from({ length: nChannels }, () => new Float64Array(nSamples));
  const labels = new Int32Array(nSamples);
  let regime = rng.int(SYNTHETIC_REGIMES.length);
  for (let start = 0; start < nSamples;) {
    const seconds = segmentSeconds[0] + rng.next() * (segmentSeconds[1] - segmentSeconds[0]);
    const end = Math.min(nSamples, start + Math.max(1, Math.round(seconds * SYNTHETIC_FS)));
    for (let c = 0; c < nChannels; c++) {
      const freqs = SYNTHETIC_REGIMES[regime][c];
      const phases = freqs.map(() => 2 * Math.PI * rng.next());
      for (let i = start; i < end; i++) {
        let v = 0.3 * rng.normal();
        for (let j = 0; j < freqs.length; j++) {
          v += Math.sin((2 * Math.PI * freqs[j] * i) / SYNTHETIC_FS + phases[j]);
        }
        channels[c][i] = v;
      }
    }
    labels.fill(regime, start, end);
    regime = (regime + 1 + rng.int(SYNTHETIC_REGIMES.length - 1)) % SYNTHETIC_REGIMES.length;
    start = end;
  }
  return { channels, labels };
}
