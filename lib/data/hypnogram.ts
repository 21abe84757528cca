/**
 * Sleep-EDF hypnograms: EDF+ stage annotations → one label per 30-s epoch.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { type EdfAnnotation, readEdf } from "./edf.ts";

/** Stage names by label: W 0, N1 1, N2 2, N3 3, REM 4. */
export const SLEEP_STAGE_NAMES: readonly string[] = ["W", "N1", "N2", "N3", "REM"];

/** Label of epochs left out of training and evaluation ("?" and movement time). */
export const EXCLUDED_EPOCH = -1;

/**
 * Rechtschaffen & Kales annotation texts → AASM-style labels: stages 3 and 4
 * merge into N3; "?" (not scored) and movement time are excluded (−1).
 */
export const SLEEP_STAGE_OF_TEXT: Readonly<Record<string, number>> = {
  "Sleep stage W": 0,
  "Sleep stage 1": 1,
  "Sleep stage 2": 2,
  "Sleep stage 3": 3,
  "Sleep stage 4": 3,
  "Sleep stage R": 4,
  "Sleep stage ?": EXCLUDED_EPOCH,
  "Movement time": EXCLUDED_EPOCH,
};

/** Options of `sleepStagesFromHypnogram`. */
export interface HypnogramOptions {
  /** Epoch length (s). */
  epochSeconds?: number;
  /** Output length: truncates, or pads with −1 (default: up to the last annotation's end). */
  nEpochs?: number;
  /** File name for error messages. */
  file?: string;
}

/**
 * Expands stage annotations to per-epoch labels.
 *
 * Annotation `a` covers epochs `[round(onset/e), round(onset/e) + round(duration/e))`
 * with `e = epochSeconds`, labelled `SLEEP_STAGE_OF_TEXT[text]`; epochs no
 * annotation covers are −1. Returns `[nEpochs]` labels in {−1, 0, …, 4}.
 *
 * @throws DataFormatError for an unknown stage text, an onset off the epoch
 *   grid, or annotations that overlap or run backwards in time
 */
export function sleepStagesFromHypnogram(
  annotations: readonly EdfAnnotation[],
  { epochSeconds = 30, nEpochs, file = "hypnogram" }: HypnogramOptions = {},
): Int8Array {
  if (!(epochSeconds > 0) || !Number.isFinite(epochSeconds)) {
    throw new DataFormatError(
      file,
      "epochSeconds",
      "a positive finite number",
      String(epochSeconds),
    );
  }
  if (nEpochs !== undefined && !(Number.isSafeInteger(nEpochs) && nEpochs >= 0)) {
    throw new DataFormatError(file, "nEpochs", "an integer ≥ 0", String(nEpochs));
  }
  const spans: { start: number; count: number; label: number }[] = [];
  let end = 0;
  annotations.forEach(({ onset, duration, text }, i) => {
    const at = `annotation ${i} (${JSON.stringify(text)} at ${onset} s)`;
    const label = SLEEP_STAGE_OF_TEXT[text];
    if (label === undefined) {
      throw new DataFormatError(
        file,
        `${at} text`,
        `one of ${Object.keys(SLEEP_STAGE_OF_TEXT).join(", ")}`,
        JSON.stringify(text),
      );
    }
    const start = Math.round(onset / epochSeconds);
    if (
      !Number.isFinite(onset) || onset < 0 ||
      Math.abs(start * epochSeconds - onset) > 1e-6 * epochSeconds
    ) {
      throw new DataFormatError(
        file,
        `${at} onset`,
        `a non-negative multiple of ${epochSeconds} s`,
        String(onset),
      );
    }
    if (!Number.isFinite(duration) || duration < 0) {
      throw new DataFormatError(file, `${at} duration`, "a finite duration ≥ 0", String(duration));
    }
    if (start < end) {
      throw new DataFormatError(
        file,
        `${at} onset`,
        `no overlap with the previous stage (ends at ${end * epochSeconds} s)`,
        String(onset),
      );
    }
    const count = Math.round(duration / epochSeconds);
    spans.push({ start, count, label });
    end = start + count;
  });
  const stages = new Int8Array(nEpochs ?? end).fill(EXCLUDED_EPOCH);
  for (const { start, count, label } of spans) {
    stages.fill(label, Math.min(start, stages.length), Math.min(start + count, stages.length));
  }
  return stages;
}

/**
 * Reads a Sleep-EDF `*-Hypnogram.edf` and returns its per-epoch labels
 * (see `sleepStagesFromHypnogram`), `[nEpochs]`.
 *
 * @throws MissingDataError when the file is absent
 * @throws DataFormatError for a malformed file or stage annotation
 */
export function readSleepEdfHypnogram(
  path: string,
  options: Omit<HypnogramOptions, "file"> = {},
): Int8Array {
  const { annotations } = readEdf(path);
  return sleepStagesFromHypnogram(annotations, { ...options, file: path });
}
