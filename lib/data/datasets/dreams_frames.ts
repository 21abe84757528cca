/**
 * The DREAMS 100-Hz frame recipe (reproduces golden `dreams_features.json`):
 * an excerpt resampled to exactly 180 000 samples at 100 Hz, STFT
 * `nFft = win = hop = 178` → `[1011, 90]` magnitudes, and the golden recipe's
 * frame labels.
 *
 * @module
 */
import { gcd, resamplePoly, stftMagnitude } from "../../features/mod.ts";
import {
  type DreamsExcerpt,
  dreamsFiles,
  dreamsStages,
  readDreamsExcerpt,
  readDreamsHypnogram,
  resolveDreamsDir,
} from "../dreams.ts";

/** The 100-Hz frame recipe (reproduces golden `dreams_features.json`). */
export const DREAMS_RECIPE = {
  version: 1,
  fs: 100,
  samples: 180_000,
  resample: "scipy.signal.resample_poly(x, up, down), up/down = reduced 180000/n, kaiser 5.0",
  nFft: 178,
  hop: 178,
  winLength: 178,
  window: "hann (periodic)",
  center: false,
  samplesPerCode: 500,
  frameLabel: "argmax(bincount) over the frame's samples, excluded counted as class 5; " +
    "ties to the smaller class; majority 5 -> -1",
  T: 200,
} as const;

/** Frames per excerpt under {@linkcode DREAMS_RECIPE}: `⌊(180000 − 178)/178⌋ + 1`. */
export const DREAMS_FRAMES = Math.floor(
  (DREAMS_RECIPE.samples - DREAMS_RECIPE.nFft) / DREAMS_RECIPE.hop,
) + 1;
/** Frequency bins per frame: `nFft/2 + 1`. */
export const DREAMS_BINS = Math.floor(DREAMS_RECIPE.nFft / 2) + 1;

/** One excerpt on the 100-Hz grid with its STFT frames and frame labels. */
export interface DreamsFrames {
  /** Always 100 (Hz). */
  fs: number;
  /** `[180000]` resampled signal (µV). */
  signal: Float32Array;
  /** `[nFrames, nBins]` row-major STFT magnitudes. */
  features: Float32Array;
  /** 1011. */
  nFrames: number;
  /** 90. */
  nBins: number;
  /** `[nFrames]` stage per frame (W 0 … REM 4), −1 when the majority is excluded. */
  frameLabels: Int8Array;
  /** Channel name from the header line. */
  channel: string;
  /** Native sampling rate `n/1800` (Hz). */
  nativeFs: number;
  /** Reduced resampling ratio `up/down = 180000/n`. */
  up: number;
  down: number;
}

/**
 * Frame labels of the recipe: sample `s` (100 Hz) carries the stage of code
 * `⌊s/500⌋`; frame `f` covers samples `[178f, 178f + 178)` and takes
 * `argmax(bincount)` over classes 0…4 plus 5 = excluded, ties to the smaller
 * class; a majority of 5 gives −1. This is the golden recipe's rule: unlike
 * the generic `frameLabels` of `features/frames.ts`, a tie between excluded
 * samples and a stage goes to the stage.
 *
 * @param stages `[360]` mapped stages (−1 = excluded).
 * @returns `[1011]` frame labels.
 */
export function dreamsFrameLabels(stages: Int8Array): Int8Array {
  const { nFft, hop, samplesPerCode } = DREAMS_RECIPE;
  const out = new Int8Array(DREAMS_FRAMES);
  const count = new Int32Array(6);
  for (let f = 0; f < DREAMS_FRAMES; f++) {
    count.fill(0);
    const start = f * hop;
    const end = start + nFft;
    // A frame (178 samples) spans at most two 500-sample codes.
    for (let s = start; s < end;) {
      const code = Math.floor(s / samplesPerCode);
      const stop = Math.min(end, (code + 1) * samplesPerCode);
      const stage = stages[code];
      count[stage < 0 ? 5 : stage] += stop - s;
      s = stop;
    }
    let best = 0;
    for (let c = 1; c < 6; c++) if (count[c] > count[best]) best = c;
    out[f] = best === 5 ? -1 : best;
  }
  return out;
}

/**
 * Applies the recipe to an excerpt already in memory: resample to exactly
 * 180 000 samples at 100 Hz (`resample_poly` with the reduced ratio
 * `180000/n`), STFT magnitude with `nFft = win = hop = 178` (periodic Hann, no
 * centring) → `[1011, 90]`, and {@linkcode dreamsFrameLabels}.
 *
 * @param excerpt The parsed excerpt (`[n]` values).
 * @param codes `[360]` hypnogram codes.
 */
export function dreamsFramesOf(excerpt: DreamsExcerpt, codes: Int8Array): DreamsFrames {
  const n = excerpt.data.length;
  const g = gcd(DREAMS_RECIPE.samples, n);
  const up = DREAMS_RECIPE.samples / g;
  const down = n / g;
  const resampled = resamplePoly(excerpt.data, up, down);
  const stft = stftMagnitude(resampled, {
    nFft: DREAMS_RECIPE.nFft,
    hop: DREAMS_RECIPE.hop,
    winLength: DREAMS_RECIPE.winLength,
  });
  return {
    fs: DREAMS_RECIPE.fs,
    signal: Float32Array.from(resampled),
    features: stft.data,
    nFrames: stft.nFrames,
    nBins: stft.nBins,
    frameLabels: dreamsFrameLabels(dreamsStages(codes)),
    channel: excerpt.channel,
    nativeFs: excerpt.fs,
    up,
    down,
  };
}

/**
 * Reads excerpt `n` (1…8) and its hypnogram from `dir` (the DREAMS folder, or a
 * data root holding `dreams/`) and applies the 100-Hz recipe (see
 * {@linkcode dreamsFramesOf}).
 */
export async function loadDreamsExcerpt(dir: string, n: number): Promise<DreamsFrames> {
  const files = dreamsFiles(resolveDreamsDir(dir), n);
  const [excerpt, codes] = await Promise.all([
    readDreamsExcerpt(files.excerpt),
    readDreamsHypnogram(files.hypnogram),
  ]);
  return dreamsFramesOf(excerpt, codes);
}
