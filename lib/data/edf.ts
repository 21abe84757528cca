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
import { EDF_ANNOTATIONS_LABEL, type EdfHeader, parseEdfHeader } from "./edf_header.ts";
import { type EdfAnnotation, parseTals } from "./edf_tals.ts";

export * from "./edf_header.ts";
export * from "./edf_tals.ts";

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
  const bytes = typeof pathOrBytes === "string" ? readEdfFile(pathOrBytes) : pathOrBytes;
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

/**
 * The bytes of an EDF file.
 *
 * @throws MissingDataError naming the file (or its missing folder) and the download task
 */
function readEdfFile(path: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      const dir = dirname(path);
      const where = existsDir(dir) ? `${path} not found` : `data directory ${dir} does not exist`;
      throw new MissingDataError(
        `${where}; expected ${basename(path)} in ${dir}; ` +
          "run `deno task data --only sleep-edf` (datasets listed in lib/data/downloads.json)",
      );
    }
    throw e;
  }
}

function existsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
