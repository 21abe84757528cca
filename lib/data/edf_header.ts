/**
 * The EDF header: the fixed-width ASCII fields of Kemp et al. (1992) with the
 * EDF+ additions of Kemp & Olivan (2003), checked strictly field by field and
 * against the file length.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { DECIMAL, SIGNED_INTEGER } from "./parse.ts";

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

/** Label of the EDF+ annotation signal. */
export const EDF_ANNOTATIONS_LABEL = "EDF Annotations";

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
    if (!(integer ? SIGNED_INTEGER : DECIMAL).test(raw) || !Number.isFinite(value)) {
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

/** The fixed-width field reader of {@linkcode parseEdfHeader}. */
type FieldReader = ReturnType<typeof fieldReader>;

/** The main header fields (256 bytes), each checked as it is read. */
function readMainFields({ text, number }: FieldReader, file: string) {
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
  const nRecords = number(8, "number of data records", true);
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
    nSignals,
  };
}

/** The per-signal columns (`256 · nSignals` bytes), each signal checked. */
function readSignalHeaders(
  { text, number }: FieldReader,
  file: string,
  nSignals: number,
  recordDuration: number,
): EdfSignalHeader[] {
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

  return label.map((l, i) => {
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
}

/**
 * The number of data records, checked against the file length (`−1`, still
 * recording, resolved from it).
 */
function recordCount(
  bytes: Uint8Array,
  file: string,
  { headerBytes, nRecords }: { headerBytes: number; nRecords: number },
  signals: readonly EdfSignalHeader[],
): number {
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
  return nRecords;
}

/**
 * Parses the EDF header (`256 · (nSignals + 1)` bytes) and checks it against
 * the file length: `headerBytes + nRecords · Σ samplesPerRecord · 2`.
 *
 * @throws DataFormatError naming the offending header field
 */
export function parseEdfHeader(bytes: Uint8Array, file: string): EdfHeader {
  const warnings: string[] = [];
  const reader = fieldReader(bytes, file, warnings);
  const { nSignals, ...main } = readMainFields(reader, file);
  const signals = readSignalHeaders(reader, file, nSignals, main.recordDuration);
  return { ...main, nRecords: recordCount(bytes, file, main, signals), signals, warnings };
}
