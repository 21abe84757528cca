/**
 * Readers for PhysioNet WFDB records: the `.hea` header, the signal file in
 * formats 212, 16, 61 and 80, and MIT-format annotation files (`.atr`).
 *
 * The formats are small and fully specified (PhysioNet "WFDB Applications
 * Guide", header(5), signal(5), annot(5)); no maintained JavaScript library
 * reads them, so the decoding is written here, with strict checks so that a
 * damaged file fails loudly instead of yielding a wrong array.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { DataFormatError, MissingDataError } from "../errors.ts";

/** One signal of a WFDB record, in physical units. */
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
  /** First sample as written in the header (verified against the data). */
  initialValue: number;
  /** 16-bit signed sum of all samples as written in the header (verified). */
  checksum: number;
  /** Storage format (212, 16, 61 or 80). */
  format: number;
  /** Raw ADC samples, `[nSamples]`. */
  adc: Int16Array;
  /** Physical values `(adc − baseline) / gain`, `[nSamples]`. */
  data: Float32Array;
}

/** A single-segment WFDB record. */
export interface WfdbRecord {
  /** Record name, e.g. "100". */
  name: string;
  /** Sampling frequency per signal (Hz). */
  fs: number;
  /** Samples per signal. */
  nSamples: number;
  /** Signals in header order. */
  signals: WfdbSignal[];
}

/** One signal line of a WFDB header, before the data are read. */
export interface WfdbSignalSpec {
  /** Signal file name, relative to the record's directory. */
  fileName: string;
  format: number;
  /** Byte offset of the first sample in the signal file. */
  byteOffset: number;
  gain: number;
  baseline: number;
  units: string;
  adcResolution: number;
  adcZero: number;
  /** First sample value, when the header gives it. */
  initialValue: number | undefined;
  /** Checksum, when the header gives it. */
  checksum: number | undefined;
  name: string;
}

/** A parsed WFDB header. */
export interface WfdbHeader {
  name: string;
  fs: number;
  /** Samples per signal; `undefined` when the header leaves it out. */
  nSamples: number | undefined;
  signals: WfdbSignalSpec[];
}

const SUPPORTED_FORMATS = new Set([212, 16, 61, 80]);
const DEFAULT_GAIN = 200;
const DEFAULT_FS = 250;

/** Datasets in WFDB format that `deno task data` fetches (lib/data/downloads.json). */
const WFDB_DATASETS = new Set(["mitdb", "afdb"]);

/** Reads a record file, or explains which files are missing and how to get them. */
function readBytes(path: string, expected: string[]): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const dir = dirname(path);
    const dataset = basename(dir);
    const how = WFDB_DATASETS.has(dataset)
      ? `run \`deno task data --only ${dataset}\``
      : "run `deno task data` (datasets listed in lib/data/downloads.json)";
    const where = existsDir(dir) ? `${path} not found` : `data directory ${dir} does not exist`;
    throw new MissingDataError(`${where}; expected ${expected.join(", ")} in ${dir}; ${how}`);
  }
}

function existsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function parseInteger(file: string, field: string, text: string): number {
  const value = Number(text);
  if (!INTEGER.test(text) || !Number.isSafeInteger(value)) {
    throw new DataFormatError(file, field, "an integer", JSON.stringify(text));
  }
  return value;
}

function parseDecimal(file: string, field: string, text: string): number {
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isFinite(value)) {
    throw new DataFormatError(file, field, "a finite decimal number", JSON.stringify(text));
  }
  return value;
}

/**
 * Parses the text of a WFDB header (`.hea`). Lines may end in CR LF or LF;
 * `#` lines are comments.
 *
 * Record line: `name nsig [fs [nsamples [time [date]]]]`; signal line:
 * `file format[+offset] [gain[(baseline)][/units] [adcres [adczero [initval [checksum [blocksize [description]]]]]]]`.
 *
 * @param text header contents
 * @param file path used in error messages
 * @throws DataFormatError for a malformed line or field, or a multi-segment record
 */
export function parseWfdbHeader(text: string, file: string): WfdbHeader {
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
  const record = lines[0];
  const fields = record.line.split(/\s+/);
  const where = (n: number, field: string) => `line ${n} ${field}`;
  const [name, segments] = fields[0].split("/");
  if (segments !== undefined) {
    throw new DataFormatError(
      file,
      where(record.n, "record name"),
      "a single-segment record (multi-segment records are not supported)",
      JSON.stringify(fields[0]),
    );
  }
  if (fields.length < 2) {
    throw new DataFormatError(
      file,
      where(record.n, "number of signals"),
      "a count after the record name",
      "nothing",
    );
  }
  const nSignals = parseInteger(file, where(record.n, "number of signals"), fields[1]);
  if (nSignals < 1) {
    throw new DataFormatError(
      file,
      where(record.n, "number of signals"),
      "at least 1",
      String(nSignals),
    );
  }
  let fs = DEFAULT_FS;
  if (fields.length > 2) {
    // `fs[/counterfreq[(base)]]`: only the sampling frequency is used.
    fs = parseDecimal(file, where(record.n, "sampling frequency"), fields[2].split("/")[0]);
    if (fs <= 0) {
      throw new DataFormatError(
        file,
        where(record.n, "sampling frequency"),
        "a positive number",
        String(fs),
      );
    }
  }
  let nSamples: number | undefined;
  if (fields.length > 3) {
    nSamples = parseInteger(file, where(record.n, "number of samples"), fields[3]);
    if (nSamples < 0) {
      throw new DataFormatError(
        file,
        where(record.n, "number of samples"),
        "a count ≥ 0",
        String(nSamples),
      );
    }
    if (nSamples === 0) nSamples = undefined;
  }
  const signalLines = lines.slice(1);
  if (signalLines.length !== nSignals) {
    throw new DataFormatError(
      file,
      "signal lines",
      `${nSignals} signal lines (record line declares ${nSignals})`,
      String(signalLines.length),
    );
  }
  const signals = signalLines.map(({ line, n }) => parseSignalLine(file, n, line));
  return { name, fs, nSamples, signals };
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
  const formatMatch = /^(\d+)(x\d+)?(:[+-]?\d+)?(\+\d+)?$/.exec(fields[1]);
  if (formatMatch === null) {
    throw new DataFormatError(
      file,
      at("format"),
      "`format[xsamples][:skew][+offset]`",
      JSON.stringify(fields[1]),
    );
  }
  const format = Number(formatMatch[1]);
  if (!SUPPORTED_FORMATS.has(format)) {
    throw new DataFormatError(
      file,
      at("format"),
      "one of 212, 16, 61, 80",
      JSON.stringify(fields[1]),
    );
  }
  if (formatMatch[2] !== undefined && formatMatch[2] !== "x1") {
    throw new DataFormatError(
      file,
      at("samples per frame"),
      "1 (multi-frequency records are not supported)",
      formatMatch[2],
    );
  }
  if (formatMatch[3] !== undefined && Number(formatMatch[3].slice(1)) !== 0) {
    throw new DataFormatError(
      file,
      at("skew"),
      "0 (skewed signals are not supported)",
      formatMatch[3],
    );
  }
  const byteOffset = formatMatch[4] === undefined ? 0 : Number(formatMatch[4].slice(1));

  let gain = DEFAULT_GAIN;
  let baseline: number | undefined;
  let units = "mV";
  if (fields.length > 2) {
    const gainMatch = /^([^(/]+)(\(([^)]*)\))?(\/(.*))?$/.exec(fields[2]);
    if (gainMatch === null) {
      throw new DataFormatError(
        file,
        at("gain"),
        "`gain[(baseline)][/units]`",
        JSON.stringify(fields[2]),
      );
    }
    gain = parseDecimal(file, at("gain"), gainMatch[1]);
    if (gain < 0) throw new DataFormatError(file, at("gain"), "a gain ≥ 0", String(gain));
    if (gain === 0) gain = DEFAULT_GAIN;
    if (gainMatch[3] !== undefined) baseline = parseInteger(file, at("baseline"), gainMatch[3]);
    if (gainMatch[5] !== undefined) {
      if (gainMatch[5] === "") {
        throw new DataFormatError(file, at("units"), "a unit after `/`", "nothing");
      }
      units = gainMatch[5];
    }
  }
  const optionalInteger = (i: number, field: string): number | undefined =>
    fields.length > i ? parseInteger(file, at(field), fields[i]) : undefined;
  const adcResolution = optionalInteger(3, "ADC resolution") ??
    (format === 80 ? 8 : format === 212 ? 12 : 16);
  const adcZero = optionalInteger(4, "ADC zero") ?? 0;
  const initialValue = optionalInteger(5, "initial value");
  const checksum = optionalInteger(6, "checksum");
  if (fields.length > 7) {
    const blockSize = parseInteger(file, at("block size"), fields[7]);
    if (blockSize !== 0) {
      throw new DataFormatError(
        file,
        at("block size"),
        "0 (block-structured files are not supported)",
        String(blockSize),
      );
    }
  }
  const name = fields.slice(8).join(" ");
  if (checksum !== undefined && (checksum < -32768 || checksum > 32767)) {
    throw new DataFormatError(file, at("checksum"), "a 16-bit signed value", String(checksum));
  }
  return {
    fileName,
    format,
    byteOffset,
    gain,
    baseline: baseline ?? adcZero,
    units,
    adcResolution,
    adcZero,
    initialValue,
    checksum,
    name,
  };
}

/** Samples held by `bytes` bytes of `format` (212: three bytes per pair, two for a lone last one). */
function samplesHeld(format: number, bytes: number): number {
  if (format === 212) return Math.floor(bytes / 3) * 2 + (bytes % 3 === 0 ? 0 : 1);
  if (format === 80) return bytes;
  return Math.floor(bytes / 2);
}

/** Bytes taken by `n` samples of `format`. */
function byteLength(format: number, n: number): number {
  if (format === 212) return Math.floor(n / 2) * 3 + (n % 2) * 2;
  if (format === 80) return n;
  return 2 * n;
}

/**
 * Decodes `bytes` as `n` interleaved samples in `format`.
 *
 * Format 212 packs two 12-bit two's-complement samples into three bytes:
 * `s0 = b0 | (b1 & 0x0f) << 8`, `s1 = b2 | (b1 & 0xf0) << 4`.
 * Format 16 is little-endian int16, 61 big-endian int16, 80 offset-binary bytes (`b − 128`).
 */
export function decodeWfdbSamples(bytes: Uint8Array, format: number, n: number): Int16Array {
  const out = new Int16Array(n);
  if (format === 212) {
    for (let i = 0, b = 0; i < n; i += 2, b += 3) {
      const b0 = bytes[b], b1 = bytes[b + 1];
      const s0 = b0 | ((b1 & 0x0f) << 8);
      out[i] = s0 > 2047 ? s0 - 4096 : s0;
      if (i + 1 < n) {
        const s1 = bytes[b + 2] | ((b1 & 0xf0) << 4);
        out[i + 1] = s1 > 2047 ? s1 - 4096 : s1;
      }
    }
  } else if (format === 16 || format === 61) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const little = format === 16;
    for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, little);
  } else if (format === 80) {
    for (let i = 0; i < n; i++) out[i] = bytes[i] - 128;
  } else {
    throw new RangeError(`unsupported WFDB format ${format}`);
  }
  return out;
}

/** 16-bit signed sum of `samples` (the WFDB header checksum). */
export function wfdbChecksum(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum = (sum + samples[i]) & 0xffff;
  return sum > 32767 ? sum - 65536 : sum;
}

/**
 * Reads a single-segment WFDB record `dir/record.hea` and its signal files.
 *
 * Physical value of sample `t` of signal `s`: `data[t] = (adc[t] − baseline) / gain`;
 * each `data` is `[nSamples]`. The header's checksum (16-bit sum of all
 * samples) and initial value are verified against the decoded samples.
 *
 * @throws MissingDataError when the header or a signal file is absent
 * @throws DataFormatError when a file is malformed, too short or too long, or fails its checksum
 */
export function readWfdbRecord(dir: string, record: string): WfdbRecord {
  const headerPath = join(dir, `${record}.hea`);
  const headerBytes = readBytes(headerPath, [`${record}.hea`, `${record}.dat`]);
  const header = parseWfdbHeader(decodeAscii(headerBytes, headerPath), headerPath);
  if (header.name !== record) {
    throw new DataFormatError(
      headerPath,
      "record line name",
      JSON.stringify(record),
      JSON.stringify(header.name),
    );
  }
  // Signals sharing a file are interleaved frame by frame in header order.
  const groups = new Map<string, number[]>();
  header.signals.forEach((spec, i) => {
    const group = groups.get(spec.fileName) ?? [];
    group.push(i);
    groups.set(spec.fileName, group);
  });
  const adc: Int16Array[] = new Array(header.signals.length);
  let nSamples = header.nSamples;
  for (const [fileName, members] of groups) {
    const path = join(dir, fileName);
    const first = header.signals[members[0]];
    for (const i of members) {
      const spec = header.signals[i];
      if (spec.format !== first.format || spec.byteOffset !== first.byteOffset) {
        throw new DataFormatError(
          headerPath,
          `signal ${i} format`,
          `the same format and offset as the other signals in ${fileName}`,
          String(spec.format),
        );
      }
    }
    const raw = readBytes(path, [fileName]);
    if (raw.length < first.byteOffset) {
      throw new DataFormatError(
        path,
        "byte length",
        `at least the header's byte offset ${first.byteOffset}`,
        String(raw.length),
      );
    }
    const bytes = raw.subarray(first.byteOffset);
    const width = members.length;
    if (nSamples === undefined) {
      // Without a sample count in the header, the file length must hold whole frames.
      const held = samplesHeld(first.format, bytes.length);
      if (held % width !== 0) {
        throw new DataFormatError(
          path,
          "byte length",
          `whole frames of ${width} samples in format ${first.format}`,
          String(bytes.length),
        );
      }
      nSamples = held / width;
    }
    const total = nSamples * width;
    const expected = byteLength(first.format, total);
    const padded = first.format === 212 && total % 2 === 1 ? expected + 1 : expected;
    if (bytes.length !== expected && bytes.length !== padded) {
      throw new DataFormatError(
        path,
        "byte length",
        `${expected} bytes for ${nSamples} samples × ${width} signals in format ${first.format}`,
        `${bytes.length}`,
      );
    }
    const interleaved = decodeWfdbSamples(bytes, first.format, total);
    members.forEach((signalIndex, k) => {
      const own = new Int16Array(nSamples!);
      for (let t = 0; t < nSamples!; t++) own[t] = interleaved[t * width + k];
      adc[signalIndex] = own;
    });
  }
  const n = nSamples ?? 0;
  const signals = header.signals.map((spec, i): WfdbSignal => {
    const samples = adc[i];
    const label = `signal ${i} (${spec.name || spec.fileName})`;
    if (spec.checksum !== undefined) {
      const found = wfdbChecksum(samples);
      if (found !== spec.checksum) {
        throw new DataFormatError(
          join(dir, spec.fileName),
          `${label} checksum`,
          `${spec.checksum} (from ${record}.hea)`,
          String(found),
        );
      }
    }
    if (spec.initialValue !== undefined && n > 0 && samples[0] !== spec.initialValue) {
      throw new DataFormatError(
        join(dir, spec.fileName),
        `${label} initial value`,
        `${spec.initialValue} (from ${record}.hea)`,
        String(samples[0]),
      );
    }
    const data = new Float32Array(n);
    for (let t = 0; t < n; t++) data[t] = (samples[t] - spec.baseline) / spec.gain;
    return {
      name: spec.name,
      units: spec.units,
      gain: spec.gain,
      baseline: spec.baseline,
      adcZero: spec.adcZero,
      initialValue: spec.initialValue ?? (n > 0 ? samples[0] : spec.adcZero),
      checksum: spec.checksum ?? wfdbChecksum(samples),
      format: spec.format,
      adc: samples,
      data,
    };
  });
  return { name: header.name, fs: header.fs, nSamples: n, signals };
}

function decodeAscii(bytes: Uint8Array, file: string): string {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b > 126 || (b < 32 && b !== 9 && b !== 10 && b !== 13)) {
      throw new DataFormatError(
        file,
        `byte ${i}`,
        "printable ASCII text",
        `0x${b.toString(16).padStart(2, "0")}`,
      );
    }
  }
  return new TextDecoder().decode(bytes);
}

// ---------------------------------------------------------------------------
// Annotations

/** Decoded MIT-format annotations, one entry per annotation. */
export interface WfdbAnnotations {
  /** Sample index of each annotation. */
  sample: Int32Array;
  /** Annotation code (1–49; see `annotationSymbol`). */
  code: Uint8Array;
  /** Mnemonic of each code, e.g. "N", "V", "+". */
  symbol: string[];
  /** Auxiliary text (rhythm notes such as "(AFIB"), "" when absent. */
  aux: string[];
  /** Annotation subtype (SUB field, 0 when absent). */
  subtype: Int8Array;
  /** Signal number (CHN field; persists until changed). */
  chan: Uint8Array;
  /** Annotator number (NUM field; persists until changed). */
  num: Int8Array;
}

/** Mnemonics of the WFDB annotation codes 0–41 (ecgcodes.h); others print as `[code]`. */
const SYMBOLS: readonly string[] = [
  " ",
  "N",
  "L",
  "R",
  "a",
  "V",
  "F",
  "J",
  "A",
  "S",
  "E",
  "j",
  "/",
  "Q",
  "~",
  "[15]",
  "|",
  "[17]",
  "s",
  "T",
  "*",
  "D",
  '"',
  "=",
  "p",
  "B",
  "^",
  "t",
  "+",
  "u",
  "?",
  "!",
  "[",
  "]",
  "e",
  "n",
  "@",
  "x",
  "f",
  "(",
  ")",
  "r",
];

/** The mnemonic of an annotation code, e.g. `annotationSymbol(1) === "N"`. */
export function annotationSymbol(code: number): string {
  return SYMBOLS[code] ?? `[${code}]`;
}

const SKIP = 59, NUM = 60, SUB = 61, CHN = 62, AUX = 63;

/**
 * Decodes an MIT-format annotation file from its bytes.
 *
 * Each 16-bit little-endian word holds a code `A = word >> 10` and a value
 * `I = word & 0x3ff`. `A ∈ 1..49`: new annotation `I` samples after the previous;
 * SKIP (59): the next 4 bytes (PDP-11 order) are a 32-bit time increment;
 * NUM/SUB/CHN (60/61/62): set the field from `I`; AUX (63): `I` bytes of text
 * follow, padded to even length; `A = 0, I = 0`: end of file.
 *
 * @param bytes file contents
 * @param file path used in error messages
 * @throws DataFormatError on a truncated or malformed file
 */
export function decodeWfdbAnnotations(bytes: Uint8Array, file: string): WfdbAnnotations {
  if (bytes.length % 2 !== 0) {
    throw new DataFormatError(
      file,
      "byte length",
      "an even number of bytes (16-bit words)",
      String(bytes.length),
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sample: number[] = [], code: number[] = [], aux: string[] = [];
  const subtype: number[] = [], chan: number[] = [], num: number[] = [];
  let time = 0, currentChan = 0, currentNum = 0;
  let pos = 0;
  let ended = false;
  const latin1 = new TextDecoder("latin1");
  const needCurrent = (field: string) => {
    if (code.length === 0) {
      throw new DataFormatError(
        file,
        `byte ${pos} ${field}`,
        "a preceding annotation to modify",
        "none",
      );
    }
  };
  while (pos < bytes.length) {
    const word = view.getUint16(pos, true);
    const a = word >> 10, value = word & 0x3ff;
    const at = pos;
    pos += 2;
    if (a === 0 && value === 0) {
      ended = true;
      break;
    }
    if (a === SKIP) {
      if (pos + 4 > bytes.length) {
        throw new DataFormatError(
          file,
          `byte ${at} SKIP`,
          "4 bytes of skip interval",
          `${bytes.length - pos}`,
        );
      }
      const skip = (view.getInt16(pos, true) * 65536) + view.getUint16(pos + 2, true);
      time += skip;
      pos += 4;
      if (time < 0) {
        throw new DataFormatError(
          file,
          `byte ${at} SKIP`,
          "a time ≥ 0 after the skip",
          String(time),
        );
      }
    } else if (a === NUM) {
      // NUM and CHN follow the annotation they modify and persist until changed.
      currentNum = value > 127 ? value - 256 : value;
      if (num.length > 0) num[num.length - 1] = currentNum;
    } else if (a === SUB) {
      needCurrent("SUB");
      subtype[subtype.length - 1] = value > 127 ? value - 256 : value;
    } else if (a === CHN) {
      currentChan = value & 0xff;
      if (chan.length > 0) chan[chan.length - 1] = currentChan;
    } else if (a === AUX) {
      needCurrent("AUX");
      const end = pos + value;
      if (end > bytes.length) {
        throw new DataFormatError(
          file,
          `byte ${at} AUX`,
          `${value} bytes of aux text`,
          `${bytes.length - pos}`,
        );
      }
      aux[aux.length - 1] = latin1.decode(bytes.subarray(pos, end)).replace(/\0+$/, "");
      pos = end + (value % 2);
    } else if (a >= 1 && a <= 49) {
      time += value;
      sample.push(time);
      code.push(a);
      aux.push("");
      subtype.push(0);
      chan.push(currentChan);
      num.push(currentNum);
    } else {
      throw new DataFormatError(
        file,
        `byte ${at} annotation code`,
        "a code in 1–49 or 59–63",
        String(a),
      );
    }
    if (time > 0x7fffffff) {
      throw new DataFormatError(file, `byte ${at} time`, "a sample index < 2^31", String(time));
    }
  }
  if (!ended) {
    throw new DataFormatError(
      file,
      `byte ${bytes.length}`,
      "an end-of-file word (0x0000)",
      "end of data",
    );
  }
  if (pos < bytes.length) {
    throw new DataFormatError(
      file,
      `byte ${pos}`,
      "nothing after the end-of-file word",
      `${bytes.length - pos} more bytes`,
    );
  }
  return {
    sample: Int32Array.from(sample),
    code: Uint8Array.from(code),
    symbol: code.map(annotationSymbol),
    aux,
    subtype: Int8Array.from(subtype),
    chan: Uint8Array.from(chan),
    num: Int8Array.from(num),
  };
}

/**
 * Reads the MIT-format annotation file `dir/record.ext` (default `.atr`).
 *
 * @throws MissingDataError when the file is absent
 * @throws DataFormatError when it is malformed (see `decodeWfdbAnnotations`)
 */
export function readWfdbAnnotations(dir: string, record: string, ext = "atr"): WfdbAnnotations {
  const path = join(dir, `${record}.${ext}`);
  return decodeWfdbAnnotations(readBytes(path, [`${record}.${ext}`]), path);
}

/** A stretch of samples `[start, end)` under one rhythm. */
export interface RhythmInterval {
  /** First sample of the rhythm. */
  start: number;
  /** One past the last sample (the next rhythm note, or the record's end). */
  end: number;
  /** Rhythm name without the leading "(", e.g. "N", "AFIB", "AFL", "J". */
  rhythm: string;
}

/**
 * Rhythm intervals from the aux notes beginning with "(": each rhythm holds
 * from its note's sample until the next rhythm note, the last one until
 * `nSamples`. Samples before the first note belong to no interval.
 *
 * @param annotations decoded annotations (samples ascending)
 * @param nSamples the record's length in samples
 * @throws DataFormatError when a rhythm note lies outside `[0, nSamples)` or notes are out of order
 */
export function rhythmIntervals(annotations: WfdbAnnotations, nSamples: number): RhythmInterval[] {
  const notes: { start: number; rhythm: string }[] = [];
  for (let i = 0; i < annotations.aux.length; i++) {
    const text = annotations.aux[i];
    if (!text.startsWith("(")) continue;
    const start = annotations.sample[i];
    if (start < 0 || start >= nSamples) {
      throw new DataFormatError(
        "annotations",
        `annotation ${i} sample`,
        `a sample in [0, ${nSamples})`,
        String(start),
      );
    }
    if (notes.length > 0 && start < notes[notes.length - 1].start) {
      throw new DataFormatError(
        "annotations",
        `annotation ${i} sample`,
        "rhythm notes in time order",
        String(start),
      );
    }
    notes.push({ start, rhythm: text.slice(1) });
  }
  return notes.map(({ start, rhythm }, k) => ({
    start,
    end: k + 1 < notes.length ? notes[k + 1].start : nSamples,
    rhythm,
  }));
}
