/**
 * The sleep-EDF recipe: Fpz-Cz EEG of the Sleep-EDF sleep-cassette nights at
 * 100 Hz, STFT `nFft = hop = 178` → F = 90, 30-s stages W, N1, N2, N3, REM,
 * T = 200 non-overlapping frames.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError, MissingDataError } from "../../errors.ts";
import { readEdf } from "../edf.ts";
import { readSleepEdfHypnogram, SLEEP_STAGE_NAMES } from "../hypnogram.ts";
import type { Dataset } from "../types.ts";
import {
  buildDataset,
  framedRecording,
  type LoadDatasetOptions,
  type RecordingEntry,
  type RecordingFeatures,
  stftRecipe,
  subfolderOrRoot,
} from "./build.ts";
import { sortIds } from "./split.ts";

/** Label of the EEG channel used from each PSG file. */
export const SLEEP_EDF_CHANNEL = "EEG Fpz-Cz";

/** Wake kept before the first and after the last sleep epoch (epochs of 30 s). */
const SLEEP_EDF_WAKE_MARGIN_EPOCHS = 60;

/** Samples per 30-s epoch at 100 Hz. */
const EPOCH_SAMPLES = 3000;

/** The PSG files of `dir` that have a hypnogram, sorted (`SC4ssN?0-PSG.edf`). */
function sleepEdfPairs(dir: string): Array<{ psg: string; hyp: string }> {
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
  return pairs;
}

/**
 * Featurises one night: the Fpz-Cz EEG trimmed to
 * {@linkcode SLEEP_EDF_WAKE_MARGIN_EPOCHS} epochs of wake around the sleep,
 * each sample labelled with its epoch's stage, STFT `nFft = hop`.
 */
function sleepEdfFeatures(entry: RecordingEntry, nFft: number): RecordingFeatures {
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
  const nEpochs = Math.floor(eeg.data.length / EPOCH_SAMPLES);
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
  const signal = eeg.data.subarray(from * EPOCH_SAMPLES, to * EPOCH_SAMPLES);
  const labels = new Int32Array(signal.length);
  let excluded = 0;
  for (let e = from; e < to; e++) {
    labels.fill(stages[e], (e - from) * EPOCH_SAMPLES, (e - from + 1) * EPOCH_SAMPLES);
    if (stages[e] < 0) excluded += EPOCH_SAMPLES;
  }
  return {
    id: entry.id,
    ...framedRecording([signal], labels, nFft, nFft),
    excluded: { "movement/unscored": excluded },
  };
}

/**
 * "sleep-edf": Sleep-EDF sleep-cassette nights in `dataDir/sleep-edf`
 * (`SC4ssN?0-PSG.edf` with its `SC4ssN??-Hypnogram.edf`). EEG Fpz-Cz at
 * 100 Hz, STFT `nFft = hop = 178` → F = 90; 30-s epoch stages W, N1, N2, N3
 * (3 and 4), REM (movement and unscored −1); each night trimmed to 30 min of
 * wake before the first and after the last sleep epoch; T = 200
 * non-overlapping frames. Split by subject `ss`. Quick: every 4th subject.
 */
export async function loadSleepEdf(options: LoadDatasetOptions = {}): Promise<Dataset> {
  const dir = subfolderOrRoot(options.dataDir, "sleep-edf");
  const pairs = sleepEdfPairs(dir);
  const nFft = 178;
  return await buildDataset({
    name: "sleep-edf",
    fs: 100,
    recipe: { ...stftRecipe(nFft, nFft), channel: SLEEP_EDF_CHANNEL },
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
    featurise: (entry) => sleepEdfFeatures(entry, nFft),
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
