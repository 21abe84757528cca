/**
 * Reader for EDF and EDF+ (continuous) files: header, digital→physical
 * scaling of each ordinary signal, and the time-stamped annotation lists
 * (TALs) of `EDF Annotations` signals.
 *
 * Written by hand because no maintained JavaScript EDF reader exists; the
 * format is the fixed-width ASCII header of Kemp et al. (1992) and the EDF+
 * additions of Kemp & Olivan (2003), checked strictly field by field.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { DataFormatError, MissingDataError } from "../errors.ts";

/** Per-signal header columns of an EDF file. */
export interface EdfSignalHeader {
  label: string;
  transducer: string;
  physicalDimension: string;
  physicalMin: number;
  physicalMax: number;
  digitalMin: number;
  digitalMax: number;
  prefiltering: string;
  /** Samples of this signal in each data record. */
  samplesPerRecord: number;
}

/** The main EDF header. */
export interface EdfHeader {
  /** Always "0" for EDF/EDF+. */
  version: string;
  patient: string;
  recording: string;
  /** `dd.mm.yy` as written. */
  startDate: string;
  /** `hh.mm.ss` as written. */
  startTime: string;
  /** Header size in bytes, `256 · (nSignals + 1)`. */
  headerBytes: number;
  /** "EDF+C" or "EDF+D" for EDF+, "" (or free text) for plain EDF. */
  reserved: string;
  /** Number of data records. */
  nRecords: number;
  /** Duration of one data record (s); 0 for annotation-only files. */
  recordDuration: number;
  signals: EdfSignalHeader[];
  /** Header bytes read leniently (Latin-1 characters outside ASCII), one note each. */
  warnings: string[];
}

/** An ordinary (non-annotation) signal in physical units. */
export interface EdfSignal {
  label: string;
  /** Sampling frequency `samplesPerRecord / recordDuration` (Hz). */
  fs: number;
  /** Physical dimension, e.g. "uV". */
  physicalDimension: string;
  /** Physical values, `[nRecords · samplesPerRecord]`. */
  data: Float32Array;
}

/** One EDF+ annotation. */
export interface EdfAnnotation {
  /** Onset relative to the file start (s). */
  onset: number;
  /** Duration (s); 0 when the TAL gives none. */
  duration: number;
  text: string;
}

/** A decoded EDF/EDF+ file. */
export interface EdfFile {
  header: EdfHeader;
  /** Ordinary signals (all, or those selected by `label`). */
  signals: EdfSignal[];
  /** EDF+ annotations in file order, time-keeping entries left out. */
  annotations: EdfAnnotation[];
}

/** Options of `readEdf`. */
export interface ReadEdfOptions {
  /** Decode only the ordinary signals with these labels (all when absent). */
  label?: string | string[];
  /** Name used in error messages when reading from bytes. */
  file?: string;
}

/** Label of the EDF+ annotation signal. */
export const EDF_ANNOTATIONS_LABEL = "EDF Annotations";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** Fixed-width field reader over the header (ASCII, or Latin-1 with a warning). */
function fieldReader(bytes: Uint8Array, file: string, warnings: string[]) {
  let pos = 0;
  const text = (width: number, field: string): string => {
    if (pos + width > bytes.length) {
      throw new DataFormatError(
        file,
        `header ${field} (bytes ${pos}–${pos + width - 1})`,
        `${width} bytes`,
        `${Math.max(0, bytes.length - pos)} (file truncated)`,
      );
    }
    for (let i = pos; i < pos + width; i++) {
      if (bytes[i] < 32 || bytes[i] === 127) {
        throw new DataFormatError(
          file,
          `header ${field} (byte ${i})`,
          "printable text",
          `0x${bytes[i].toString(16).padStart(2, "0")}`,
        );
      }
      // EDF headers are ASCII by the standard, but real files carry Latin-1
      // "°" (0xb0) or "µ" (0xb5); they are read as Latin-1, as MNE reads them.
      if (bytes[i] > 127) {
        const byte = `0x${bytes[i].toString(16)}`;
        warnings.push(
          `${file}: header ${field} (byte ${i}) is ${byte}, not ASCII; read as Latin-1`,
        );
      }
    }
    // Latin-1: each byte is the code point of one character.
    const value = String.fromCharCode(...bytes.subarray(pos, pos + width)).trim();
    pos += width;
    return value;
  };
  const number = (width: number, field: string, integer = false): number => {
    const raw = text(width, field);
    const value = Number(raw);
    if (!(integer ? INTEGER : NUMBER).test(raw) || !Number.isFinite(value)) {
      throw new DataFormatError(
        file,
        `header ${field}`,
        integer ? "an integer" : "a finite number",
        JSON.stringify(raw),
      );
    }
    return value;
  };
  return { text, number };
}

/**
 * Parses the EDF header (`256 · (nSignals + 1)` bytes) and checks it against
 * the file length: `headerBytes + nRecords · Σ samplesPerRecord · 2`.
 *
 * @throws DataFormatError naming the offending header field
 */
export function parseEdfHeader(bytes: Uint8Array, file: string): EdfHeader {
  const warnings: string[] = [];
  const { text, number } = fieldReader(bytes, file, warnings);
  const version = text(8, "version");
  if (version !== "0") {
    throw new DataFormatError(file, "header version", '"0"', JSON.stringify(version));
  }
  const patient = text(80, "patient");
  const recording = text(80, "recording");
  const startDate = text(8, "start date");
  if (!/^\d\d\.\d\d\.\d\d$/.test(startDate)) {
    throw new DataFormatError(file, "header start date", "dd.mm.yy", JSON.stringify(startDate));
  }
  const startTime = text(8, "start time");
  if (!/^\d\d\.\d\d\.\d\d$/.test(startTime)) {
    throw new DataFormatError(file, "header start time", "hh.mm.ss", JSON.stringify(startTime));
  }
  const headerBytes = number(8, "header bytes", true);
  const reserved = text(44, "reserved");
  let nRecords = number(8, "number of data records", true);
  const recordDuration = number(8, "data record duration");
  if (recordDuration < 0) {
    throw new DataFormatError(
      file,
      "header data record duration",
      "a duration ≥ 0",
      String(recordDuration),
    );
  }
  const nSignals = number(4, "number of signals", true);
  if (nSignals < 1 || nSignals > 4096) {
    throw new DataFormatError(file, "header number of signals", "1–4096", String(nSignals));
  }
  if (headerBytes !== 256 * (nSignals + 1)) {
    throw new DataFormatError(
      file,
      "header bytes",
      `256 · (${nSignals} + 1) = ${256 * (nSignals + 1)}`,
      String(headerBytes),
    );
  }
  const column = <T>(width: number, name: string, read: (w: number, f: string) => T): T[] =>
    Array.from({ length: nSignals }, (_, i) => read(width, `signal ${i} ${name}`));
  const label = column(16, "label", text);
  const transducer = column(80, "transducer", text);
  const physicalDimension = column(8, "physical dimension", text);
  const physicalMin = column(8, "physical minimum", number);
  const physicalMax = column(8, "physical maximum", number);
  const digitalMin = column(8, "digital minimum", (w, f) => number(w, f, true));
  const digitalMax = column(8, "digital maximum", (w, f) => number(w, f, true));
  const prefiltering = column(80, "prefiltering", text);
  const samplesPerRecord = column(8, "samples per record", (w, f) => number(w, f, true));
  column(32, "reserved", text);

  const signals: EdfSignalHeader[] = label.map((l, i) => {
    const at = (field: string) => `header signal ${i} (${l}) ${field}`;
    if (digitalMin[i] < -32768 || digitalMax[i] > 32767 || digitalMax[i] <= digitalMin[i]) {
      throw new DataFormatError(
        file,
        at("digital minimum/maximum"),
        "−32768 ≤ min < max ≤ 32767",
        `${digitalMin[i]}/${digitalMax[i]}`,
      );
    }
    if (physicalMax[i] === physicalMin[i]) {
      throw new DataFormatError(
        file,
        at("physical minimum/maximum"),
        "min ≠ max",
        `${physicalMin[i]}/${physicalMax[i]}`,
      );
    }
    if (samplesPerRecord[i] < 1) {
      throw new DataFormatError(
        file,
        at("samples per record"),
        "at least 1",
        String(samplesPerRecord[i]),
      );
    }
    if (l !== EDF_ANNOTATIONS_LABEL && recordDuration === 0) {
      throw new DataFormatError(
        file,
        "header data record duration",
        "> 0 when a file holds ordinary signals",
        "0",
      );
    }
    return {
      label: l,
      transducer: transducer[i],
      physicalDimension: physicalDimension[i],
      physicalMin: physicalMin[i],
      physicalMax: physicalMax[i],
      digitalMin: digitalMin[i],
      digitalMax: digitalMax[i],
      prefiltering: prefiltering[i],
      samplesPerRecord: samplesPerRecord[i],
    };
  });

  const recordBytes = 2 * signals.reduce((sum, s) => sum + s.samplesPerRecord, 0);
  const dataBytes = bytes.length - headerBytes;
  if (nRecords === -1) {
    // "Unknown" record count (a recording still in progress): whole records only.
    if (dataBytes % recordBytes !== 0) {
      throw new DataFormatError(
        file,
        "file length",
        `whole ${recordBytes}-byte data records after the header`,
        `${dataBytes} data bytes`,
      );
    }
    nRecords = dataBytes / recordBytes;
  }
  if (nRecords < 0) {
    throw new DataFormatError(
      file,
      "header number of data records",
      "a count ≥ 0 (or −1)",
      String(nRecords),
    );
  }
  if (dataBytes !== nRecords * recordBytes) {
    throw new DataFormatError(
      file,
      "file length",
      `${headerBytes} + ${nRecords} records × ${recordBytes} bytes = ${
        headerBytes + nRecords * recordBytes
      }`,
      String(bytes.length),
    );
  }
  return {
    version,
    patient,
    recording,
    startDate,
    startTime,
    headerBytes,
    reserved,
    nRecords,
    recordDuration,
    signals,
    warnings,
  };
}

/**
 * Reads an EDF or EDF+C file from a path or its bytes.
 *
 * Each ordinary signal is scaled from digital `d` to physical
 * `p = physMin + (d − digMin) · (physMax − physMin) / (digMax − digMin)` and
 * concatenated over the data records: `data` is `[nRecords · samplesPerRecord]`.
 * `EDF Annotations` signals are parsed as TALs
 * (`+onset[\x15duration]\x14text\x14…\x14\0`); each record's first,
 * time-keeping TAL (empty text) is not returned.
 *
 * @throws MissingDataError when the path does not exist
 * @throws DataFormatError for a malformed file, an EDF+D file, or an unknown `label`
 */
export function readEdf(pathOrBytes: string | Uint8Array, options: ReadEdfOptions = {}): EdfFile {
  const file = typeof pathOrBytes === "string" ? pathOrBytes : options.file ?? "<EDF bytes>";
  let bytes: Uint8Array;
  if (typeof pathOrBytes === "string") {
    try {
      bytes = Deno.readFileSync(pathOrBytes);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        const dir = dirname(pathOrBytes);
        const where = existsDir(dir)
          ? `${pathOrBytes} not found`
          : `data directory ${dir} does not exist`;
        throw new MissingDataError(
          `${where}; expected ${basename(pathOrBytes)} in ${dir}; ` +
            "run `deno task data --only sleep-edf` (datasets listed in lib/data/downloads.json)",
        );
      }
      throw e;
    }
  } else {
    bytes = pathOrBytes;
  }
  const header = parseEdfHeader(bytes, file);
  if (header.reserved.startsWith("EDF+D")) {
    throw new DataFormatError(
      file,
      "header reserved",
      "EDF+C or plain EDF (EDF+D discontinuous files are not supported)",
      "EDF+D",
    );
  }
  const isEdfPlus = header.reserved.startsWith("EDF+");
  const wanted = options.label === undefined ? undefined : new Set([options.label].flat());
  if (wanted !== undefined) {
    const present = new Set(header.signals.map((s) => s.label));
    for (const l of wanted) {
      if (!present.has(l)) {
        throw new DataFormatError(
          file,
          "signal label",
          `one of ${[...present].map((p) => JSON.stringify(p)).join(", ")}`,
          JSON.stringify(l),
        );
      }
    }
  }

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const recordBytes = 2 * header.signals.reduce((sum, s) => sum + s.samplesPerRecord, 0);
  const offsets: number[] = [];
  header.signals.reduce((offset, s) => (offsets.push(offset), offset + 2 * s.samplesPerRecord), 0);

  const signals: EdfSignal[] = [];
  const annotations: EdfAnnotation[] = [];
  header.signals.forEach((s, i) => {
    if (isEdfPlus && s.label === EDF_ANNOTATIONS_LABEL) {
      for (let r = 0; r < header.nRecords; r++) {
        const start = header.headerBytes + r * recordBytes + offsets[i];
        const tal = bytes.subarray(start, start + 2 * s.samplesPerRecord);
        annotations.push(...parseTals(tal, file, `data record ${r} signal ${i} (${s.label})`));
      }
      return;
    }
    if (wanted !== undefined && !wanted.has(s.label)) return;
    const n = s.samplesPerRecord;
    const data = new Float32Array(header.nRecords * n);
    const scale = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
    for (let r = 0; r < header.nRecords; r++) {
      const base = header.headerBytes + r * recordBytes + offsets[i];
      for (let k = 0; k < n; k++) {
        data[r * n + k] = s.physicalMin +
          (view.getInt16(base + 2 * k, true) - s.digitalMin) * scale;
      }
    }
    signals.push({
      label: s.label,
      fs: n / header.recordDuration,
      physicalDimension: s.physicalDimension,
      data,
    });
  });
  return { header, signals, annotations };
}

function existsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

const ONSET = /^[+-](\d+\.?\d*|\.\d+)$/;
const DURATION = /^(\d+\.?\d*|\.\d+)$/;

/**
 * Parses the time-stamped annotation lists of one data record's annotation
 * signal. Bytes after the last TAL must be zero padding.
 *
 * @param bytes the signal's bytes in one data record
 * @param file file name for errors
 * @param where the record and signal, for errors
 */
export function parseTals(bytes: Uint8Array, file: string, where: string): EdfAnnotation[] {
  const out: EdfAnnotation[] = [];
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const latin1 = new TextDecoder("latin1");
  let pos = 0;
  while (pos < bytes.length && bytes[pos] !== 0) {
    const end = bytes.indexOf(0, pos);
    if (end < 0) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos}`,
        "a TAL ending in a 0 byte",
        "end of record",
      );
    }
    const tal = bytes.subarray(pos, end);
    const sep = tal.indexOf(0x14);
    if (sep < 0) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos}`,
        "a TAL `+onset[\\x15duration]\\x14…`",
        "no 0x14 separator",
      );
    }
    const timing = latin1.decode(tal.subarray(0, sep));
    const [onsetText, durationText, extra] = timing.split("\x15");
    if (!ONSET.test(onsetText) || extra !== undefined) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos} onset`,
        "`+seconds` or `-seconds`",
        JSON.stringify(timing),
      );
    }
    if (durationText !== undefined && !DURATION.test(durationText)) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos} duration`,
        "seconds ≥ 0",
        JSON.stringify(durationText),
      );
    }
    const onset = Number(onsetText);
    const duration = durationText === undefined ? 0 : Number(durationText);
    if (!Number.isFinite(onset) || !Number.isFinite(duration)) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos} onset`,
        "finite seconds",
        JSON.stringify(timing),
      );
    }
    if (tal[tal.length - 1] !== 0x14) {
      throw new DataFormatError(
        file,
        `${where} byte ${end - 1}`,
        "a TAL's last annotation closed by 0x14",
        `0x${tal[tal.length - 1].toString(16)}`,
      );
    }
    let texts: string[];
    try {
      texts = utf8.decode(tal.subarray(sep + 1, tal.length - 1)).split("\x14");
    } catch {
      throw new DataFormatError(
        file,
        `${where} byte ${pos} text`,
        "UTF-8 annotation text",
        "invalid bytes",
      );
    }
    const control = texts.findIndex((text) => [...text].some((c) => c.charCodeAt(0) < 32));
    if (control >= 0) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos} text`,
        "annotation text without control characters",
        JSON.stringify(texts[control]),
      );
    }
    // The first TAL of a record keeps time: its only annotation is empty.
    // Empty annotations carry nothing elsewhere either, so none is returned.
    for (const text of texts) if (text !== "") out.push({ onset, duration, text });
    pos = end + 1;
  }
  for (; pos < bytes.length; pos++) {
    if (bytes[pos] !== 0) {
      throw new DataFormatError(
        file,
        `${where} byte ${pos}`,
        "zero padding after the last TAL",
        `0x${bytes[pos].toString(16)}`,
      );
    }
  }
  return out;
}
