/**
 * Readers for PhysioNet WFDB records: the `.hea` header (single- and
 * multi-segment), the signal files in every WFDB format, and MIT-format
 * annotation files (`.atr`).
 *
 * The formats are small and fully specified (PhysioNet "WFDB Applications
 * Guide": header(5), signal(5), annot(5)); no maintained JavaScript library
 * reads them, so the decoding is written here (FLAC excepted, see
 * `flac.ts`), with strict checks so that a damaged file fails loudly instead
 * of yielding a wrong array, and leniency only where WFDB's own tools are
 * lenient.
 *
 * @module
 */
export * from "./annotations.ts";
export { loadWfdbFlacDecoder, wfdbFlacDecoderLoaded } from "./flac.ts";
export {
  decodeWfdbSamples,
  WFDB_FLAC_BITS,
  WFDB_FORMATS,
  WFDB_INVALID_SAMPLE,
  WFDB_PLAIN_FORMATS,
  wfdbByteLength,
  wfdbInvalidValue,
} from "./formats.ts";
export {
  decodeWfdbHeaderText,
  parseWfdbHeader,
  type WfdbHeader,
  type WfdbSegmentSpec,
  type WfdbSignalSpec,
} from "./header.ts";
export { readWfdbRecord, readWfdbRecordAsync } from "./read.ts";
export { readWfdbHeader, wfdbChecksum, type WfdbRecord, type WfdbSignal } from "./record.ts";
