/**
 * The one dataset pipeline. A recipe describes its recordings and how to
 * featurise one ({@linkcode DatasetPlan}); {@linkcode buildDataset} does the
 * rest, the same way for every dataset:
 *
 * 1. check the options (profile, fold, normalisation) once;
 * 2. split by subject ({@linkcode splitSubjects}, or the recipe's own folds);
 * 3. (`profile: "quick"`) keep every k-th subject of each split, first recording each;
 * 4. stamp the files (name, size, SHA-256) → cache key and fingerprint; a hit in
 *    the dataset cache (`cache.ts`) returns the stored arrays;
 * 5. per recording: the recipe's featurisation (`[nFrames, F]` frames, `[nFrames]` labels);
 * 6. z-score with training statistics ({@linkcode splitZScoreStats});
 * 7. cut each recording into sequences of `T` frames that never cross it
 *    ({@linkcode windowSequences});
 * 8. the metadata (the recipe's own, or {@linkcode standardMeta}), then the cache entry.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError, OptionError } from "../../errors.ts";
import { dataDir as defaultDataDir } from "../../paths.ts";
import {
  applyZScore,
  frameLabels,
  splitZScoreStats,
  stackChannels,
  stftMagnitude,
  windowSequences,
} from "../../features/mod.ts";
import {
  datasetFingerprint,
  type FileStamp,
  fileStamps,
  readCachedDataset,
  writeCachedDataset,
} from "../cache.ts";
import type { Dataset, DatasetMeta, Profile, SequenceSplit } from "../types.ts";
import { splitSubjects, type SubjectSplit } from "./split.ts";

/** Feature normalisation: training statistics (default), all frames (the D5 leak), or none. */
export type Normalisation = "train" | "all" | "none";

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
  normalisation?: Normalisation;
  /** Cache folder, or `false` to featurise without caching; default `cacheDir()`. */
  cache?: string | false;
}

/** A registry entry. */
export type DatasetLoader = (options: LoadDatasetOptions) => Promise<Dataset>;

/** One recording before featurisation. */
export interface RecordingEntry {
  /** Recording id, e.g. "exp01_user01" or "100". */
  id: string;
  /** Split unit (user, patient). */
  subject: string;
  /** Files read for this recording (for the fingerprint). */
  files: string[];
}

/** One featurised recording; `info` carries what a recipe's metadata needs. */
export type RecordingFeatures<Info = undefined> =
  & {
    id: string;
    /** `[nFrames, F]` row-major. */
    frames: Float32Array;
    /** `[nFrames]` frame labels (−1 excluded). */
    labels: Int32Array;
    /** Excluded samples by reason (merged into `meta.extra.excludedSamples`). */
    excluded?: Record<string, number>;
  }
  /** Recipe-specific facts about the recording (e.g. its channel and native rate). */
  & (undefined extends Info ? { info?: Info } : { info: Info });

/** The options after checking, and what was selected from them. */
export interface BuildContext {
  profile: Profile;
  fold: number;
  normalisation: Normalisation;
  /** The fold's split, with the quick profile's rule appended. */
  split: SubjectSplit;
  /** Subjects kept by the profile. */
  subjects: { train: string[]; eval: string[] };
  /** Recordings kept by the profile, in the plan's order. */
  selected: { train: RecordingEntry[]; eval: RecordingEntry[] };
  /** The plan's recipe with `T`, `shift` and `normalisation` (hashed into the cache key). */
  recipe: Record<string, unknown>;
  /** Stamps of the shared and selected files, sorted by path. */
  stamps: FileStamp[];
}

/** The context and the arrays, handed to the recipe's metadata. */
export interface BuiltDataset<Info = undefined> extends BuildContext {
  fingerprint: string;
  featurised: { train: RecordingFeatures<Info>[]; eval: RecordingFeatures<Info>[] };
  F: number;
  train: SequenceSplit;
  eval: SequenceSplit;
}

/** Everything a recipe describes; {@linkcode buildDataset} does the rest. */
export interface DatasetPlan<Info = undefined> {
  name: string;
  fs: number;
  recipe: Record<string, unknown>;
  classNames: readonly string[];
  T: number;
  shift: number;
  recordings: RecordingEntry[];
  /** Files shared by all recordings (e.g. labels.txt). */
  sharedFiles: string[];
  /** Every k-th subject in the quick profile; `null` when the profile selects nothing. */
  quickStride: number | null;
  featurise(recording: RecordingEntry): RecordingFeatures<Info> | Promise<RecordingFeatures<Info>>;
  notes: string[];
  source: NonNullable<DatasetMeta["source"]>;
  extra?: Record<string, unknown>;
  /** The recipe's own folds (default {@linkcode splitSubjects}). */
  split?: (subjects: string[], fold: number) => SubjectSplit;
  /** The recipe's published fingerprint (default: the cache key). */
  fingerprint?: (context: BuildContext) => string;
  /** The recipe's own metadata (default {@linkcode standardMeta}). */
  describe?: (built: BuiltDataset<Info>) => DatasetMeta;
}

/** `dataDir/<name>` unless `dataDir` is itself the dataset folder (holds `marker`). */
export function datasetFolder(root: string | undefined, name: string, marker: string): string {
  const base = root ?? defaultDataDir();
  return exists(join(base, marker)) ? base : join(base, name);
}

/** `dataDir/<name>` when that folder exists, else `dataDir` itself (the dataset's files at its top). */
export function subfolderOrRoot(root: string | undefined, name: string): string {
  const base = root ?? defaultDataDir();
  return exists(join(base, name)) ? join(base, name) : base;
}

/** Whether a file or folder exists. */
export function exists(path: string): boolean {
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
export function framedRecording(
  channels: readonly (Float32Array | Float64Array)[],
  sampleLabels: Int32Array,
  nFft: number,
  hop: number,
): Pick<RecordingFeatures, "frames" | "labels"> {
  const stacked = stackChannels(channels.map((c) => stftMagnitude(c, { nFft, hop })));
  return { frames: stacked.data, labels: frameLabels(sampleLabels, { frameLength: nFft, hop }) };
}

/**
 * The STFT part of a recipe as the metadata records it: periodic Hann window
 * of length `nFft`, step `hop`, no centring.
 */
export function stftRecipe(nFft: number, hop: number): Record<string, unknown> {
  return { nFft, hop, winLength: nFft, window: "hann (periodic)", center: false };
}

/** Labelled frames per class: `counts[c] = #{i : y[i] = c}` for `c < k` (−1 skipped). */
export function classCounts(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of y) if (c >= 0) counts[c]++;
  return counts;
}

/** Sequences of `T` frames every `shift` frames of each recording, never across two. */
function windowsOf(
  recordings: readonly RecordingFeatures<unknown>[],
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

/** Checks the profile and normalisation options (the fold is checked by the split). */
function checkedOptions(
  options: LoadDatasetOptions,
): Pick<BuildContext, "profile" | "fold" | "normalisation"> {
  const profile = options.profile ?? "paper";
  const normalisation = options.normalisation ?? "train";
  if (!["train", "all", "none"].includes(normalisation)) {
    throw new OptionError(`normalisation must be "train", "all" or "none", got ${normalisation}`);
  }
  if (profile !== "quick" && profile !== "paper") {
    throw new OptionError(`profile must be "quick" or "paper", got ${profile}`);
  }
  return { profile, fold: options.fold ?? 0, normalisation };
}

/** Steps 1–4: options, split, profile, file stamps. */
function buildContext<Info>(plan: DatasetPlan<Info>, options: LoadDatasetOptions): BuildContext {
  const { profile, fold, normalisation } = checkedOptions(options);
  const subjectsOf = plan.recordings.map((r) => r.subject);
  const split = plan.split ? plan.split(subjectsOf, fold) : splitSubjects(subjectsOf, fold);
  let subjects = { train: split.train, eval: split.eval };
  let rule = split.rule;
  const stride = plan.quickStride;
  const quick = profile === "quick" && stride !== null;
  if (quick) {
    const every = (s: string[]) => s.filter((_, i) => i % stride === 0);
    subjects = { train: every(split.train), eval: every(split.eval) };
    rule += `; quick profile: every k-th subject of each split (k = ${stride}; ` +
      "positions 0, k, 2k … in sorted order), first recording of each";
  }
  const chosen = (names: string[]) => {
    const set = new Set(names);
    const seen = new Set<string>();
    return plan.recordings.filter((r) => {
      if (!set.has(r.subject)) return false;
      if (quick && seen.has(r.subject)) return false;
      seen.add(r.subject);
      return true;
    });
  };
  const selected = { train: chosen(subjects.train), eval: chosen(subjects.eval) };
  const files = [
    ...plan.sharedFiles,
    ...[...selected.train, ...selected.eval].flatMap((r) => r.files),
  ];
  return {
    profile,
    fold,
    normalisation,
    split: { ...split, rule },
    subjects,
    selected,
    recipe: { ...plan.recipe, T: plan.T, shift: plan.shift, normalisation },
    stamps: fileStamps(files),
  };
}

/** The cache key: SHA-256 of the file stamps, recipe, profile, fold and recordings. */
function cacheKeyOf(name: string, context: BuildContext): string {
  return datasetFingerprint(context.stamps, {
    name,
    recipe: context.recipe,
    profile: context.profile,
    fold: context.fold,
    train: context.selected.train.map((r) => r.id),
    eval: context.selected.eval.map((r) => r.id),
  });
}

/** Steps 5–7: featurise, z-score, window. */
async function featuriseSplits<Info>(
  plan: DatasetPlan<Info>,
  context: BuildContext,
  fingerprint: string,
): Promise<BuiltDataset<Info>> {
  const featurised = {
    train: [] as RecordingFeatures<Info>[],
    eval: [] as RecordingFeatures<Info>[],
  };
  for (const r of context.selected.train) featurised.train.push(await plan.featurise(r));
  for (const r of context.selected.eval) featurised.eval.push(await plan.featurise(r));
  const withFrames = featurised.train.find((r) => r.labels.length > 0);
  if (!withFrames) {
    throw new DataFormatError(plan.name, "training recordings", "at least one STFT frame", "none");
  }
  const F = withFrames.frames.length / withFrames.labels.length;
  if (context.normalisation !== "none") {
    const stats = splitZScoreStats(
      featurised.train.map((r) => r.frames),
      featurised.eval.map((r) => r.frames),
      F,
      { statsFrom: context.normalisation },
    );
    for (const r of [...featurised.train, ...featurised.eval]) applyZScore(r.frames, stats);
  }
  return {
    ...context,
    fingerprint,
    featurised,
    F,
    train: windowsOf(featurised.train, plan.T, plan.shift, F),
    eval: windowsOf(featurised.eval, plan.T, plan.shift, F),
  };
}

const NORMALISATION_NOTES: Record<Normalisation, string> = {
  train: "z-score per feature with mean and population std of the training recordings' frames only",
  all:
    "z-score statistics over training AND evaluation frames (reproduces the reference's leak, D5)",
  none: "no normalisation (raw STFT magnitudes)",
};

/**
 * The metadata of a plan without its own `describe`: recipe, split rule,
 * subjects, class counts, the plan's notes plus the normalisation's, and
 * `extra` with the profile, recordings, excluded samples by reason and the
 * recordings shorter than `T`.
 */
export function standardMeta<Info>(
  plan: DatasetPlan<Info>,
  built: BuiltDataset<Info>,
): DatasetMeta {
  const all = [...built.featurised.train, ...built.featurised.eval];
  const excludedSamples: Record<string, number> = {};
  for (const r of all) {
    for (const [reason, n] of Object.entries(r.excluded ?? {})) {
      excludedSamples[reason] = (excludedSamples[reason] ?? 0) + n;
    }
  }
  const k = plan.classNames.length;
  return {
    fs: plan.fs,
    recipe: built.recipe,
    splitRule: built.split.rule,
    subjects: built.subjects,
    fingerprint: built.fingerprint,
    classCounts: { train: classCounts(built.train.y, k), eval: classCounts(built.eval.y, k) },
    notes: [...plan.notes, NORMALISATION_NOTES[built.normalisation]],
    source: plan.source,
    extra: {
      ...plan.extra,
      profile: built.profile,
      recordings: {
        train: built.selected.train.map((r) => r.id),
        eval: built.selected.eval.map((r) => r.id),
      },
      excludedSamples,
      recordingsShorterThanT: all.filter((r) => r.labels.length < plan.T).map((r) => r.id),
      cacheHit: false,
    },
  };
}

/**
 * Applies the split, profile, featurisation, normalisation, windows and cache
 * of a plan (the steps in the module documentation).
 *
 * @returns `train.x [n, T, F]`, `train.y [n, T]` (same for eval) and the metadata;
 *   `meta.extra.cacheHit` says whether the arrays came from the cache.
 * @throws {OptionError} for an unknown profile or normalisation, or a fold out of range.
 */
export async function buildDataset<Info>(
  plan: DatasetPlan<Info>,
  options: LoadDatasetOptions,
): Promise<Dataset> {
  const context = buildContext(plan, options);
  const key = cacheKeyOf(plan.name, context);
  const cache = options.cache === false ? undefined : options.cache;
  if (options.cache !== false) {
    const hit = readCachedDataset(key, cache);
    if (hit) return { ...hit, meta: { ...hit.meta, extra: { ...hit.meta.extra, cacheHit: true } } };
  }
  const built = await featuriseSplits(plan, context, plan.fingerprint?.(context) ?? key);
  const dataset: Dataset = {
    name: plan.name,
    T: plan.T,
    F: built.F,
    classNames: [...plan.classNames],
    train: built.train,
    eval: built.eval,
    meta: plan.describe ? plan.describe(built) : standardMeta(plan, built),
  };
  if (options.cache !== false) await writeCachedDataset(key, dataset, cache);
  return dataset;
}
