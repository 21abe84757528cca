/**
 * The "dreams" dataset: every excerpt featurised with the 100-Hz frame recipe
 * (`dreams_frames.ts`, `[1011, 90]` frames), 5 non-overlapping sequences of
 * `T = 200` frames per excerpt, 4-fold cross-validation by excerpt. Built and cached by the one pipeline
 * (`build.ts`); the published fingerprint and metadata are the recipe's own.
 *
 * @module
 */
import { OptionError } from "../../errors.ts";
import { dataDir as defaultDataDir } from "../../paths.ts";
import { makeRng, sampleWithoutReplacement } from "../../random.ts";
import {
  DREAMS_CLASS_NAMES,
  DREAMS_EXCERPTS,
  dreamsFileList,
  readDreamsExcerpt,
  readDreamsHypnogram,
  resolveDreamsDir,
} from "../dreams.ts";
import { sha256Hex } from "../hash.ts";
import type { Dataset, DatasetMeta, SequenceSplit } from "../types.ts";
import {
  type BuildContext,
  buildDataset,
  type BuiltDataset,
  classCounts,
  type LoadDatasetOptions,
  type Normalisation,
  type RecordingEntry,
  type RecordingFeatures,
} from "./build.ts";
import { DREAMS_BINS, DREAMS_FRAMES, DREAMS_RECIPE, dreamsFramesOf } from "./dreams_frames.ts";
import type { SubjectSplit } from "./split.ts";

/** Number of cross-validation folds. */
export const DREAMS_FOLDS = 4;

/** Excerpt numbers evaluated in fold `k`: `{k+1, k+5}`. */
export function dreamsFoldExcerpts(fold: number): { train: number[]; eval: number[] } {
  if (!Number.isInteger(fold) || fold < 0 || fold >= DREAMS_FOLDS) {
    throw new OptionError(`DREAMS fold must be an integer 0…${DREAMS_FOLDS - 1}, got ${fold}`);
  }
  const evalSet = [fold + 1, fold + 5];
  const train = [];
  for (let n = 1; n <= DREAMS_EXCERPTS; n++) if (!evalSet.includes(n)) train.push(n);
  return { train, eval: evalSet };
}

/** Sequences of `T` frames per excerpt: `⌊1011 / 200⌋ = 5` (the 11-frame tail is dropped). */
export const DREAMS_SEQUENCES_PER_EXCERPT = Math.floor(DREAMS_FRAMES / DREAMS_RECIPE.T);

/** What the metadata needs to know of each featurised excerpt. */
interface DreamsInfo {
  /** Excerpt number 1…8. */
  n: number;
  channel: string;
  nativeFs: number;
  /** Whether any of its 1011 frames is REM. */
  hasRem: boolean;
}

const excerptId = (n: number) => `excerpt${n}`;

const DREAMS_SOURCE = {
  name: "DREAMS Sleep Spindles database (University of Mons, TCTS Lab)",
  citation: "Devuyst S, Dutoit T, Stenuit P, Kerkhofs M. Automatic sleep spindles " +
    "detection — overview and development of a standard proposal assessment method. " +
    "Proc. 33rd Annual Int. Conf. IEEE EMBS, 1713–1716 (2011). " +
    "Database: Devuyst S. The DREAMS Databases and Assessment Algorithm. Zenodo (2005), " +
    "doi:10.5281/zenodo.2650142.",
  licence: "CC BY-NC-ND 3.0",
};

/** The notes every fold carries first. */
const DREAMS_NOTES: readonly string[] = [
  `Substitute for the paper's SleepEEG (TF-C Sleep-EDF tensors): the DREAMS Sleep Spindles ` +
  `database, 8 × 30-min single-channel EEG excerpts scored in 5-s blocks (R&K; S3 + S4 = N3).`,
  `Every excerpt is resampled to 100 Hz (scipy resample_poly, Kaiser β = 5) so the reference ` +
  `STFT (nFft = win = hop = 178, 90 bins) applies unchanged.`,
  `Frame labels: majority stage over the frame's 178 samples (ties to the smaller class); ` +
  `frames whose majority is movement/unknown are −1.`,
];

const DREAMS_NORMALISATION_NOTES: Record<Normalisation, string> = {
  train: "Features z-scored per bin with training-split statistics only.",
  all: "Features z-scored per bin with statistics over BOTH splits (leaky reference option, D5).",
  none: "Raw STFT magnitudes (no normalisation, as the reference does for SleepEEG).",
};

/** The fold's excerpts as a split: evaluates `{k+1, k+5}`, trains on the other six. */
function dreamsSplit(_subjects: string[], fold: number): SubjectSplit {
  const split = dreamsFoldExcerpts(fold);
  return {
    train: split.train.map(excerptId),
    eval: split.eval.map(excerptId),
    rule: `4-fold cross-validation by excerpt: fold ${fold} evaluates on excerpts ` +
      `${split.eval.join(" and ")} and trains on the other six (${split.train.join(", ")}).`,
  };
}

/** Excerpt number of a recording id `excerptN`. */
function excerptNumber(entry: RecordingEntry): number {
  return Number(entry.id.slice("excerpt".length));
}

/**
 * The published DREAMS fingerprint: the first 16 hex digits of the SHA-256 of
 * `{recipe, fold, normalisation, files}`, `files` holding per excerpt (1…8)
 * the SHA-256 of its excerpt file followed by that of its hypnogram.
 */
function dreamsFingerprint(context: BuildContext): string {
  const sha = new Map(context.stamps.map((s) => [s.path, s.sha256]));
  const excerpts = [...context.selected.train, ...context.selected.eval]
    .sort((a, b) => excerptNumber(a) - excerptNumber(b));
  return sha256Hex(JSON.stringify({
    recipe: DREAMS_RECIPE,
    fold: context.fold,
    normalisation: context.normalisation,
    files: excerpts.map((r) => r.files.map((f) => sha.get(f) ?? "").join("")),
  })).slice(0, 16);
}

/** One excerpt featurised ({@linkcode dreamsFramesOf}), cut to its whole sequences. */
async function dreamsFeatures(entry: RecordingEntry): Promise<RecordingFeatures<DreamsInfo>> {
  const [excerptPath, hypnogramPath] = entry.files;
  const [excerpt, codes] = await Promise.all([
    readDreamsExcerpt(excerptPath),
    readDreamsHypnogram(hypnogramPath),
  ]);
  const frames = dreamsFramesOf(excerpt, codes);
  const kept = DREAMS_SEQUENCES_PER_EXCERPT * DREAMS_RECIPE.T;
  return {
    id: entry.id,
    frames: frames.features.subarray(0, kept * DREAMS_BINS),
    labels: Int32Array.from(frames.frameLabels.subarray(0, kept)),
    info: {
      n: excerptNumber(entry),
      channel: frames.channel,
      nativeFs: frames.nativeFs,
      hasRem: frames.frameLabels.includes(4),
    },
  };
}

/** Notes that depend on the excerpts: band-limited ones, where REM occurs, the dropped tail. */
function dreamsNotes(excerpts: readonly DreamsInfo[], normalisation: Normalisation): string[] {
  const T = DREAMS_RECIPE.T;
  const bandLimited = excerpts.filter((e) => e.nativeFs / 2 < DREAMS_RECIPE.fs / 2 - 1e-9);
  const withRem = excerpts.filter((e) => e.hasRem);
  return [
    ...DREAMS_NOTES,
    ...bandLimited.map((e) =>
      `${excerptId(e.n)} was recorded at ${e.nativeFs} Hz: its features carry nothing above ` +
      `${e.nativeFs / 2} Hz (bins above that are ≈ 0 after resampling).`
    ),
    `REM occurs only in ${withRem.map((e) => excerptId(e.n)).join(", ") || "no excerpt"}; folds ` +
    `whose evaluation excerpts lack a class cluster with K = classes present.`,
    `Each excerpt gives ${DREAMS_SEQUENCES_PER_EXCERPT} sequences of ${T} frames; the last ` +
    `${DREAMS_FRAMES % T} frames of each excerpt are dropped.`,
    DREAMS_NORMALISATION_NOTES[normalisation],
  ];
}

/** The metadata of a DREAMS fold: channels, native rates, band limits, REM, excluded frames. */
function dreamsMeta(built: BuiltDataset<DreamsInfo>): DatasetMeta {
  const excerpts = [...built.featurised.train, ...built.featurised.eval]
    .map((r) => r.info).sort((a, b) => a.n - b.n);
  const k = DREAMS_CLASS_NAMES.length;
  const evalClasses = classCounts(built.eval.y, k);
  const bandLimited = excerpts.filter((e) => e.nativeFs / 2 < DREAMS_RECIPE.fs / 2 - 1e-9);
  return {
    fs: DREAMS_RECIPE.fs,
    recipe: { ...DREAMS_RECIPE, normalisation: built.normalisation },
    splitRule: built.split.rule,
    subjects: built.subjects,
    fingerprint: built.fingerprint,
    classCounts: { train: classCounts(built.train.y, k), eval: evalClasses },
    notes: dreamsNotes(excerpts, built.normalisation),
    source: DREAMS_SOURCE,
    extra: {
      cacheHit: false,
      profile: built.profile,
      fold: built.fold,
      normalisation: built.normalisation,
      channel: Object.fromEntries(excerpts.map((e) => [excerptId(e.n), e.channel])),
      nativeFs: Object.fromEntries(excerpts.map((e) => [excerptId(e.n), e.nativeFs])),
      bandLimited: bandLimited.map((e) => ({
        excerpt: excerptId(e.n),
        nativeFs: e.nativeFs,
        maxFrequencyHz: e.nativeFs / 2,
      })),
      remExcerpts: excerpts.filter((e) => e.hasRem).map((e) => excerptId(e.n)),
      evalClassesPresent: evalClasses.flatMap((c, i) => (c > 0 ? [i] : [])),
      framesPerExcerpt: DREAMS_FRAMES,
      sequencesPerExcerpt: DREAMS_SEQUENCES_PER_EXCERPT,
      excludedFrames: {
        train: built.train.y.filter((c) => c < 0).length,
        eval: built.eval.y.filter((c) => c < 0).length,
      },
    },
  };
}

/**
 * Loads the "dreams" dataset: every excerpt featurised with the 100-Hz recipe
 * (`[1011, 90]` frames), cut into 5 non-overlapping sequences of `T = 200`
 * frames (the 11-frame tail is dropped), `F = 90`, classes W N1 N2 N3 REM.
 *
 * Fold `k` (0…3) evaluates on excerpts {k+1, k+5} and trains on the other six.
 * With `normalisation = "train"` the features of both splits are z-scored with
 * the per-feature mean and population std of the training frames only. The
 * profile changes nothing but `meta.extra.profile`. Cached like every dataset
 * (`buildDataset`).
 *
 * @returns `train.x [30, 200, 90]`, `eval.x [10, 200, 90]`, labels `[n, 200]`
 * (−1 = excluded).
 * @throws {MissingDataError} naming the expected files when the folder is incomplete.
 * @throws {DataFormatError} naming file and line when a file is malformed.
 * @throws {OptionError} for a fold outside 0…3 or an unknown normalisation.
 */
export async function loadDreamsDataset(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const files = dreamsFileList(resolveDreamsDir(options.dataDir ?? defaultDataDir()));
  return await buildDataset<DreamsInfo>({
    name: "dreams",
    fs: DREAMS_RECIPE.fs,
    recipe: { ...DREAMS_RECIPE },
    classNames: DREAMS_CLASS_NAMES,
    T: DREAMS_RECIPE.T,
    shift: DREAMS_RECIPE.T,
    recordings: files.map((f, i) => ({
      id: excerptId(i + 1),
      subject: excerptId(i + 1),
      files: [f.excerpt, f.hypnogram],
    })),
    sharedFiles: [],
    quickStride: null,
    featurise: dreamsFeatures,
    notes: [...DREAMS_NOTES],
    source: DREAMS_SOURCE,
    split: dreamsSplit,
    fingerprint: dreamsFingerprint,
    describe: dreamsMeta,
  }, options);
}

/** A class-balanced sample of evaluation frames for clustering. */
export interface DreamsClusteringSubset {
  /** Flat frame indices `sequence·T + t` into the split, grouped by class. */
  indices: Int32Array;
  /** `[indices.length]` labels of the drawn frames. */
  labels: Int32Array;
  /** Classes present in the split (ascending); K = `classes.length`. */
  classes: number[];
  /** Frames drawn per class id (0 for absent classes). */
  counts: number[];
  /** Frames available per class id. */
  available: number[];
  /** Number of clusters to ask k-means for: the classes present. */
  K: number;
}

/**
 * Draws `min(perClass, available)` frames without replacement for every class
 * present in the split (seeded), as the reference's class-balanced clustering
 * subset does, except that a short class is taken whole instead of failing.
 *
 * @param split The evaluation split (`y` is `[nSequences, T]`).
 */
export function dreamsClusteringSubset(
  split: SequenceSplit,
  { perClass = 1000, seed }: { perClass?: number; seed: number },
): DreamsClusteringSubset {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new OptionError(`perClass must be a positive integer, got ${perClass}`);
  }
  const k = DREAMS_CLASS_NAMES.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < split.y.length; i++) if (split.y[i] >= 0) byClass[split.y[i]].push(i);
  const rng = makeRng(seed);
  const indices: number[] = [];
  const labels: number[] = [];
  const counts = new Array<number>(k).fill(0);
  const classes: number[] = [];
  for (let c = 0; c < k; c++) {
    const pool = byClass[c];
    if (pool.length === 0) continue;
    classes.push(c);
    const take = Math.min(perClass, pool.length);
    for (const j of sampleWithoutReplacement(pool.length, take, rng)) {
      indices.push(pool[j]);
      labels.push(c);
    }
    counts[c] = take;
  }
  return {
    indices: Int32Array.from(indices),
    labels: Int32Array.from(labels),
    classes,
    counts,
    available: byClass.map((p) => p.length),
    K: classes.length,
  };
}
