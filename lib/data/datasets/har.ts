/**
 * The HAR recipes: UCI HAPT and HARTH with the paper's HARTH recipe (spec §4):
 * 6 channels at 50 Hz, STFT `nFft 50, hop 25` per channel → F = 156,
 * T = 119 frames, shift 24.
 *
 * @module
 */
import { join } from "node:path";
import { dataDir as defaultDataDir } from "../../paths.ts";
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
  exists,
  framedRecording,
  type LoadDatasetOptions,
  stftRecipe,
} from "./build.ts";

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
    recipe: { ...stftRecipe(nFft, hop), channels },
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
