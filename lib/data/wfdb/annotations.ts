/**
 * MIT-format annotation files (annot(5)) and the rhythm intervals their aux
 * notes define. Written by hand: the format is a few 16-bit words, and no npm
 * package reads it.
 *
 * Lenient where WFDB is: a SKIP interval is a signed 32-bit value, so it may
 * move the time backwards (as the custom annotation-type definitions that
 * some writers put at the start of a file do), and times may exceed 2^31
 * (they are kept as numbers, exact up to 2^53).
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError } from "../../errors.ts";
import { readRecordFile } from "./files.ts";

/** Decoded MIT-format annotations, one entry per annotation. */
export interface WfdbAnnotations {
  /** Sample index of each annotation (integers of magnitude ≤ 2^53). */
  sample: Float64Array;
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

/** Annotations decoded so far, and the state the next word applies to. */
interface Decoding {
  bytes: Uint8Array;
  view: DataView;
  file: string;
  /** Next byte to read. */
  pos: number;
  /** Time of the last annotation (or SKIP). */
  time: number;
  /** CHN and NUM persist until changed. */
  chan: number;
  num: number;
  out: {
    sample: number[];
    code: number[];
    aux: string[];
    subtype: number[];
    chan: number[];
    num: number[];
  };
}

/**
 * Decodes an MIT-format annotation file from its bytes, as WFDB's `getann`.
 *
 * Each 16-bit little-endian word holds a code `A = word >> 10` and a value
 * `I = word & 0x3ff`. `A ∈ 0..49` (not both 0): an annotation `I` samples after
 * the previous one (`A = 0` is WFDB's NOTQRS, written for null annotations);
 * SKIP (59): the next 4 bytes are a signed 32-bit time increment in PDP-11
 * order (high 16-bit word first); NUM/SUB/CHN (60/61/62): set the field from
 * `I`; AUX (63): `I` bytes of text follow, padded to even length; `0x0000`:
 * end of file.
 *
 * @param bytes file contents
 * @param file path used in error messages
 * @throws DataFormatError on a truncated or malformed file
 * @example
 * ```ts
 * decodeWfdbAnnotations(Uint8Array.of(0x0a, 0x04, 0, 0), "x.atr").sample; // Float64Array [10]
 * ```
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
  const d: Decoding = {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    file,
    pos: 0,
    time: 0,
    chan: 0,
    num: 0,
    out: { sample: [], code: [], aux: [], subtype: [], chan: [], num: [] },
  };
  let ended = false;
  while (d.pos < bytes.length && !ended) {
    const at = d.pos;
    const word = d.view.getUint16(at, true);
    d.pos += 2;
    const a = word >> 10, value = word & 0x3ff;
    if (word === 0) ended = true;
    else if (a >= SKIP) modify(d, a, value, at);
    else if (a <= 49) annotate(d, a, value);
    else {
      throw new DataFormatError(
        file,
        `byte ${at} annotation code`,
        "a code in 0–49 or 59–63",
        String(a),
      );
    }
    if (!Number.isSafeInteger(d.time)) {
      throw new DataFormatError(
        file,
        `byte ${at} time`,
        "a sample index of magnitude ≤ 2^53",
        String(d.time),
      );
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
  if (d.pos < bytes.length) {
    throw new DataFormatError(
      file,
      `byte ${d.pos}`,
      "nothing after the end-of-file word",
      `${bytes.length - d.pos} more bytes`,
    );
  }
  const { out } = d;
  return {
    sample: Float64Array.from(out.sample),
    code: Uint8Array.from(out.code),
    symbol: out.code.map(annotationSymbol),
    aux: out.aux,
    subtype: Int8Array.from(out.subtype),
    chan: Uint8Array.from(out.chan),
    num: Int8Array.from(out.num),
  };
}

/** A new annotation `interval` samples after the previous one. */
function annotate(d: Decoding, code: number, interval: number): void {
  d.time += interval;
  d.out.sample.push(d.time);
  d.out.code.push(code);
  d.out.aux.push("");
  d.out.subtype.push(0);
  d.out.chan.push(d.chan);
  d.out.num.push(d.num);
}

const signed8 = (value: number): number =>
  (value & 0xff) > 127 ? (value & 0xff) - 256 : value & 0xff;

/** A pseudo-annotation word (SKIP, NUM, SUB, CHN, AUX) at byte `at`. */
function modify(d: Decoding, a: number, value: number, at: number): void {
  const { out, file, bytes } = d;
  const last = out.code.length - 1;
  if ((a === SUB || a === AUX) && last < 0) {
    throw new DataFormatError(
      file,
      `byte ${at} ${a === SUB ? "SUB" : "AUX"}`,
      "a preceding annotation to modify",
      "none",
    );
  }
  if (a === SKIP) {
    if (d.pos + 4 > bytes.length) {
      throw new DataFormatError(
        file,
        `byte ${at} SKIP`,
        "4 bytes of skip interval",
        `${bytes.length - d.pos}`,
      );
    }
    // PDP-11 order: the high 16-bit word first, each word little-endian; signed.
    d.time += d.view.getInt16(d.pos, true) * 65536 + d.view.getUint16(d.pos + 2, true);
    d.pos += 4;
  } else if (a === NUM) {
    // NUM and CHN modify the annotation before them and persist until changed.
    d.num = signed8(value);
    if (last >= 0) out.num[last] = d.num;
  } else if (a === SUB) out.subtype[last] = signed8(value);
  else if (a === CHN) {
    d.chan = value & 0xff;
    if (last >= 0) out.chan[last] = d.chan;
  } else {
    const end = d.pos + value;
    if (end > bytes.length) {
      throw new DataFormatError(
        file,
        `byte ${at} AUX`,
        `${value} bytes of aux text`,
        `${bytes.length - d.pos}`,
      );
    }
    out.aux[last] = new TextDecoder("latin1").decode(bytes.subarray(d.pos, end)).replace(
      /\0+$/,
      "",
    );
    d.pos = end + (value % 2);
  }
}

/**
 * Reads the MIT-format annotation file `dir/record.ext` (default `.atr`).
 *
 * @throws MissingDataError when the file is absent
 * @throws DataFormatError when it is malformed (see `decodeWfdbAnnotations`)
 */
export function readWfdbAnnotations(dir: string, record: string, ext = "atr"): WfdbAnnotations {
  const path = join(dir, `${record}.${ext}`);
  return decodeWfdbAnnotations(readRecordFile(path, [`${record}.${ext}`]), path);
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
