/**
 * Multi-segment WFDB records: a master header `name/nseg nsig fs nsamples`
 * listing segment records (`segment nsamples`) that are read one after the
 * other. A segment named `~` is a gap: its samples are invalid (NaN).
 *
 * - Fixed layout: the segments' signals in order, as the first segment with
 *   signals describes them (a later segment may have fewer: the rest are
 *   invalid). Digital values pass unchanged; physical values use the first
 *   segment's gain and baseline, as `rdsamp` does.
 * - Variable layout (the MIMIC waveform layout): the first segment has length
 *   0 and is the layout header; its signal lines give the record's signals.
 *   As in WFDB's `sigmap_init`, each segment signal feeds the first layout
 *   signal with the same description; a layout signal no segment signal
 *   feeds is invalid there. A segment signal whose gain or baseline differs
 *   from the layout's is rescaled as WFDB 10.7's `sigmap` does:
 *   `v' = ⌊v · g/gₛ + (b − bₛ · g/gₛ) + ½⌋`, and physical values are `(v' − b) / g`.
 *
 * Segment checksums are not verified: WFDB does not check them in a
 * multi-segment record.
 *
 * @module
 */
import { DataFormatError } from "../../errors.ts";
import { WFDB_INVALID_SAMPLE } from "./formats.ts";
import type { WfdbHeader } from "./header.ts";
import {
  checkWfdbLength,
  readWfdbHeader,
  readWfdbSignals,
  wfdbChecksum,
  type WfdbRecord,
  type WfdbSignal,
} from "./record.ts";

/** The columns of a record signal that the segments are mapped to. */
interface Target {
  name: string;
  units: string;
  gain: number;
  baseline: number;
  adcZero: number;
  format: number;
  samplesPerFrame: number;
  initialValue: number | undefined;
}

/**
 * Reads a multi-segment record whose master header is `header`.
 *
 * @throws DataFormatError for a segment that is itself multi-segment, has
 *   another frame rate or length than the master header says, or signals that
 *   do not fit the layout
 */
export function readWfdbMultiSegment(
  dir: string,
  header: WfdbHeader,
  headerPath: string,
): WfdbRecord {
  const segments = header.segments ?? [];
  const warnings = [...header.warnings];
  const variable = segments[0].nSamples === 0;
  const parts = segments.slice(variable ? 1 : 0).map((segment) => {
    if (segment.name === "~") return { nSamples: segment.nSamples, record: undefined };
    const record = readSegment(dir, header, headerPath, segment.name, segment.nSamples);
    warnings.push(...record.warnings);
    return { nSamples: segment.nSamples, record };
  });
  let targets: Target[];
  if (variable) {
    const layout = readWfdbHeader(dir, segments[0].name);
    if (layout.header.segments !== undefined) {
      throw new DataFormatError(
        layout.path,
        "record line",
        "a layout header with signal lines",
        "a multi-segment header",
      );
    }
    warnings.push(...layout.header.warnings);
    targets = layout.header.signals;
  } else {
    const first = parts.find((p) => p.record !== undefined)?.record;
    if (first === undefined) {
      throw new DataFormatError(
        headerPath,
        "segment lines",
        "a segment with signals (all are gaps `~`)",
        "none",
      );
    }
    targets = first.signals.map((s) => ({ ...s, initialValue: undefined }));
  }
  if (targets.length !== header.nSignals) {
    throw new DataFormatError(
      headerPath,
      "record line number of signals",
      `${targets.length} (the ${variable ? "layout" : "first"} segment's)`,
      String(header.nSignals),
    );
  }
  const total = parts.reduce((sum, p) => sum + p.nSamples, 0);
  const sources = parts.map((p) =>
    p.record === undefined ? [] : mapSignals(p.record, targets, variable, headerPath)
  );
  const signals = targets.map((target, i) => {
    checkWfdbLength(headerPath, "record line number of samples", total, target.samplesPerFrame);
    const adc = new Int32Array(total * target.samplesPerFrame).fill(WFDB_INVALID_SAMPLE);
    const data = new Float32Array(adc.length).fill(NaN);
    let frame = 0;
    parts.forEach((part, k) => {
      const source = sources[k][i];
      if (source !== undefined) {
        copyMapped(source, target, variable, { adc, data, at: frame * target.samplesPerFrame });
      }
      frame += part.nSamples;
    });
    return toRecordSignal(target, header.fs, adc, data);
  });
  return { name: header.name, fs: header.fs, nSamples: total, signals, warnings };
}

function readSegment(
  dir: string,
  master: WfdbHeader,
  headerPath: string,
  name: string,
  nSamples: number,
): WfdbRecord {
  const { header, path } = readWfdbHeader(dir, name);
  if (header.segments !== undefined) {
    throw new DataFormatError(
      path,
      "record line",
      "a single-segment record inside a multi-segment one",
      "a multi-segment header",
    );
  }
  if (Math.abs(header.fs - master.fs) > 1e-9 * master.fs) {
    throw new DataFormatError(
      path,
      "record line sampling frequency",
      `${master.fs} (from ${headerPath})`,
      String(header.fs),
    );
  }
  const record = readWfdbSignals(dir, header, path, { inMultiSegment: true });
  if (record.nSamples !== nSamples) {
    throw new DataFormatError(
      path,
      "record line number of samples",
      `${nSamples} (from ${headerPath})`,
      String(record.nSamples),
    );
  }
  return record;
}

/**
 * The segment signal that feeds each record signal: by position (fixed
 * layout), or the first record signal of the same description (variable).
 */
function mapSignals(
  record: WfdbRecord,
  targets: Target[],
  variable: boolean,
  headerPath: string,
): (WfdbSignal | undefined)[] {
  if (!variable && record.signals.length > targets.length) {
    throw new DataFormatError(
      headerPath,
      `segment ${record.name} signals`,
      `at most ${targets.length} signals (a fixed layout)`,
      String(record.signals.length),
    );
  }
  const sources: (WfdbSignal | undefined)[] = targets.map(() => undefined);
  record.signals.forEach((source, k) => {
    const i = variable ? targets.findIndex((t) => t.name === source.name) : k;
    if (i < 0) return;
    if (source.samplesPerFrame !== targets[i].samplesPerFrame) {
      throw new DataFormatError(
        headerPath,
        `segment ${record.name} signal ${k} samples per frame`,
        `${targets[i].samplesPerFrame} (as the record's signal ${i})`,
        String(source.samplesPerFrame),
      );
    }
    sources[i] = source;
  });
  return sources;
}

function copyMapped(
  source: WfdbSignal,
  target: Target,
  rescale: boolean,
  into: { adc: Int32Array; data: Float32Array; at: number },
): void {
  const { adc, data, at } = into;
  const same = !rescale || (source.gain === target.gain && source.baseline === target.baseline);
  const scale = target.gain / source.gain;
  const offset = target.baseline - source.baseline * scale;
  for (let i = 0; i < source.adc.length; i++) {
    const v = source.adc[i];
    if (v === WFDB_INVALID_SAMPLE) continue;
    const mapped = same ? v : Math.floor(v * scale + offset + 0.5);
    adc[at + i] = mapped;
    data[at + i] = (mapped - target.baseline) / target.gain;
  }
}

function toRecordSignal(
  target: Target,
  fs: number,
  adc: Int32Array,
  data: Float32Array,
): WfdbSignal {
  return {
    name: target.name,
    units: target.units,
    gain: target.gain,
    baseline: target.baseline,
    adcZero: target.adcZero,
    // The layout header's initial value describes no data; the record's first sample does.
    initialValue: adc.length > 0 ? adc[0] : target.adcZero,
    checksum: wfdbChecksum(adc),
    format: target.format,
    samplesPerFrame: target.samplesPerFrame,
    fs: fs * target.samplesPerFrame,
    adc,
    data,
  };
}
