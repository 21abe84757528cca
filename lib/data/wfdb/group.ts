/**
 * One signal file of a WFDB record: the signals stored in it (a "group"),
 * interleaved frame by frame. A frame holds `spf` consecutive samples of each
 * signal in header order, so a group's frame has `Σ spf` samples.
 *
 * @module
 */
import { DataFormatError } from "../../errors.ts";
import { decodeWfdbFlac } from "./flac.ts";
import {
  decodeWfdbSamples,
  WFDB_FLAC_BITS,
  wfdbAcceptedLengths,
  wfdbByteLength,
  wfdbSamplesHeld,
} from "./formats.ts";
import type { WfdbSignalSpec } from "./header.ts";

/** The stored samples of each signal of a group, before skew is applied. */
export interface WfdbGroupSamples {
  /** Per signal: stored values (format 8: accumulated), `[storedFrames · spf]`. */
  stored: Int32Array[];
  /** Frames in the file. */
  storedFrames: number;
}

/**
 * Decodes a group's signal file. With `nFrames` (the header's length) the file
 * must hold `nFrames` frames, or up to `nFrames + maxSkew` when a signal of the
 * record is skewed (WFDB reads that far ahead; what a file lacks of it is
 * read as invalid samples); without a length, whole frames.
 *
 * @param bytes the file from the group's byte offset on
 * @param path the file, for error messages
 * @param specs the group's signal lines, in header order
 * @param nFrames frames the header declares, if any
 * @param maxSkew the largest skew of the record's signals
 * @throws DataFormatError when the length does not fit, or a FLAC stream is bad
 */
export function decodeWfdbGroup(
  bytes: Uint8Array,
  path: string,
  specs: WfdbSignalSpec[],
  nFrames: number | undefined,
  maxSkew: number,
): WfdbGroupSamples {
  const format = specs[0].format;
  const frameSize = specs.reduce((sum, s) => sum + s.samplesPerFrame, 0);
  let samples: Int32Array[];
  let storedFrames: number;
  if (WFDB_FLAC_BITS[format] !== undefined) {
    samples = decodeWfdbFlac(bytes, path, frameSize, WFDB_FLAC_BITS[format]);
    storedFrames = samples[0].length;
    if (nFrames !== undefined && (storedFrames < nFrames || storedFrames > nFrames + maxSkew)) {
      throw new DataFormatError(
        path,
        "FLAC frames",
        framesExpected(nFrames, maxSkew),
        String(storedFrames),
      );
    }
  } else {
    storedFrames = nFrames === undefined
      ? wholeFrames(bytes.length, path, format, frameSize)
      : framesHeld(bytes.length, path, format, frameSize, nFrames, maxSkew);
    const total = storedFrames * frameSize;
    const interleaved = decodeWfdbSamples(bytes, format, total);
    samples = Array.from({ length: frameSize }, (_, c) => {
      const channel = new Int32Array(storedFrames);
      for (let f = 0; f < storedFrames; f++) channel[f] = interleaved[f * frameSize + c];
      return channel;
    });
  }
  let channel = 0;
  const stored = specs.map((spec) => {
    const out = new Int32Array(storedFrames * spec.samplesPerFrame);
    for (let j = 0; j < spec.samplesPerFrame; j++, channel++) {
      const source = samples[channel];
      for (let f = 0; f < storedFrames; f++) out[f * spec.samplesPerFrame + j] = source[f];
    }
    if (format === 8) undifference(out, spec.initialValue ?? spec.adcZero);
    return out;
  });
  return { stored, storedFrames };
}

/** Format 8 stores first differences: `x[i] = initial + Σ_{k ≤ i} d[k]`. */
function undifference(values: Int32Array, initial: number): void {
  let sample = initial;
  for (let i = 0; i < values.length; i++) {
    sample += values[i];
    values[i] = sample;
  }
}

const framesExpected = (n: number, maxSkew: number): string =>
  maxSkew === 0 ? `${n} frames` : `${n} to ${n + maxSkew} frames (header length + skew)`;

/** Frames in a file of `length` bytes that must hold `nFrames` to `nFrames + maxSkew` frames. */
function framesHeld(
  length: number,
  path: string,
  format: number,
  frameSize: number,
  nFrames: number,
  maxSkew: number,
): number {
  // Byte lengths grow with the frame count: only the frames the length holds can fit.
  const held = Math.floor(wfdbSamplesHeld(format, length) / frameSize);
  for (const k of [held, held - 1]) {
    const fits = k >= nFrames && k <= nFrames + maxSkew;
    if (fits && wfdbAcceptedLengths(format, k * frameSize).includes(length)) return k;
  }
  const bytes = wfdbByteLength(format, nFrames * frameSize);
  throw new DataFormatError(
    path,
    "byte length",
    `${bytes} bytes for ${
      framesExpected(nFrames, maxSkew)
    } of ${frameSize} samples in format ${format}`,
    String(length),
  );
}

function wholeFrames(length: number, path: string, format: number, frameSize: number): number {
  const frames = Math.floor(wfdbSamplesHeld(format, length) / frameSize);
  if (!wfdbAcceptedLengths(format, frames * frameSize).includes(length)) {
    throw new DataFormatError(
      path,
      "byte length",
      `whole frames of ${frameSize} samples in format ${format} (${
        wfdbByteLength(format, frames * frameSize)
      } bytes for ${frames})`,
      String(length),
    );
  }
  return frames;
}
