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
      // PDP-11 order: the high 16-bit word first, each word little-endian; signed.
      const skip = (view.getInt16(pos, true) * 65536) + view.getUint16(pos + 2, true);
      time += skip;
      pos += 4;
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
    if (!Number.isSafeInteger(time)) {
      throw new DataFormatError(
        file,
        `byte ${at} time`,
        "a sample index of magnitude ≤ 2^53",
        String(time),
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
  if (pos < bytes.length) {
    throw new DataFormatError(
      file,
      `byte ${pos}`,
      "nothing after the end-of-file word",
      `${bytes.length - pos} more bytes`,
    );
  }
  return {
    sample: Float64Array.from(sample),
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
