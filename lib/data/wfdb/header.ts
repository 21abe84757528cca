/**
 * The WFDB header (`.hea`, header(5)): the record line, one line per signal,
 * or — for a multi-segment record — one line per segment.
 *
 * Lenient exactly where WFDB's tools are: text that is not valid UTF-8 is read
 * as Latin-1 (with a warning) instead of refused, and checksums are kept as
 * written, to be compared modulo 2^16 (WFDB stores them as 16-bit values but
 * writers print them signed or unsigned).
 *
 * @module
 */
import { DataFormatError } from "../../errors.ts";
import { defaultAdcResolution, WFDB_FORMATS } from "./formats.ts";
import { FINITE_DECIMAL, parseNumber, SAFE_INTEGER } from "../parse.ts";

/** One signal line of a WFDB header, before the data are read. */
export interface WfdbSignalSpec {
  /** Signal file name, relative to the record's directory ("~": no file, a null signal). */
  fileName: string;
  /** Storage format (see `formats.ts`, `flac.ts`). */
  format: number;
  /** Samples of this signal in each frame (`format x spf`, default 1). */
  samplesPerFrame: number;
  /** Frames by which this signal's samples lag in the file (`format:skew`, default 0). */
  skew: number;
  /** Byte offset of the first sample in the signal file. */
  byteOffset: number;
  /** ADC units per physical unit (WFDB default 200). */
  gain: number;
  /** ADC value of 0 physical units (defaults to `adcZero`). */
  baseline: number;
  units: string;
  adcResolution: number;
  adcZero: number;
  /** First sample value, when the header gives it. */
  initialValue: number | undefined;
  /** Checksum as written (compare modulo 2^16), when the header gives it. */
  checksum: number | undefined;
  name: string;
}

/** One segment line of a multi-segment header. */
export interface WfdbSegmentSpec {
  /** Segment record name; "~" for a gap (no data, all samples invalid). */
  name: string;
  /** Frames in the segment; 0 only for the layout segment of a variable-layout record. */
  nSamples: number;
}

/** A parsed WFDB header. */
export interface WfdbHeader {
  name: string;
  /** Frame rate (Hz). */
  fs: number;
  /** Frames per signal; `undefined` when the header leaves it out. */
  nSamples: number | undefined;
  /** Signals from the record line's count (empty for a multi-segment header). */
  nSignals: number;
  /** Signal lines (single-segment headers). */
  signals: WfdbSignalSpec[];
  /** Segment lines (multi-segment headers), `undefined` for a single-segment record. */
  segments: WfdbSegmentSpec[] | undefined;
  /** What was read leniently (e.g. Latin-1 text), for the caller to report. */
  warnings: string[];
}

const DEFAULT_GAIN = 200;
/** Bounds that keep a damaged header from asking for absurd reads (WFDB's own are INT_MAX). */
const MAX_SPF = 65536;
const MAX_SKEW = 2 ** 24;
const DEFAULT_FS = 250;

/** Parses `text` as a safe integer, or throws naming `file` and `field`. */
export function parseWfdbInteger(file: string, field: string, text: string): number {
  return parseNumber(text, SAFE_INTEGER, file, field);
}

/**
 * Header bytes as text: ASCII or UTF-8 as they are; other bytes above 0x7f
 * are read as Latin-1 (each byte one character, as WFDB's C tools keep them)
 * and a warning says so. Control bytes other than tab, CR and LF are refused.
 *
 * @throws DataFormatError naming the byte
 * @example
 * ```ts
 * decodeWfdbHeaderText(Uint8Array.of(0x61, 0xb0), "r.hea"); // { text: "a°", warnings: [...] }
 * ```
 */
export function decodeWfdbHeaderText(
  bytes: Uint8Array,
  file: string,
): { text: string; warnings: string[] } {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x7f || (b < 32 && b !== 9 && b !== 10 && b !== 13)) {
      throw new DataFormatError(
        file,
        `byte ${i}`,
        "text (no control characters)",
        `0x${b.toString(16).padStart(2, "0")}`,
      );
    }
    if (b > 0x7f) ascii = false;
  }
  if (ascii) return { text: new TextDecoder().decode(bytes), warnings: [] };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), warnings: [] };
  } catch {
    const at = bytes.findIndex((b) => b > 0x7f);
    return {
      text: new TextDecoder("latin1").decode(bytes),
      warnings: [
        `${file}: not valid UTF-8 (byte ${at} is 0x${bytes[at].toString(16)}); read as Latin-1`,
      ],
    };
  }
}

/**
 * Parses the text of a WFDB header (`.hea`). Lines may end in CR LF or LF;
 * `#` lines are comments.
 *
 * Record line: `name[/nseg] nsig [fs[/counterfreq[(base)]] [nsamples [time [date]]]]`;
 * signal line: `file format[xspf][:skew][+offset] [gain[(baseline)][/units] [adcres
 * [adczero [initval [checksum [blocksize [description]]]]]]]`; segment line: `name nsamples`.
 *
 * @param text header contents
 * @param file path used in error messages
 * @param warnings notes from decoding the text, kept in the result
 * @throws DataFormatError for a malformed line or field
 * @example
 * ```ts
 * parseWfdbHeader("r 1 360 2\nr.dat 212 200 11 1024 0 0 0 MLII\n", "r.hea").signals[0].gain; // 200
 * ```
 */
export function parseWfdbHeader(text: string, file: string, warnings: string[] = []): WfdbHeader {
  const lines = text.split(/\r?\n/).map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line !== "" && !line.startsWith("#"));
  if (lines.length === 0) {
    throw new DataFormatError(
      file,
      "record line",
      "a record line `name nsig [fs [nsamples]]`",
      "an empty header",
    );
  }
  const { line, n } = lines[0];
  const at = (field: string) => `line ${n} ${field}`;
  const fields = line.split(/\s+/);
  const [name, segmentText, ...rest] = fields[0].split("/");
  if (name === "" || rest.length > 0) {
    throw new DataFormatError(
      file,
      at("record name"),
      "`name` or `name/segments`",
      JSON.stringify(fields[0]),
    );
  }
  if (fields.length < 2) {
    throw new DataFormatError(
      file,
      at("number of signals"),
      "a count after the record name",
      "nothing",
    );
  }
  const nSignals = parseWfdbInteger(file, at("number of signals"), fields[1]);
  if (nSignals < 1) {
    throw new DataFormatError(file, at("number of signals"), "at least 1", String(nSignals));
  }
  let fs = DEFAULT_FS;
  if (fields.length > 2) {
    // `fs[/counterfreq[(base)]]`: only the sampling frequency is used.
    fs = parseNumber(fields[2].split("/")[0], FINITE_DECIMAL, file, at("sampling frequency"));
    if (fs <= 0) {
      throw new DataFormatError(file, at("sampling frequency"), "a positive number", String(fs));
    }
  }
  let nSamples: number | undefined;
  if (fields.length > 3) {
    nSamples = parseWfdbInteger(file, at("number of samples"), fields[3]);
    if (nSamples < 0) {
      throw new DataFormatError(file, at("number of samples"), "a count ≥ 0", String(nSamples));
    }
    if (nSamples === 0) nSamples = undefined;
  }
  const body = lines.slice(1);
  if (segmentText !== undefined) {
    const segments = parseSegments(file, at("number of segments"), segmentText, body);
    const total = segments.reduce((sum, s) => sum + s.nSamples, 0);
    if (nSamples !== undefined && nSamples !== total) {
      throw new DataFormatError(
        file,
        at("number of samples"),
        `the segments' total ${total}`,
        String(nSamples),
      );
    }
    return { name, fs, nSamples: total, nSignals, signals: [], segments, warnings };
  }
  checkLineCount(file, "signal", nSignals, body.length);
  const signals = body.map((l) => parseSignalLine(file, l.n, l.line));
  return { name, fs, nSamples, nSignals, signals, segments: undefined, warnings };
}

/**
 * The header holds as many signal (or segment) lines as its record line declares.
 *
 * @throws {DataFormatError} naming the field `<kind> lines` otherwise
 */
function checkLineCount(
  file: string,
  kind: "signal" | "segment",
  declared: number,
  found: number,
): void {
  if (found !== declared) {
    throw new DataFormatError(
      file,
      `${kind} lines`,
      `${declared} ${kind} lines (record line declares ${declared})`,
      String(found),
    );
  }
}

function parseSegments(
  file: string,
  field: string,
  countText: string,
  body: { line: string; n: number }[],
): WfdbSegmentSpec[] {
  const count = parseWfdbInteger(file, field, countText);
  if (count < 1) throw new DataFormatError(file, field, "at least 1 segment", String(count));
  checkLineCount(file, "segment", count, body.length);
  return body.map(({ line, n }, i) => {
    const parts = line.split(/\s+/);
    if (parts.length !== 2 || parts[0].includes("/") || parts[0].includes("\\")) {
      throw new DataFormatError(
        file,
        `line ${n} segment`,
        "`segment nsamples`, a record in this directory",
        JSON.stringify(line),
      );
    }
    const nSamples = parseWfdbInteger(file, `line ${n} segment length`, parts[1]);
    // Only the first segment may be empty: it is then the layout header.
    if (nSamples < 0 || (nSamples === 0 && (i > 0 || parts[0] === "~"))) {
      throw new DataFormatError(
        file,
        `line ${n} segment length`,
        "a count ≥ 1 (0 only for a first, layout segment)",
        String(nSamples),
      );
    }
    return { name: parts[0], nSamples };
  });
}

function parseSignalLine(file: string, n: number, line: string): WfdbSignalSpec {
  const at = (field: string) => `line ${n} ${field}`;
  const fields = line.split(/\s+/);
  if (fields.length < 2) {
    throw new DataFormatError(file, at("format"), "`file format` at least", JSON.stringify(line));
  }
  const fileName = fields[0];
  if (fileName === "-" || fileName.includes("/") || fileName.includes("\\")) {
    throw new DataFormatError(
      file,
      at("file name"),
      "a signal file in the record's directory",
      JSON.stringify(fileName),
    );
  }
  const { format, samplesPerFrame, skew, byteOffset } = parseFormat(file, at, fields[1]);
  const { gain, baseline, units } = parseGain(file, at, fields[2]);
  const optionalInteger = (i: number, field: string): number | undefined =>
    fields.length > i ? parseWfdbInteger(file, at(field), fields[i]) : undefined;
  const adcResolution = optionalInteger(3, "ADC resolution") ?? defaultAdcResolution(format);
  const adcZero = optionalInteger(4, "ADC zero") ?? 0;
  const initialValue = optionalInteger(5, "initial value");
  const checksum = optionalInteger(6, "checksum");
  if (fields.length > 7) {
    const blockSize = parseWfdbInteger(file, at("block size"), fields[7]);
    if (blockSize !== 0) {
      throw new DataFormatError(
        file,
        at("block size"),
        "0 (block-structured files are not supported)",
        String(blockSize),
      );
    }
  }
  return {
    fileName,
    format,
    samplesPerFrame,
    skew,
    byteOffset,
    gain,
    baseline: baseline ?? adcZero,
    units,
    adcResolution,
    adcZero,
    initialValue,
    checksum,
    name: fields.slice(8).join(" "),
  };
}

/** `format[xspf][:skew][+offset]`, each part checked. */
function parseFormat(
  file: string,
  at: (field: string) => string,
  text: string,
): { format: number; samplesPerFrame: number; skew: number; byteOffset: number } {
  const match = /^(\d+)(x\d+)?(:\d+)?(\+\d+)?$/.exec(text);
  if (match === null) {
    throw new DataFormatError(
      file,
      at("format"),
      "`format[xsamples][:skew][+offset]`",
      JSON.stringify(text),
    );
  }
  const format = Number(match[1]);
  if (!WFDB_FORMATS.includes(format)) {
    throw new DataFormatError(
      file,
      at("format"),
      `one of ${WFDB_FORMATS.join(", ")}`,
      JSON.stringify(text),
    );
  }
  const samplesPerFrame = match[2] === undefined ? 1 : Number(match[2].slice(1));
  if (samplesPerFrame < 1 || samplesPerFrame > MAX_SPF) {
    throw new DataFormatError(file, at("samples per frame"), `1 to ${MAX_SPF}`, match[2]);
  }
  const skew = match[3] === undefined ? 0 : Number(match[3].slice(1));
  if (skew > MAX_SKEW) {
    throw new DataFormatError(file, at("skew"), `0 to ${MAX_SKEW} frames`, match[3]);
  }
  const byteOffset = match[4] === undefined ? 0 : Number(match[4].slice(1));
  if (!Number.isSafeInteger(byteOffset)) {
    throw new DataFormatError(file, at("byte offset"), "an offset below 2^53", match[4]);
  }
  return { format, samplesPerFrame, skew, byteOffset };
}

function parseGain(
  file: string,
  at: (field: string) => string,
  text: string | undefined,
): { gain: number; baseline: number | undefined; units: string } {
  if (text === undefined) return { gain: DEFAULT_GAIN, baseline: undefined, units: "mV" };
  const match = /^([^(/]+)(\(([^)]*)\))?(\/(.*))?$/.exec(text);
  if (match === null) {
    throw new DataFormatError(file, at("gain"), "`gain[(baseline)][/units]`", JSON.stringify(text));
  }
  let gain = parseNumber(match[1], FINITE_DECIMAL, file, at("gain"));
  if (gain < 0) throw new DataFormatError(file, at("gain"), "a gain ≥ 0", String(gain));
  if (gain === 0) gain = DEFAULT_GAIN;
  const baseline = match[3] === undefined
    ? undefined
    : parseWfdbInteger(file, at("baseline"), match[3]);
  if (match[5] === "") throw new DataFormatError(file, at("units"), "a unit after `/`", "nothing");
  return { gain, baseline, units: match[5] ?? "mV" };
}
