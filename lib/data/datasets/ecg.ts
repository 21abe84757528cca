/**
 * The ECG recipe (MIT-BIH Arrhythmia, MIT-BIH AFDB): two leads resampled to
 * 250 Hz, STFT `nFft 1500, hop 750` per lead → F = 1502, T = 200
 * non-overlapping frames, rhythm classes AFIB, AFL, J, N.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError, MissingDataError } from "../../errors.ts";
import { gcd, resamplePoly } from "../../features/mod.ts";
import type { Dataset, DatasetMeta } from "../types.ts";
import { readWfdbAnnotations, readWfdbRecord, rhythmIntervals } from "../wfdb/mod.ts";
import {
  buildDataset,
  datasetFolder,
  type DatasetPlan,
  exists,
  framedRecording,
  type LoadDatasetOptions,
  type RecordingEntry,
  type RecordingFeatures,
  stftRecipe,
} from "./build.ts";
import { SAME_SUBJECT, sortIds } from "./split.ts";

/** ECG rhythm classes of the paper: AFIB, AFL, J (junctional), N. */
export const ECG_CLASS_NAMES: readonly string[] = ["AFIB", "AFL", "J", "N"];

/** Rhythm note (without "(") → class; other rhythms are excluded (−1). */
export const ECG_RHYTHM_CLASS: Readonly<Record<string, number>> = {
  AFIB: 0,
  AFL: 1,
  J: 2,
  NOD: 2,
  N: 3,
};

/** Rate of the paper's ECG recipe (Hz); other rates are resampled to it. */
export const ECG_FS = 250;

function wfdbRecords(dir: string, what: string): string[] {
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      const m = /^(.+)\.hea$/.exec(entry.name);
      if (m && exists(join(dir, `${m[1]}.dat`)) && exists(join(dir, `${m[1]}.atr`))) {
        names.push(m[1]);
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (names.length < 2) {
    throw new MissingDataError(
      `${what}: found ${names.length} complete records in ${dir}; expected NNN.hea, NNN.dat and NNN.atr ` +
        "per record (PhysioNet; fetch with `deno task data`).",
    );
  }
  return sortIds(names);
}

/**
 * Per-sample rhythm classes of a record at its native rate; samples before
 * the first rhythm note and rhythms outside {@linkcode ECG_RHYTHM_CLASS} are
 * −1 and counted by rhythm name.
 */
function ecgSampleLabels(dir: string, record: string, nSamples: number): {
  labels: Int32Array;
  excluded: Record<string, number>;
} {
  const labels = new Int32Array(nSamples).fill(-1);
  const excluded: Record<string, number> = {};
  const intervals = rhythmIntervals(readWfdbAnnotations(dir, record), nSamples);
  const first = intervals.length > 0 ? intervals[0].start : nSamples;
  if (first > 0) excluded["(no rhythm note)"] = first;
  for (const { start, end, rhythm } of intervals) {
    const name = rhythm.replace(/\0+$/, "").trim();
    const c = ECG_RHYTHM_CLASS[name];
    if (c === undefined) excluded[name] = (excluded[name] ?? 0) + (end - start);
    else labels.fill(c, start, end);
  }
  return { labels, excluded };
}

/**
 * Featurises one ECG record: the first two leads in physical units,
 * resampled to {@linkcode ECG_FS} (labels from the nearest earlier native
 * sample), STFT `nFft`/`hop` per lead stacked lead-major.
 */
function ecgFeatures(
  dir: string,
  entry: RecordingEntry,
  nFft: number,
  hop: number,
): RecordingFeatures {
  const rec = readWfdbRecord(dir, entry.id);
  if (rec.signals.length < 2) {
    throw new DataFormatError(
      join(dir, `${entry.id}.hea`),
      "signals",
      "2 ECG leads",
      String(rec.signals.length),
    );
  }
  const fs = Math.round(rec.fs);
  const g = gcd(ECG_FS, fs);
  const up = ECG_FS / g, down = fs / g;
  const leads = rec.signals.slice(0, 2).map((s) => {
    const physical = new Float64Array(rec.nSamples);
    for (let i = 0; i < physical.length; i++) physical[i] = (s.adc[i] - s.baseline) / s.gain;
    return up === down ? physical : resamplePoly(physical, up, down);
  });
  const { labels: native, excluded } = ecgSampleLabels(dir, entry.id, rec.nSamples);
  const n = leads[0].length;
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    labels[j] = native[Math.min(rec.nSamples - 1, Math.floor((j * down) / up))];
  }
  return { id: entry.id, ...framedRecording(leads, labels, nFft, hop), excluded };
}

/** What distinguishes the ECG databases: folder marker, source, quick stride, native rate, notes. */
interface EcgDatabase {
  name: "mitdb" | "afdb";
  /** A file that marks the database folder itself. */
  marker: string;
  source: NonNullable<DatasetMeta["source"]>;
  /** Every k-th subject in the quick profile. */
  quickStride: number;
  /** Native sampling rate (Hz). */
  nativeFs: number;
  notes: string[];
}

const MITDB: EcgDatabase = {
  name: "mitdb",
  marker: "100.hea",
  source: {
    name: "MIT-BIH Arrhythmia Database v1.0.0 (PhysioNet)",
    citation:
      "Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng in Med and " +
      "Biol 20(3):45-50 (2001); Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. " +
      "Circulation 101(23):e215-e220 (2000).",
    licence: "ODC-By 1.0",
  },
  quickStride: 3,
  nativeFs: 360,
  notes: ["substitute for the MIT-BIH AFDB: few AFL/J frames; many records hold only N"],
};

const AFDB: EcgDatabase = {
  name: "afdb",
  marker: "04015.hea",
  source: {
    name: "MIT-BIH Atrial Fibrillation Database v1.0.0 (PhysioNet)",
    citation:
      "Moody GB, Mark RG. A new method for detecting atrial fibrillation using R-R intervals. " +
      "Computers in Cardiology 10:227-230 (1983); Goldberger AL et al., Circulation 101(23):e215-e220 (2000).",
    licence: "ODC-By 1.0",
  },
  quickStride: 4,
  nativeFs: 250,
  notes: [],
};

/** The plan of an ECG database in `dir`: every complete record, the paper's ECG recipe. */
function ecgPlan(db: EcgDatabase, dir: string): DatasetPlan {
  const { name } = db;
  const nFft = 1500, hop = 750;
  return {
    name,
    fs: ECG_FS,
    recipe: {
      ...stftRecipe(nFft, hop),
      resampleTo: ECG_FS,
      resample: "scipy.signal.resample_poly (Kaiser β 5); labels by nearest earlier native sample",
      leads: 2,
    },
    classNames: ECG_CLASS_NAMES,
    T: 200,
    shift: 200,
    recordings: wfdbRecords(dir, name).map((r) => ({
      id: r,
      subject: SAME_SUBJECT[r] && name === "mitdb" ? SAME_SUBJECT[r] : r,
      files: [join(dir, `${r}.hea`), join(dir, `${r}.dat`), join(dir, `${r}.atr`)],
    })),
    sharedFiles: [],
    quickStride: db.quickStride,
    featurise: (entry) => ecgFeatures(dir, entry, nFft, hop),
    notes: [
      `both leads resampled from the native rate to ${ECG_FS} Hz so the paper's recipe applies unchanged ` +
      "(nFft 1500 = 6 s, hop 750, F = 751 × 2 = 1502)",
      "rhythm labels from the aux notes: AFIB, AFL, J and NOD → J, N; other rhythms and samples before " +
      "the first rhythm note are excluded (−1), counted in extra.excludedSamples (native samples)",
      "T = 200 non-overlapping frames per record (never across records, unlike the reference's " +
      "concatenated stream, D5); split by record/subject instead of the first 80 % / last 20 % of the stream",
      'the reference uses raw STFT magnitudes; normalisation "none" reproduces that',
      ...db.notes,
    ],
    source: db.source,
    extra: { nativeFs: db.nativeFs, leads: "the first two signals of each record" },
  };
}

/**
 * "mitdb": MIT-BIH Arrhythmia (48 records, 2 leads, 360 Hz, 30 min) with the
 * paper's ECG recipe after resampling to 250 Hz: 600 frames per record →
 * 3 sequences of T = 200; F = 1502; classes AFIB, AFL, J, N. Split by
 * subject (records 201 and 202 are one subject). Quick: every 3rd subject of
 * each split (so the evaluation records still hold AFIB, AFL and J frames).
 */
export async function loadMitdb(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = datasetFolder(options.dataDir, MITDB.name, MITDB.marker);
  return await buildDataset(ecgPlan(MITDB, dir), options);
}

/**
 * "afdb": MIT-BIH Atrial Fibrillation Database (`dataDir/afdb`, 250 Hz, no
 * resampling needed) with the same pipeline as "mitdb"; records lacking a
 * `.dat` file (00735, 03665) are skipped. Quick: every 4th record.
 */
export async function loadAfdb(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = datasetFolder(options.dataDir, AFDB.name, AFDB.marker);
  return await buildDataset(ecgPlan(AFDB, dir), options);
}
