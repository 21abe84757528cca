/**
 * The dataset registry: name → loader returning a featurised, split
 * {@linkcode Dataset}. Every loader here follows one pipeline:
 *
 * 1. list the recordings and their subjects (sorted; D5);
 * 2. split by subject: {@linkcode splitSubjects} (no subject in both splits);
 * 3. (`profile: "quick"`) keep every k-th subject of each split, first recording each;
 * 4. per recording: per-channel STFT magnitude, channel-major stacking,
 *    per-sample labels framed with the argmax rule ({@linkcode frameLabels});
 * 5. z-score with training statistics ({@linkcode splitZScoreStats});
 * 6. cut each recording into sequences of `T` frames that never cross it
 *    ({@linkcode windowSequences}).
 *
 * Results are cached under `cacheDir()` keyed by the files' sizes and contents,
 * the recipe and the options ({@linkcode readCachedDataset}).
 *
 * "dreams" (`dreams.ts`, `loadDreamsDataset`) brings its own recipe, 4-fold
 * excerpt split and cache, and is registered here with the others.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError, MissingDataError, OptionError } from "../errors.ts";
import { dataDir as defaultDataDir } from "../paths.ts";
import {
  applyZScore,
  frameLabels,
  gcd,
  resamplePoly,
  splitZScoreStats,
  stackChannels,
  stftMagnitude,
  windowSequences,
} from "../features/mod.ts";
import { datasetFingerprint, fileStamps, readCachedDataset, writeCachedDataset } from "./cache.ts";
import { loadDreamsDataset } from "./dreams.ts";
import { readEdf } from "./edf.ts";
import {
  HAPT_CHANNEL_NAMES,
  HAPT_CLASS_NAMES,
  HAPT_FS,
  haptFiles,
  haptSampleLabels,
  listHaptRecordings,
  readHaptLabels,
  readHaptRecording,
} from "./hapt.ts";
import {
  HARTH_CHANNEL_NAMES,
  HARTH_CLASS_NAMES,
  HARTH_FS,
  listHarthFiles,
  readHarthCsv,
} from "./harth.ts";
import { readSleepEdfHypnogram, SLEEP_STAGE_NAMES } from "./hypnogram.ts";
import { SYNTHETIC_CLASS_NAMES, SYNTHETIC_FS, syntheticRecording } from "./synthetic.ts";
import type { Dataset, DatasetMeta, Profile, SequenceSplit } from "./types.ts";
import { readWfdbAnnotations, readWfdbRecord, rhythmIntervals } from "./wfdb.ts";

/** Options shared by every loader. */
export interface LoadDatasetOptions {
  /** Data root holding `<name>/` (or the dataset folder itself); default `dataDir()`. */
  dataDir?: string;
  /** `quick` subsamples recordings for CI (see each loader); default `paper`. */
  profile?: Profile;
  /** Which block of subjects is evaluated (see {@linkcode splitSubjects}); default 0. */
  fold?: number;
  /** Seed of the synthetic generator (real datasets are deterministic); default 0. */
  seed?: number;
  /** Z-score statistics from the training split (default), from all frames (D5 leak), or none. */
  normalisation?: "train" | "all" | "none";
  /** Cache folder, or `false` to featurise without caching; default `cacheDir()`. */
  cache?: string | false;
}

/** A registry entry. */
export type DatasetLoader = (options: LoadDatasetOptions) => Promise<Dataset>;

/** Cross-validation folds by subject (fewer when there are fewer subjects). */
export const SUBJECT_FOLDS = 4;

/** Subjects of the two splits and the rule that produced them. */
export interface SubjectSplit {
  train: string[];
  eval: string[];
  /** The rule in words, for `meta.splitRule`. */
  rule: string;
}

/** Sorts ids numerically where they hold numbers ("user2" before "user10"). */
export function sortIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/**
 * Deterministic k-fold split by subject, `k = min(4, n)`. The `n` subjects are
 * sorted and cut into `k` consecutive blocks counted from the end, the first
 * `n mod k` blocks one subject larger; fold `f` evaluates block `f` and trains
 * on the rest. The folds are disjoint and together evaluate every subject
 * once (HAPT, 30 users: fold 0 evaluates users 23–30, fold 3 users 1–7).
 *
 * @throws {OptionError} for fewer than 2 subjects or a fold out of range.
 */
export function splitSubjects(subjects: readonly string[], fold = 0): SubjectSplit {
  const sorted = sortIds(subjects);
  const n = sorted.length;
  if (n < 2) throw new OptionError(`splitSubjects: need at least 2 subjects, got ${n}`);
  const nFolds = Math.min(SUBJECT_FOLDS, n);
  if (!Number.isInteger(fold) || fold < 0 || fold >= nFolds) {
    throw new OptionError(
      `fold must be an integer in [0, ${nFolds - 1}] for ${n} subjects, got ${fold}`,
    );
  }
  const size = (f: number) => Math.floor(n / nFolds) + (f < n % nFolds ? 1 : 0);
  let end = n;
  for (let f = 0; f < fold; f++) end -= size(f);
  const start = end - size(fold);
  const evalSet = new Set(sorted.slice(start, end));
  return {
    train: sorted.filter((s) => !evalSet.has(s)),
    eval: sorted.slice(start, end),
    rule: `by subject: ${n} subjects sorted into ${nFolds} consecutive blocks from the end; ` +
      `fold ${fold} evaluates positions ${start + 1}–${end} (${sorted[start]} … ${
        sorted[end - 1]
      }), the other ${n - (end - start)} train`,
  };
}

/** One recording before featurisation. */
interface RecordingEntry {
  /** Recording id, e.g. "exp01_user01" or "100". */
  id: string;
  /** Split unit (user, patient). */
  subject: string;
  /** Files read for this recording (for the fingerprint). */
  files: string[];
}

/** One featurised recording. */
interface RecordingFeatures {
  id: string;
  /** `[nFrames, F]` row-major. */
  frames: Float32Array;
  /** `[nFrames]` frame labels (−1 excluded). */
  labels: Int32Array;
  /** Excluded samples by reason (merged into `meta.extra.excludedSamples`). */
  excluded?: Record<string, number>;
}

/** Everything a loader describes; {@linkcode buildDataset} does the rest. */
interface DatasetPlan {
  name: string;
  fs: number;
  recipe: Record<string, unknown>;
  classNames: readonly string[];
  T: number;
  shift: number;
  recordings: RecordingEntry[];
  /** Files shared by all recordings (e.g. labels.txt). */
  sharedFiles: string[];
  /** Every k-th subject in the quick profile. */
  quickStride: number;
  featurise(recording: RecordingEntry): RecordingFeatures;
  notes: string[];
  source: NonNullable<DatasetMeta["source"]>;
  extra?: Record<string, unknown>;
}

/** `dataDir/<name>` unless `dataDir` is itself the dataset folder (holds `marker`). */
function datasetFolder(root: string | undefined, name: string, marker: string): string {
  const base = root ?? defaultDataDir();
  try {
    Deno.statSync(join(base, marker));
    return base;
  } catch {
    return join(base, name);
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Frames of one recording with STFT length `nFft` and step `hop`: the
 * magnitude STFT of each channel stacked channel-major (`frames`,
 * `[nFrames, C·nBins]`) and the per-sample labels framed with the argmax rule
 * (`labels`, `[nFrames]`).
 */
function framedRecording(
  channels: readonly (Float32Array | Float64Array)[],
  sampleLabels: Int32Array,
  nFft: number,
  hop: number,
): Pick<RecordingFeatures, "frames" | "labels"> {
  const stacked = stackChannels(channels.map((c) => stftMagnitude(c, { nFft, hop })));
  return { frames: stacked.data, labels: frameLabels(sampleLabels, { frameLength: nFft, hop }) };
}

function classCounts(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of y) if (c >= 0) counts[c]++;
  return counts;
}

function windowsOf(
  recordings: readonly RecordingFeatures[],
  T: number,
  shift: number,
  F: number,
): SequenceSplit {
  const starts = recordings.map((r) => windowSequences(r.labels.length, { T, shift }));
  const nSequences = starts.reduce((a, s) => a + s.length, 0);
  const x = new Float32Array(nSequences * T * F);
  const y = new Int32Array(nSequences * T);
  const recording: string[] = [];
  let s = 0;
  recordings.forEach((r, i) => {
    for (const start of starts[i]) {
      x.set(r.frames.subarray(start * F, (start + T) * F), s * T * F);
      y.set(r.labels.subarray(start, start + T), s * T);
      recording.push(r.id);
      s++;
    }
  });
  return { x, y, recording, nSequences };
}

/** Applies the split, profile, featurisation, normalisation, windows and cache of a plan. */
async function buildDataset(plan: DatasetPlan, options: LoadDatasetOptions): Promise<Dataset> {
  const profile = options.profile ?? "paper";
  const normalisation = options.normalisation ?? "train";
  if (!["train", "all", "none"].includes(normalisation)) {
    throw new OptionError(`normalisation must be "train", "all" or "none", got ${normalisation}`);
  }
  if (profile !== "quick" && profile !== "paper") {
    throw new OptionError(`profile must be "quick" or "paper", got ${profile}`);
  }
  const split = splitSubjects(plan.recordings.map((r) => r.subject), options.fold ?? 0);
  let subjects = { train: split.train, eval: split.eval };
  let quickRule = "";
  const chosen = (names: string[]) => {
    const set = new Set(names);
    const seen = new Set<string>();
    return plan.recordings.filter((r) => {
      if (!set.has(r.subject)) return false;
      if (profile === "quick" && seen.has(r.subject)) return false;
      seen.add(r.subject);
      return true;
    });
  };
  if (profile === "quick") {
    const every = (s: string[]) => s.filter((_, i) => i % plan.quickStride === 0);
    subjects = { train: every(split.train), eval: every(split.eval) };
    quickRule = `; quick profile: every k-th subject of each split (k = ${plan.quickStride}; ` +
      "positions 0, k, 2k … in sorted order), first recording of each";
  }
  const selected = { train: chosen(subjects.train), eval: chosen(subjects.eval) };
  const recipe = { ...plan.recipe, T: plan.T, shift: plan.shift, normalisation };
  const files = [
    ...plan.sharedFiles,
    ...[...selected.train, ...selected.eval].flatMap((r) => r.files),
  ];
  const key = datasetFingerprint(fileStamps(files), {
    name: plan.name,
    recipe,
    profile,
    fold: options.fold ?? 0,
    train: selected.train.map((r) => r.id),
    eval: selected.eval.map((r) => r.id),
  });
  const cache = options.cache === false ? undefined : options.cache;
  if (options.cache !== false) {
    const hit = readCachedDataset(key, cache);
    if (hit) return { ...hit, meta: { ...hit.meta, extra: { ...hit.meta.extra, cacheHit: true } } };
  }

  const featurised = {
    train: selected.train.map((r) => plan.featurise(r)),
    eval: selected.eval.map((r) => plan.featurise(r)),
  };
  const withFrames = featurised.train.find((r) => r.labels.length > 0);
  if (!withFrames) {
    throw new DataFormatError(plan.name, "training recordings", "at least one STFT frame", "none");
  }
  const F = withFrames.frames.length / withFrames.labels.length;
  if (normalisation !== "none") {
    const stats = splitZScoreStats(
      featurised.train.map((r) => r.frames),
      featurised.eval.map((r) => r.frames),
      F,
      { statsFrom: normalisation },
    );
    for (const r of [...featurised.train, ...featurised.eval]) applyZScore(r.frames, stats);
  }
  const train = windowsOf(featurised.train, plan.T, plan.shift, F);
  const evaluation = windowsOf(featurised.eval, plan.T, plan.shift, F);
  const excludedSamples: Record<string, number> = {};
  for (const r of [...featurised.train, ...featurised.eval]) {
    for (const [reason, n] of Object.entries(r.excluded ?? {})) {
      excludedSamples[reason] = (excludedSamples[reason] ?? 0) + n;
    }
  }
  const shortRecordings = [...featurised.train, ...featurised.eval]
    .filter((r) => r.labels.length < plan.T)
    .map((r) => r.id);
  const k = plan.classNames.length;
  const dataset: Dataset = {
    name: plan.name,
    T: plan.T,
    F,
    classNames: [...plan.classNames],
    train,
    eval: evaluation,
    meta: {
      fs: plan.fs,
      recipe,
      splitRule: split.rule + quickRule,
      subjects,
      fingerprint: key,
      classCounts: { train: classCounts(train.y, k), eval: classCounts(evaluation.y, k) },
      notes: [
        ...plan.notes,
        normalisation === "train"
          ? "z-score per feature with mean and population std of the training recordings' frames only"
          : normalisation === "all"
          ? "z-score statistics over training AND evaluation frames (reproduces the reference's leak, D5)"
          : "no normalisation (raw STFT magnitudes)",
      ],
      source: plan.source,
      extra: {
        ...plan.extra,
        profile,
        recordings: {
          train: selected.train.map((r) => r.id),
          eval: selected.eval.map((r) => r.id),
        },
        excludedSamples,
        recordingsShorterThanT: shortRecordings,
        cacheHit: false,
      },
    },
  };
  if (options.cache !== false) await writeCachedDataset(key, dataset, cache);
  return dataset;
}

// ---------------------------------------------------------------------------
// HAPT

const HAPT_SOURCE = {
  name:
    "UCI HAPT (Smartphone-Based Recognition of Human Activities and Postural Transitions, v2.1)",
  citation:
    "Reyes-Ortiz JL, Oneto L, Samà A, Parra X, Anguita D. Transition-Aware Human Activity " +
    "Recognition Using Smartphones. Neurocomputing 171:754-767 (2016). DOI 10.24432/C54G7M",
  licence: "CC BY 4.0",
};

/** The paper's HARTH recipe (spec §4), shared by HARTH and its HAPT substitute. */
const HAR_RECIPE = { nFft: 50, hop: 25, T: 119, shift: 24 } as const;

/** The plan fields of {@linkcode HAR_RECIPE} for a loader of these channels. */
function harRecipe(channels: readonly string[]): Pick<DatasetPlan, "recipe" | "T" | "shift"> {
  const { nFft, hop, T, shift } = HAR_RECIPE;
  return {
    recipe: { nFft, hop, winLength: nFft, window: "hann (periodic)", center: false, channels },
    T,
    shift,
  };
}

/**
 * "hapt": UCI HAPT raw signals with the HARTH recipe (spec §4): 6 channels
 * (acc x/y/z, gyro x/y/z) at 50 Hz, STFT `nFft 50, hop 25` per channel →
 * 26 bins × 6 = F = 156; T = 119 frames, shift 24; 12 activity classes
 * (unlabelled samples −1). Split by user (30 users: fold 0 trains on users
 * 1–21, evaluates 22–30). Quick: every 3rd user of each split, first
 * experiment only.
 */
export async function loadHapt(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = datasetFolder(options.dataDir, "hapt", "RawData");
  const list = listHaptRecordings(dir);
  const labelsFile = join(dir, "RawData", "labels.txt");
  const segments = readHaptLabels(dir);
  const { nFft, hop } = HAR_RECIPE;
  return await buildDataset({
    name: "hapt",
    fs: HAPT_FS,
    ...harRecipe(HAPT_CHANNEL_NAMES),
    classNames: HAPT_CLASS_NAMES,
    recordings: list.map(({ experiment, user }) => {
      const files = haptFiles(dir, experiment, user);
      return {
        id: `exp${String(experiment).padStart(2, "0")}_user${String(user).padStart(2, "0")}`,
        subject: `user${String(user).padStart(2, "0")}`,
        files: [files.acc, files.gyro],
      };
    }),
    sharedFiles: [labelsFile],
    quickStride: 3,
    featurise: (entry) => {
      const m = /^exp(\d+)_user(\d+)$/.exec(entry.id)!;
      const rec = readHaptRecording(dir, Number(m[1]), Number(m[2]));
      const labels = haptSampleLabels(segments, rec.experiment, rec.user, rec.nSamples, labelsFile);
      let unlabelled = 0;
      for (const l of labels) if (l < 0) unlabelled++;
      return {
        id: entry.id,
        ...framedRecording(rec.channels, labels, nFft, hop),
        excluded: { unlabelled },
      };
    },
    notes: [
      "substitute for HARTH: smartphone on the waist (acc + gyro) instead of back/thigh accelerometers; " +
      "same 50 Hz rate and recipe (nFft 50, hop 25, T 119, shift 24), F = 156",
      "classes are HAPT's 12 activities (6 basic + 6 postural transitions), not HARTH's",
      "samples outside labels.txt segments are unlabelled (−1); a frame whose unlabelled samples are at " +
      "least as many as its most frequent activity's is −1",
      "split by user instead of the reference's 50/50 window split (D5)",
    ],
    source: HAPT_SOURCE,
  }, options);
}

// ---------------------------------------------------------------------------
// HARTH

/**
 * "harth": HARTH CSV files (one per subject) in `dataDir/harth`, the
 * reference recipe of spec §4 (6 channels, STFT 50/25, F = 156, T = 119,
 * shift 24). Split by subject (file). Quick: every 3rd subject of each split.
 */
export async function loadHarth(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const base = options.dataDir ?? defaultDataDir();
  const dir = exists(join(base, "harth")) ? join(base, "harth") : base;
  const names = listHarthFiles(dir);
  const { nFft, hop } = HAR_RECIPE;
  return await buildDataset({
    name: "harth",
    fs: HARTH_FS,
    ...harRecipe(HARTH_CHANNEL_NAMES),
    classNames: HARTH_CLASS_NAMES,
    recordings: names.map((name) => {
      const id = name.replace(/\.csv$/i, "");
      return { id, subject: id, files: [join(dir, name)] };
    }),
    sharedFiles: [],
    quickStride: 3,
    featurise: (entry) => {
      const rec = readHarthCsv(entry.files[0]);
      return {
        id: entry.id,
        ...framedRecording(rec.channels, rec.labels, nFft, hop),
        excluded: { droppedNaNRows: rec.droppedRows },
      };
    },
    notes: [
      "rows with a missing/NaN value are dropped before framing (reference dropna)",
      "split by subject file instead of the reference's 50/50 window split (D5)",
    ],
    source: {
      name: "HARTH (Human Activity Recognition Trondheim)",
      citation:
        "Logacjov A, Bach K, Kongsvold A, Bårdstu HB, Mork PJ. HARTH: A Human Activity Recognition " +
        "Dataset for Machine Learning. Sensors 21(23):7853 (2021).",
      licence: "CC BY 4.0",
    },
  }, options);
}

// ---------------------------------------------------------------------------
// ECG (MIT-BIH Arrhythmia, AFDB)

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

/** MIT-BIH records from the same subject (Moody & Mark: 201 and 202). */
const SAME_SUBJECT: Readonly<Record<string, string>> = { "201": "201+202", "202": "201+202" };

/**
 * The split unit of a sequence's recording id: the HAR user
 * (`exp01_user01` → `user01`), the MIT-BIH subject (records 201 and 202 are
 * one), else the recording itself (ECG records, DREAMS excerpts, Sleep-EDF
 * nights). Folds, the probe's inner cross-validation and the bootstrap resample
 * these units.
 *
 * @example
 * ```ts
 * import { subjectOfRecording } from "./datasets.ts";
 * subjectOfRecording("hapt", "exp03_user02"); // "user02"
 * ```
 */
export function subjectOfRecording(dataset: string, recording: string): string {
  const user = /user\d+/.exec(recording);
  if (user && (dataset === "hapt" || dataset === "harth")) return user[0];
  if (dataset === "mitdb") return SAME_SUBJECT[recording] ?? recording;
  if (dataset === "sleep-edf" && /^SC4\d\d/.test(recording)) return `SC4${recording.slice(3, 5)}`;
  return recording;
}

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

function ecgPlan(
  name: "mitdb" | "afdb",
  dir: string,
  records: string[],
  source: NonNullable<DatasetMeta["source"]>,
  quickStride: number,
  nativeFs: number,
  notes: string[],
): DatasetPlan {
  const nFft = 1500, hop = 750;
  return {
    name,
    fs: ECG_FS,
    recipe: {
      nFft,
      hop,
      winLength: nFft,
      window: "hann (periodic)",
      center: false,
      resampleTo: ECG_FS,
      resample: "scipy.signal.resample_poly (Kaiser β 5); labels by nearest earlier native sample",
      leads: 2,
    },
    classNames: ECG_CLASS_NAMES,
    T: 200,
    shift: 200,
    recordings: records.map((r) => ({
      id: r,
      subject: SAME_SUBJECT[r] && name === "mitdb" ? SAME_SUBJECT[r] : r,
      files: [join(dir, `${r}.hea`), join(dir, `${r}.dat`), join(dir, `${r}.atr`)],
    })),
    sharedFiles: [],
    quickStride,
    featurise: (entry) => {
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
    },
    notes: [
      `both leads resampled from the native rate to ${ECG_FS} Hz so the paper's recipe applies unchanged ` +
      "(nFft 1500 = 6 s, hop 750, F = 751 × 2 = 1502)",
      "rhythm labels from the aux notes: AFIB, AFL, J and NOD → J, N; other rhythms and samples before " +
      "the first rhythm note are excluded (−1), counted in extra.excludedSamples (native samples)",
      "T = 200 non-overlapping frames per record (never across records, unlike the reference's " +
      "concatenated stream, D5); split by record/subject instead of the first 80 % / last 20 % of the stream",
      'the reference uses raw STFT magnitudes; normalisation "none" reproduces that',
      ...notes,
    ],
    source,
    extra: { nativeFs, leads: "the first two signals of each record" },
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
  const dir = datasetFolder(options.dataDir, "mitdb", "100.hea");
  return await buildDataset(
    ecgPlan(
      "mitdb",
      dir,
      wfdbRecords(dir, "mitdb"),
      {
        name: "MIT-BIH Arrhythmia Database v1.0.0 (PhysioNet)",
        citation:
          "Moody GB, Mark RG. The impact of the MIT-BIH Arrhythmia Database. IEEE Eng in Med and " +
          "Biol 20(3):45-50 (2001); Goldberger AL et al. PhysioBank, PhysioToolkit, and PhysioNet. " +
          "Circulation 101(23):e215-e220 (2000).",
        licence: "ODC-By 1.0",
      },
      3,
      360,
      [
        "substitute for the MIT-BIH AFDB: few AFL/J frames; many records hold only N",
      ],
    ),
    options,
  );
}

/**
 * "afdb": MIT-BIH Atrial Fibrillation Database (`dataDir/afdb`, 250 Hz, no
 * resampling needed) with the same pipeline as "mitdb"; records lacking a
 * `.dat` file (00735, 03665) are skipped. Quick: every 4th record.
 */
export async function loadAfdb(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = datasetFolder(options.dataDir, "afdb", "04015.hea");
  return await buildDataset(
    ecgPlan(
      "afdb",
      dir,
      wfdbRecords(dir, "afdb"),
      {
        name: "MIT-BIH Atrial Fibrillation Database v1.0.0 (PhysioNet)",
        citation:
          "Moody GB, Mark RG. A new method for detecting atrial fibrillation using R-R intervals. " +
          "Computers in Cardiology 10:227-230 (1983); Goldberger AL et al., Circulation 101(23):e215-e220 (2000).",
        licence: "ODC-By 1.0",
      },
      4,
      250,
      [],
    ),
    options,
  );
}

// ---------------------------------------------------------------------------
// Sleep-EDF

/** Label of the EEG channel used from each PSG file. */
export const SLEEP_EDF_CHANNEL = "EEG Fpz-Cz";

/** Wake kept before the first and after the last sleep epoch (epochs of 30 s). */
const SLEEP_EDF_WAKE_MARGIN_EPOCHS = 60;

/**
 * "sleep-edf": Sleep-EDF sleep-cassette nights in `dataDir/sleep-edf`
 * (`SC4ssN?0-PSG.edf` with its `SC4ssN??-Hypnogram.edf`). EEG Fpz-Cz at
 * 100 Hz, STFT `nFft = hop = 178` → F = 90; 30-s epoch stages W, N1, N2, N3
 * (3 and 4), REM (movement and unscored −1); each night trimmed to 30 min of
 * wake before the first and after the last sleep epoch; T = 200
 * non-overlapping frames. Split by subject `ss`. Quick: every 4th subject.
 */
export async function loadSleepEdf(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const base = options.dataDir ?? defaultDataDir();
  const dir = exists(join(base, "sleep-edf")) ? join(base, "sleep-edf") : base;
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) names.push(entry.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const hypnograms = names.filter((n) => /^SC4\d{3}.*-Hypnogram\.edf$/.test(n));
  const pairs = sortIds(names.filter((n) => /^SC4\d{3}.*-PSG\.edf$/.test(n))).flatMap((psg) => {
    const hyp = hypnograms.find((h) => h.slice(0, 6) === psg.slice(0, 6));
    return hyp ? [{ psg, hyp }] : [];
  });
  if (pairs.length < 2) {
    throw new MissingDataError(
      `sleep-edf: found ${pairs.length} PSG/hypnogram pairs in ${dir}; expected SC4ssN?0-PSG.edf files with ` +
        "their SC4ssN??-Hypnogram.edf (PhysioNet sleep-edfx sleep-cassette; fetch with `deno task data`).",
    );
  }
  const nFft = 178;
  const epochSamples = 3000;
  return await buildDataset({
    name: "sleep-edf",
    fs: 100,
    recipe: {
      nFft,
      hop: nFft,
      winLength: nFft,
      window: "hann (periodic)",
      center: false,
      channel: SLEEP_EDF_CHANNEL,
    },
    classNames: SLEEP_STAGE_NAMES,
    T: 200,
    shift: 200,
    recordings: pairs.map(({ psg, hyp }) => ({
      id: psg.slice(0, 6),
      subject: `SC4${psg.slice(3, 5)}`,
      files: [join(dir, psg), join(dir, hyp)],
    })),
    sharedFiles: [],
    quickStride: 4,
    featurise: (entry) => {
      const [psgPath, hypPath] = entry.files;
      const edf = readEdf(psgPath, { label: SLEEP_EDF_CHANNEL });
      const eeg = edf.signals[0];
      if (!eeg || Math.abs(eeg.fs - 100) > 1e-9) {
        throw new DataFormatError(
          psgPath,
          SLEEP_EDF_CHANNEL,
          "a 100 Hz signal",
          eeg ? `${eeg.fs} Hz` : "absent",
        );
      }
      const nEpochs = Math.floor(eeg.data.length / epochSamples);
      const stages = readSleepEdfHypnogram(hypPath, { nEpochs });
      let first = -1, last = -1;
      for (let e = 0; e < nEpochs; e++) {
        if (stages[e] > 0) {
          if (first < 0) first = e;
          last = e;
        }
      }
      if (first < 0) {
        throw new DataFormatError(
          hypPath,
          "stages",
          "at least one sleep epoch",
          "only wake/unscored",
        );
      }
      const from = Math.max(0, first - SLEEP_EDF_WAKE_MARGIN_EPOCHS);
      const to = Math.min(nEpochs, last + 1 + SLEEP_EDF_WAKE_MARGIN_EPOCHS);
      const signal = eeg.data.subarray(from * epochSamples, to * epochSamples);
      const labels = new Int32Array(signal.length);
      let excluded = 0;
      for (let e = from; e < to; e++) {
        labels.fill(stages[e], (e - from) * epochSamples, (e - from + 1) * epochSamples);
        if (stages[e] < 0) excluded += epochSamples;
      }
      return {
        id: entry.id,
        ...framedRecording([signal], labels, nFft, nFft),
        excluded: { "movement/unscored": excluded },
      };
    },
    notes: [
      "raw Fpz-Cz nights instead of the TF-C SleepEEG tensors; frames labelled per sample with the argmax " +
      "rule, so the D5 label drift cannot occur",
      "nights trimmed to 30 min of wake before the first and after the last sleep epoch",
      "split by subject instead of train.pt/val.pt",
    ],
    source: {
      name: "Sleep-EDF Database Expanded v1.0.0, sleep cassette (PhysioNet)",
      citation:
        "Kemp B, Zwinderman AH, Tuk B, Kamphuisen HAC, Oberyé JJL. Analysis of a sleep-dependent " +
        "neuronal feedback loop: the slow-wave microcontinuity of the EEG. IEEE-BME 47(9):1185-1194 (2000).",
      licence: "ODC-By 1.0",
    },
  }, options);
}

// ---------------------------------------------------------------------------
// Synthetic

/**
 * "synthetic": seeded two-channel signals at 50 Hz switching between four
 * regimes of different spectra (see `synthetic.ts`), 4 minutes per
 * recording, one recording per subject (30, or 10 in the quick profile).
 * STFT 50/25 per channel → F = 52; T = 100, shift 50. Needs no files.
 */
export async function loadSynthetic(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const seed = options.seed ?? 0;
  const n = options.profile === "quick" ? 10 : 30;
  const nFft = 50, hop = 25;
  return await buildDataset({
    name: "synthetic",
    fs: SYNTHETIC_FS,
    recipe: {
      nFft,
      hop,
      winLength: nFft,
      window: "hann (periodic)",
      center: false,
      seed,
      nRecordings: n,
    },
    classNames: SYNTHETIC_CLASS_NAMES,
    T: 100,
    shift: 50,
    recordings: Array.from({ length: n }, (_, i) => {
      const id = `syn${String(i).padStart(2, "0")}`;
      return { id, subject: id, files: [] };
    }),
    sharedFiles: [],
    quickStride: 1,
    featurise: (entry) => {
      const rec = syntheticRecording(seed * 1000 + Number(entry.id.slice(3)), {
        nSamples: 4 * 60 * SYNTHETIC_FS,
      });
      return { id: entry.id, ...framedRecording(rec.channels, rec.labels, nFft, hop) };
    },
    notes: ["synthetic regimes with known segment labels; no paper counterpart"],
    source: {
      name: "synthetic (generated)",
      citation: "generated by lib/data/synthetic.ts",
      licence: "n/a",
    },
  }, options);
}

// ---------------------------------------------------------------------------
// Registry

/** Registry of dataset loaders by name; add a dataset with one line. */
export const DATASET_LOADERS: Record<string, DatasetLoader> = {
  synthetic: loadSynthetic,
  hapt: loadHapt,
  harth: loadHarth,
  mitdb: loadMitdb,
  afdb: loadAfdb,
  "sleep-edf": loadSleepEdf,
  dreams: loadDreamsDataset,
};

/**
 * Loads a featurised dataset by registry name.
 *
 * @example The synthetic dataset, featurised without touching the cache
 * ```ts
 * import { loadDataset } from "./datasets.ts";
 *
 * const ds = await loadDataset("synthetic", { profile: "quick", seed: 1, cache: false });
 * console.log(ds.name, ds.classNames, ds.train.nSequences, ds.T, ds.F); // [n, T, F] in train.x
 * ```
 *
 * @returns sequences `train.x [n, T, F]`, `train.y [n, T]` (same for eval)
 *   and metadata; `meta.extra.cacheHit` says whether it came from the cache.
 * @throws {OptionError} for an unknown name or option.
 * @throws {MissingDataError} naming the expected files when data are absent.
 */
export async function loadDataset(
  name: string,
  options: LoadDatasetOptions = {},
): Promise<Dataset> {
  const loader = DATASET_LOADERS[name];
  if (!loader) {
    throw new OptionError(
      `unknown dataset ${JSON.stringify(name)}; known: ${Object.keys(DATASET_LOADERS).join(", ")}`,
    );
  }
  return await loader(options);
}
