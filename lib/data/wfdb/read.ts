/**
 * The entry points for WFDB records: single- or multi-segment, every format.
 *
 * @module
 */
import { loadWfdbFlacDecoder } from "./flac.ts";
import { WFDB_FLAC_BITS } from "./formats.ts";
import { readWfdbMultiSegment } from "./multisegment.ts";
import { readWfdbHeader, readWfdbSignals, type WfdbRecord } from "./record.ts";

/**
 * Reads the WFDB record `dir/record.hea` and its signal files: formats 8, 16,
 * 24, 32, 61, 80, 160, 212, 310, 311 (and FLAC 508/516/524 once
 * `loadWfdbFlacDecoder()` has been awaited), skew, several samples per
 * frame, and multi-segment records in fixed or variable layout.
 *
 * Physical value of digital sample `v` of signal `s`: `(v − baseline) / gain`,
 * NaN for an invalid sample (the format's most negative value, or a gap);
 * each signal's `adc` and `data` are `[nSamples · samplesPerFrame]`. The
 * header's checksums (16-bit sums, compared modulo 2^16) and initial values
 * are verified against the data.
 *
 * @throws MissingDataError when the header or a signal file is absent
 * @throws DataFormatError when a file is malformed, too short or too long, or fails its checksum
 * @example
 * ```ts
 * const r = readWfdbRecord("data/mitdb", "100");
 * r.signals[0].name; // "MLII"; r.signals[0].data is [650000] mV
 * ```
 */
export function readWfdbRecord(dir: string, record: string): WfdbRecord {
  const { header, path } = readWfdbHeader(dir, record);
  return header.segments === undefined
    ? readWfdbSignals(dir, header, path)
    : readWfdbMultiSegment(dir, header, path);
}

/**
 * `readWfdbRecord`, loading the FLAC decoder first when the record (or one
 * of its segments) uses a FLAC format.
 *
 * @example
 * ```ts
 * const r = await readWfdbRecordAsync("data/rec", "r01");
 * ```
 */
export async function readWfdbRecordAsync(dir: string, record: string): Promise<WfdbRecord> {
  const { header } = readWfdbHeader(dir, record);
  const segments =
    header.segments?.filter((s) => s.name !== "~").map((s) => readWfdbHeader(dir, s.name).header) ??
      [];
  const formats = [header, ...segments].flatMap((h) => h.signals.map((s) => s.format));
  if (formats.some((f) => WFDB_FLAC_BITS[f] !== undefined)) await loadWfdbFlacDecoder();
  return readWfdbRecord(dir, record);
}
