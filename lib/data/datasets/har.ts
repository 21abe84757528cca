/**
 * The HAR recipes: UCI HAPT and HARTH with the paper's HARTH recipe (spec §4):
 * 6 channels at 50 Hz, STFT `nFft 50, hop 25` per channel → F = 156,
 * T = 119 frames, shift 24.
 *
 * @module
 */
import { join } from "node:path";
import {
  HAPT_CHANNEL_NAMES,
  HAPT_CLASS_NAMES,
  HAPT_FS,
  haptFiles,
  haptSampleLabels,
  listHaptRecordings,
  readHaptLabels,
  readHaptRecording,
} from "../hapt.ts";
import {
  HARTH_CHANNEL_NAMES,
  HARTH_CLASS_NAMES,
  HARTH_FS,
  listHarthFiles,
  readHarthCsv,
} from "../harth.ts";
import type { Dataset } from "../types.ts";
import {
  buildDataset,
  datasetFolder,
  type DatasetPlan,
  framedRecording,
  type LoadDatasetOptions,
  type RecordingEntry,
  stftRecipe,
  subfolderOrRoot,
} from "./build.ts";

/** The paper's HARTH recipe (spec §4), shared by HARTH and its HAPT substitute. */
const HAR_RECIPE = { nFft: 50, hop: 25, T: 119, shift: 24 } as const;

/** What a HAR loader reads of one recording: its channels, per-sample labels and what it left out. */
interface HarSignals {
  channels: readonly (Float32Array | Float64Array)[];
  /** Per-sample classes (−1 unlabelled). */
  labels: Int32Array;
  /** Excluded samples (or rows) by reason. */
  excluded: Record<string, number>;
}

/** A HAR loader's part of the plan: the recipe, quick stride and framing are {@linkcode buildHar}'s. */
type HarPlan =
  & Omit<DatasetPlan, "recipe" | "T" | "shift" | "quickStride" | "featurise">
  & {
    /** Channel names, in feature order. */
    channels: readonly string[];
    /** Reads one recording. */
    read(entry: RecordingEntry): HarSignals;
  };

/** Which data set a HAR loader builds: name, rate, channels, classes and source. */
type HarIdentity = Pick<HarPlan, "name" | "fs" | "channels" | "classNames" | "source">;

const HAPT: HarIdentity = {
  name: "hapt",
  fs: HAPT_FS,
  channels: HAPT_CHANNEL_NAMES,
  classNames: HAPT_CLASS_NAMES,
  source: {
    name:
      "UCI HAPT (Smartphone-Based Recognition of Human Activities and Postural Transitions, v2.1)",
    citation:
      "Reyes-Ortiz JL, Oneto L, Samà A, Parra X, Anguita D. Transition-Aware Human Activity " +
      "Recognition Using Smartphones. Neurocomputing 171:754-767 (2016). DOI 10.24432/C54G7M",
    licence: "CC BY 4.0",
  },
};

const HARTH: HarIdentity = {
  name: "harth",
  fs: HARTH_FS,
  channels: HARTH_CHANNEL_NAMES,
  classNames: HARTH_CLASS_NAMES,
  source: {
    name: "HARTH (Human Activity Recognition Trondheim)",
    citation:
      "Logacjov A, Bach K, Kongsvold A, Bårdstu HB, Mork PJ. HARTH: A Human Activity Recognition " +
      "Dataset for Machine Learning. Sensors 21(23):7853 (2021).",
    licence: "CC BY 4.0",
  },
};

/**
 * Builds a HAR dataset with {@linkcode HAR_RECIPE}: each recording's
 * channels through the STFT `nFft 50, hop 25` ({@linkcode framedRecording}),
 * `T = 119`, shift 24; quick profile: every 3rd subject of each split.
 */
function buildHar(plan: HarPlan, options: LoadDatasetOptions): Promise<Dataset> {
  const { nFft, hop, T, shift } = HAR_RECIPE;
  const { channels, read, ...rest } = plan;
  return buildDataset({
    ...rest,
    recipe: { ...stftRecipe(nFft, hop), channels },
    T,
    shift,
    quickStride: 3,
    featurise: (entry) => {
      const rec = read(entry);
      return {
        id: entry.id,
        ...framedRecording(rec.channels, rec.labels, nFft, hop),
        excluded: rec.excluded,
      };
    },
  }, options);
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
  return await buildHar({
    ...HAPT,
    recordings: list.map(({ experiment, user }) => {
      const files = haptFiles(dir, experiment, user);
      return {
        id: `exp${String(experiment).padStart(2, "0")}_user${String(user).padStart(2, "0")}`,
        subject: `user${String(user).padStart(2, "0")}`,
        files: [files.acc, files.gyro],
      };
    }),
    sharedFiles: [labelsFile],
    read: (entry) => {
      const m = /^exp(\d+)_user(\d+)$/.exec(entry.id)!;
      const rec = readHaptRecording(dir, Number(m[1]), Number(m[2]));
      const labels = haptSampleLabels(segments, rec.experiment, rec.user, rec.nSamples, labelsFile);
      let unlabelled = 0;
      for (const l of labels) if (l < 0) unlabelled++;
      return { channels: rec.channels, labels, excluded: { unlabelled } };
    },
    notes: [
      "substitute for HARTH: smartphone on the waist (acc + gyro) instead of back/thigh accelerometers; " +
      "same 50 Hz rate and recipe (nFft 50, hop 25, T 119, shift 24), F = 156",
      "classes are HAPT's 12 activities (6 basic + 6 postural transitions), not HARTH's",
      "samples outside labels.txt segments are unlabelled (−1); a frame whose unlabelled samples are at " +
      "least as many as its most frequent activity's is −1",
      "split by user instead of the reference's 50/50 window split (D5)",
    ],
  }, options);
}

/**
 * "harth": HARTH CSV files (one per subject) in `dataDir/harth`, the
 * reference recipe of spec §4 (6 channels, STFT 50/25, F = 156, T = 119,
 * shift 24). Split by subject (file). Quick: every 3rd subject of each split.
 */
export async function loadHarth(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = subfolderOrRoot(options.dataDir, "harth");
  const names = listHarthFiles(dir);
  return await buildHar({
    ...HARTH,
    recordings: names.map((name) => {
      const id = name.replace(/\.csv$/i, "");
      return { id, subject: id, files: [join(dir, name)] };
    }),
    sharedFiles: [],
    read: (entry) => {
      const rec = readHarthCsv(entry.files[0]);
      return {
        channels: rec.channels,
        labels: rec.labels,
        excluded: { droppedNaNRows: rec.droppedRows },
      };
    },
    notes: [
      "rows with a missing/NaN value are dropped before framing (reference dropna)",
      "split by subject file instead of the reference's 50/50 window split (D5)",
    ],
  }, options);
}
