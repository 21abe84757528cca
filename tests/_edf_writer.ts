/**
 * A minimal EDF/EDF+C writer for tests: builds file bytes from physical
 * values and per-record annotation lists, so the reader can be checked on
 * files whose every field is known.
 *
 * @module
 */
import type { EdfSignalHeader } from "../lib/data/edf.ts";

/** One ordinary signal to write: its header columns and its values. */
export interface EdfSignalSpec extends EdfSignalHeader {
  /** Physical values, `[nRecords · samplesPerRecord]` (clipped to the physical range). */
  data: Float64Array;
}

/** An annotation to write (`duration` left out of the TAL when absent). */
export interface EdfAnnotationSpec {
  onset: number;
  duration?: number;
  text: string;
}

/** A whole file to write. */
export interface EdfSpec {
  patient: string;
  recording: string;
  startDate: string;
  startTime: string;
  /** "EDF+C" / "EDF+D" for EDF+, "" for plain EDF. */
  reserved: string;
  recordDuration: number;
  nRecords: number;
  /** Value written in the record-count field (default `nRecords`; −1 = unknown). */
  nRecordsField?: number;
  signals: EdfSignalSpec[];
  /** Annotations per data record; adds an `EDF Annotations` signal when given. */
  annotations?: EdfAnnotationSpec[][];
}

const encoder = new TextEncoder();

function field(value: string | number, width: number): string {
  const text = String(value);
  if (text.length > width) throw new RangeError(`${JSON.stringify(text)} wider than ${width}`);
  return text.padEnd(width, " ");
}

/** The TAL bytes of one data record: the time-keeping TAL, then one TAL per annotation. */
export function recordTals(recordStart: number, annotations: EdfAnnotationSpec[]): Uint8Array {
  let text = `+${recordStart}\x14\x14\0`;
  for (const a of annotations) {
    const duration = a.duration === undefined ? "" : `\x15${a.duration}`;
    text += `+${a.onset}${duration}\x14${a.text}\x14\0`;
  }
  return encoder.encode(text);
}

/** Serialises `spec` as EDF bytes (header, then int16 little-endian data records). */
export function writeEdf(spec: EdfSpec): Uint8Array {
  const tals = spec.annotations?.map((list, r) => recordTals(r * spec.recordDuration, list));
  const talSamples = tals === undefined
    ? 0
    : Math.ceil(Math.max(...tals.map((t) => t.length)) / 2) + 1;
  const columns = spec.signals.map((s) => ({ ...s }));
  const all = tals === undefined ? columns : [
    ...columns,
    {
      label: "EDF Annotations",
      transducer: "",
      physicalDimension: "",
      physicalMin: 0,
      physicalMax: 1,
      digitalMin: -32768,
      digitalMax: 32767,
      prefiltering: "",
      samplesPerRecord: talSamples,
      data: new Float64Array(0),
    },
  ];
  const ns = all.length;
  let header = field("0", 8) + field(spec.patient, 80) + field(spec.recording, 80) +
    field(spec.startDate, 8) + field(spec.startTime, 8) + field(256 * (ns + 1), 8) +
    field(spec.reserved, 44) + field(spec.nRecordsField ?? spec.nRecords, 8) +
    field(spec.recordDuration, 8) + field(ns, 4);
  const column = (width: number, get: (s: EdfSignalSpec) => string | number) =>
    all.map((s) => field(get(s), width)).join("");
  header += column(16, (s) => s.label) + column(80, (s) => s.transducer) +
    column(8, (s) => s.physicalDimension) + column(8, (s) => s.physicalMin) +
    column(8, (s) => s.physicalMax) + column(8, (s) => s.digitalMin) +
    column(8, (s) => s.digitalMax) +
    column(80, (s) => s.prefiltering) + column(8, (s) => s.samplesPerRecord) + column(32, () => "");
  const recordBytes = 2 * all.reduce((sum, s) => sum + s.samplesPerRecord, 0);
  const out = new Uint8Array(header.length + spec.nRecords * recordBytes);
  // The header as Latin-1 bytes (one byte per character), as real files write "°" and "µ".
  out.set(Uint8Array.from(header, (c) => {
    const code = c.charCodeAt(0);
    if (code > 255) throw new RangeError(`${JSON.stringify(c)} is not Latin-1`);
    return code;
  }));
  const view = new DataView(out.buffer);
  let pos = header.length;
  for (let r = 0; r < spec.nRecords; r++) {
    for (const s of columns) {
      const scale = (s.digitalMax - s.digitalMin) / (s.physicalMax - s.physicalMin);
      for (let k = 0; k < s.samplesPerRecord; k++) {
        const p = s.data[r * s.samplesPerRecord + k];
        const d = Math.round((p - s.physicalMin) * scale + s.digitalMin);
        view.setInt16(pos, Math.min(Math.max(d, s.digitalMin), s.digitalMax), true);
        pos += 2;
      }
    }
    if (tals !== undefined) {
      out.set(tals[r], pos);
      pos += 2 * talSamples;
    }
  }
  return out;
}
