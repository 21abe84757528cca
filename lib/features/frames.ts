/**
 * Framing of per-sample labels, windowing of frame sequences and
 * channel-major stacking of spectrograms.
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";
import type { Spectrogram } from "./stft.ts";

/** Frame geometry shared by the STFT and the label framing. */
export interface FrameOptions {
  /** Samples per frame (the STFT's `nFft`). */
  frameLength: number;
  /** Samples between frame starts (the STFT's `hop`). */
  hop: number;
}

function checkPositiveInteger(where: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new OptionError(`${where}: ${name} must be a positive integer, got ${value}`);
  }
}

/** `1 + ⌊(n − frameLength)/hop⌋`, or 0 when `n < frameLength` (the STFT's frame count). */
export function frameCount(n: number, { frameLength, hop }: FrameOptions): number {
  return n < frameLength ? 0 : 1 + Math.floor((n - frameLength) / hop);
}

/**
 * Label of each frame: `argmax(bincount(labels[t·hop … t·hop + frameLength − 1]))`,
 * the most frequent label among the frame's samples, ties to the smallest
 * label (spec §4, `windowed_labels(kind='argmax')`).
 *
 * Excluded samples (any negative label) are counted together as one extra
 * class −1, which is smaller than every real label: a frame gets −1 when its
 * excluded samples are at least as many as the samples of its most frequent
 * real label (ties go to −1 by the smallest-label rule).
 *
 * @param labels `[n]` per-sample labels; negative = excluded.
 * @returns `[frameCount(n)]` frame labels (−1 = excluded).
 */
export function frameLabels(
  labels: Int32Array | Int8Array,
  options: FrameOptions,
): Int32Array {
  const { frameLength, hop } = options;
  checkPositiveInteger("frameLabels", "frameLength", frameLength);
  checkPositiveInteger("frameLabels", "hop", hop);
  let maxLabel = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > maxLabel) maxLabel = labels[i];
  const nFrames = frameCount(labels.length, options);
  const out = new Int32Array(nFrames);
  const counts = new Int32Array(maxLabel + 2); // slot 0 = excluded, slot c + 1 = label c
  for (let t = 0; t < nFrames; t++) {
    counts.fill(0);
    const start = t * hop;
    for (let i = start; i < start + frameLength; i++) {
      const label = labels[i];
      counts[label < 0 ? 0 : label + 1]++;
    }
    let best = 0;
    for (let c = 1; c < counts.length; c++) if (counts[c] > counts[best]) best = c;
    out[t] = best - 1;
  }
  return out;
}

/** Options of {@linkcode windowSequences}. */
export interface WindowOptions {
  /** Frames per sequence. */
  T: number;
  /** Frames between consecutive sequence starts (`T` = non-overlapping blocks). */
  shift: number;
}

/**
 * First frames of the sequences cut from one recording of `nFrames` frames
 * (HARTH rule of spec §4): `max(1, ⌈(n − (T − 1))/shift⌉)` windows starting at
 * frame `shift·w`, all `T` frames long, so windows never cross a recording
 * and a short tail is dropped. Equivalently, every `w` with
 * `shift·w + T ≤ n`. A recording shorter than `T` frames gives no window
 * (the reference would emit one short window; ours are always full length).
 *
 * @returns `[nWindows]` start frames, ascending.
 */
export function windowSequences(nFrames: number, { T, shift }: WindowOptions): Int32Array {
  checkPositiveInteger("windowSequences", "T", T);
  checkPositiveInteger("windowSequences", "shift", shift);
  if (nFrames < T) return new Int32Array(0);
  const n = Math.max(1, Math.ceil((nFrames - (T - 1)) / shift));
  return Int32Array.from({ length: n }, (_, w) => w * shift);
}

/**
 * Stacks per-channel spectrograms channel-major:
 * `out[t, c·nBins + k] = spectrograms[c][t, k]` (spec §4).
 *
 * @param spectrograms `C` spectrograms with equal `nFrames` and `nBins`.
 * @returns `[nFrames, C·nBins]` row-major float32.
 * @throws {ShapeError} when frame or bin counts differ.
 */
export function stackChannels(spectrograms: readonly Spectrogram[]): {
  data: Float32Array;
  nFrames: number;
  nFeatures: number;
} {
  if (spectrograms.length === 0) throw new ShapeError("stackChannels: no channels");
  const { nFrames, nBins } = spectrograms[0];
  for (const [c, s] of spectrograms.entries()) {
    if (s.nFrames !== nFrames || s.nBins !== nBins) {
      throw new ShapeError(
        `stackChannels: channel ${c} is [${s.nFrames}, ${s.nBins}], channel 0 is [${nFrames}, ${nBins}]`,
      );
    }
  }
  const nFeatures = spectrograms.length * nBins;
  const data = new Float32Array(nFrames * nFeatures);
  for (let c = 0; c < spectrograms.length; c++) {
    const source = spectrograms[c].data;
    for (let t = 0; t < nFrames; t++) {
      data.set(source.subarray(t * nBins, (t + 1) * nBins), t * nFeatures + c * nBins);
    }
  }
  return { data, nFrames, nFeatures };
}
