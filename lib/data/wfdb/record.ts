/**
 * Reading a single-segment WFDB record: header, signal files, digital and
 * physical samples, with the header's checksums and initial values verified.
 *
 * Samples per frame > 1 (multi-frequency records): each signal is returned
 * at its own rate, `nSamples · samplesPerFrame` samples at `fs · samplesPerFrame`
 * Hz — WFDB's high-resolution mode (`rdsamp -H`) without the repetition of
 * the slower signals. Skew `s`: output sample `t` is the file's frame `t + s`.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError } from "../../errors.ts";
import { wfdbFlacDecoderLoaded } from "./flac.ts";
import { WFDB_FLAC_BITS, WFDB_INVALID_SAMPLE, wfdbInvalidValue } from "./formats.ts";
import { decodeWfdbGroup } from "./group.ts";
import {
  decodeWfdbHeaderText,
  parseWfdbHeader,
  type WfdbHeader,
  type WfdbSignalSpec,
} from "./header.ts";
import { readRecordFile } from "./files.ts";

/** One signal of a WFDB record. */
export interface WfdbSignal {
  /** Signal description from the header, e.g. "MLII". */
  name: string;
  /** Physical units, e.g. "mV" (WFDB default "mV"). */
  units: string;
  /** ADC units per physical unit (WFDB default 200). */
  gain: number;
  /** ADC value of 0 physical units (defaults to `adcZero`). */
  baseline: number;
  /** ADC value at the middle of the converter's range. */
  adcZero: number;
  /** First stored sample (as written in the header, verified against the data). */
  initialValue: number;
  /** 16-bit signed sum of the samples (the header's, verified modulo 2^16). */
  checksum: number;
  /** Storage format. */
  format: number;
  /** Samples of this signal per frame (1 unless a multi-frequency record). */
  samplesPerFrame: number;
  /** This signal's sampling frequency, `record fs · samplesPerFrame` (Hz). */
  fs: number;
  /** Digital samples, `[nSamples · samplesPerFrame]`; invalid ones are `WFDB_INVALID_SAMPLE`. */
  adc: Int32Array;
  /** Physical values `(adc − baseline) / gain`, NaN where invalid; `[nSamples · samplesPerFrame]`. */
  data: Float32Array;
}

/** A WFDB record (single- or multi-segment). */
export interface WfdbRecord {
  /** Record name, e.g. "100". */
  name: string;
  /** Frame rate (Hz); the sampling frequency of signals with one sample per frame. */
  fs: number;
  /** Frames per signal. */
  nSamples: number;
  /** Signals in header order. */
  signals: WfdbSignal[];
  /** What was read leniently (e.g. a Latin-1 header). */
  warnings: string[];
}

/** Most samples per signal a record may have: a header cannot make the readers allocate more. */
export const WFDB_MAX_SAMPLES = 2 ** 28;

/** Refuses a signal of more than `WFDB_MAX_SAMPLES` samples (a damaged length), naming `field`. */
export function checkWfdbLength(file: string, field: string, frames: number, spf: number): void {
  if (frames * spf > WFDB_MAX_SAMPLES) {
    throw new DataFormatError(
      file,
      field,
      `at most ${WFDB_MAX_SAMPLES} samples per signal`,
      `${frames} frames × ${spf}`,
    );
  }
}

/** 16-bit signed sum of `samples` (the WFDB header checksum). */
export function wfdbChecksum(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum = (sum + samples[i]) & 0xffff;
  return sum > 32767 ? sum - 65536 : sum;
}

/** Reads and parses `dir/record.hea`, checking the record line's name. */
export function readWfdbHeader(dir: string, record: string): { header: WfdbHeader; path: string } {
  const path = join(dir, `${record}.hea`);
  const bytes = readRecordFile(path, [`${record}.hea`, `${record}.dat`]);
  const { text, warnings } = decodeWfdbHeaderText(bytes, path);
  const header = parseWfdbHeader(text, path, warnings);
  if (header.name !== record) {
    throw new DataFormatError(
      path,
      "record line name",
      JSON.stringify(record),
      JSON.stringify(header.name),
    );
  }
  return { header, path };
}

/**
 * Reads the signals of a single-segment header: each signal file once,
 * signals sharing a file interleaved frame by frame in header order.
 * Checksums are verified, as WFDB does, when the header gives the length and
 * the record is not a segment of a multi-segment record.
 *
 * @throws DataFormatError / MissingDataError as `readWfdbRecord`
 */
export function readWfdbSignals(
  dir: string,
  header: WfdbHeader,
  headerPath: string,
  { inMultiSegment = false }: { inMultiSegment?: boolean } = {},
): WfdbRecord {
  const groups = new Map<string, number[]>();
  header.signals.forEach((spec, i) => {
    if (isNull(spec)) return;
    groups.set(spec.fileName, [...(groups.get(spec.fileName) ?? []), i]);
  });
  const stored: (Int32Array | undefined)[] = new Array(header.signals.length);
  let nFrames = header.nSamples;
  const warnings = [...header.warnings];
  const verify = header.nSamples !== undefined && !inMultiSegment;
  const maxSkew = Math.max(0, ...header.signals.filter((s) => !isNull(s)).map((s) => s.skew));
  for (const [fileName, members] of groups) {
    const specs = members.map((i) => header.signals[i]);
    checkGroup(headerPath, fileName, specs, members);
    const path = join(dir, fileName);
    const raw = readRecordFile(path, [fileName]);
    if (raw.length < specs[0].byteOffset) {
      throw new DataFormatError(
        path,
        "byte length",
        `at least the header's byte offset ${specs[0].byteOffset}`,
        String(raw.length),
      );
    }
    const group = decodeWfdbGroup(raw.subarray(specs[0].byteOffset), path, specs, nFrames, maxSkew);
    members.forEach((signal, k) => stored[signal] = group.stored[k]);
    if (nFrames !== undefined && group.storedFrames < nFrames + maxSkew) {
      warnings.push(
        `${path}: ${group.storedFrames} frames for ${nFrames} + skew ${maxSkew}; skewed samples past the end are invalid`,
      );
    }
    // Without a length in the header, the first file sets it (skewed tails are not frames).
    nFrames ??= Math.max(0, group.storedFrames - maxSkew);
  }
  if (nFrames === undefined) {
    throw new DataFormatError(
      headerPath,
      "record line number of samples",
      "a length for a record of null signals only",
      "none",
    );
  }
  const n = nFrames;
  const signals = header.signals.map((spec, i) => {
    const samples = stored[i];
    const label = `signal ${i} (${spec.name || spec.fileName})`;
    return samples === undefined
      ? nullSignal(spec, header.fs, n, headerPath)
      : toSignal(spec, samples, n, header.fs, { path: join(dir, spec.fileName), label, verify });
  });
  return { name: header.name, fs: header.fs, nSamples: n, signals, warnings };
}

/** A null signal (file "~" or format 0) has no stored samples. */
const isNull = (spec: WfdbSignalSpec): boolean => spec.fileName === "~" || spec.format === 0;

function checkGroup(
  headerPath: string,
  fileName: string,
  specs: WfdbSignalSpec[],
  members: number[],
): void {
  specs.forEach((spec, k) => {
    if (spec.format !== specs[0].format || spec.byteOffset !== specs[0].byteOffset) {
      throw new DataFormatError(
        headerPath,
        `signal ${members[k]} format`,
        `the same format and offset as the other signals in ${fileName}`,
        String(spec.format),
      );
    }
  });
  if (WFDB_FLAC_BITS[specs[0].format] !== undefined && !wfdbFlacDecoderLoaded()) {
    throw new DataFormatError(
      headerPath,
      `signal ${members[0]} format`,
      "a format read synchronously; FLAC (508/516/524) needs `await loadWfdbFlacDecoder()` first, or readWfdbRecordAsync",
      String(specs[0].format),
    );
  }
}

/** Applies skew, verifies checksum and initial value, and scales to physical units. */
function toSignal(
  spec: WfdbSignalSpec,
  stored: Int32Array,
  nFrames: number,
  fs: number,
  { path, label, verify }: { path: string; label: string; verify: boolean },
): WfdbSignal {
  const spf = spec.samplesPerFrame;
  const n = nFrames * spf;
  if (spec.checksum !== undefined && verify) {
    // WFDB checks the sum of the first nFrames stored frames, modulo 2^16.
    const found = wfdbChecksum(stored.subarray(0, n));
    if (((found - spec.checksum) & 0xffff) !== 0) {
      throw new DataFormatError(
        path,
        `${label} checksum`,
        `${spec.checksum} modulo 2^16 (from the header)`,
        String(found),
      );
    }
  }
  // Format 8 stores differences from the initial value, which is not itself a sample.
  if (
    spec.initialValue !== undefined && spec.format !== 8 && n > 0 && stored[0] !== spec.initialValue
  ) {
    throw new DataFormatError(
      path,
      `${label} initial value`,
      `${spec.initialValue} (from the header)`,
      String(stored[0]),
    );
  }
  const invalid = wfdbInvalidValue(spec.format);
  const adc = new Int32Array(n);
  const data = new Float32Array(n);
  const shift = spec.skew * spf;
  for (let i = 0; i < n; i++) {
    // Past the end of a skewed signal's file, a sample is missing: invalid.
    const v = i + shift < stored.length ? stored[i + shift] : invalid;
    if (v === invalid || v === undefined) {
      adc[i] = WFDB_INVALID_SAMPLE;
      data[i] = NaN;
    } else {
      adc[i] = v;
      data[i] = (v - spec.baseline) / spec.gain;
    }
  }
  return {
    ...describe(spec, fs),
    initialValue: spec.initialValue ?? (n > 0 ? stored[0] : spec.adcZero),
    checksum: spec.checksum === undefined
      ? wfdbChecksum(stored.subarray(0, n))
      : signed16(spec.checksum),
    adc,
    data,
  };
}

/** A signal with no stored data: every sample invalid. */
function nullSignal(spec: WfdbSignalSpec, fs: number, nFrames: number, file: string): WfdbSignal {
  checkWfdbLength(file, "record line number of samples", nFrames, spec.samplesPerFrame);
  const n = nFrames * spec.samplesPerFrame;
  return {
    ...describe(spec, fs),
    initialValue: spec.initialValue ?? spec.adcZero,
    checksum: 0,
    adc: new Int32Array(n).fill(WFDB_INVALID_SAMPLE),
    data: new Float32Array(n).fill(NaN),
  };
}

function describe(spec: WfdbSignalSpec, fs: number) {
  return {
    name: spec.name,
    units: spec.units,
    gain: spec.gain,
    baseline: spec.baseline,
    adcZero: spec.adcZero,
    format: spec.format,
    samplesPerFrame: spec.samplesPerFrame,
    fs: fs * spec.samplesPerFrame,
  };
}

const signed16 = (v: number): number => {
  const low = ((v % 65536) + 65536) % 65536;
  return low > 32767 ? low - 65536 : low;
};
