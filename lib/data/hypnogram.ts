/**
 * Sleep-EDF hypnograms: EDF+ stage annotations → one label per 30-s epoch.
 *
 * @module
 */
import { DataFormatError, MissingDataError } from "../errors.ts";
import { readRegularFileSync } from "../io.ts";
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

/**
 * Longest recording a hypnogram may describe when its duration is not known
 * (s): two days. The Sleep-EDF cassette hypnograms span 24 h.
 */
export const MAX_HYPNOGRAM_SECONDS = 2 * 24 * 3600;

/** Largest hypnogram file read by default (bytes); the Sleep-EDF ones are ≈ 5 KB. */
export const MAX_HYPNOGRAM_FILE_BYTES: number = 16 << 20;

/** Options of `sleepStagesFromHypnogram`. */
export interface HypnogramOptions {
  /** Epoch length (s). */
  epochSeconds?: number;
  /** Output length: truncates, or pads with −1 (default: up to the last annotation's end). */
  nEpochs?: number;
  /**
   * The recording's declared duration (s); default `nEpochs · epochSeconds`
   * when `nEpochs` is given, else unknown. Every onset must lie within it.
   */
  recordingSeconds?: number;
  /**
   * Plausibility limit (s) on any annotation's end (default
   * {@linkcode MAX_HYPNOGRAM_SECONDS}, or the recording's duration if longer);
   * raise it for longer recordings.
   */
  maxSeconds?: number;
  /** File name for error messages. */
  file?: string;
}

/** The checked limits: where onsets may lie and where annotations may end (s). */
function limitsOf(
  file: string,
  epochSeconds: number,
  { nEpochs, recordingSeconds, maxSeconds = MAX_HYPNOGRAM_SECONDS }: HypnogramOptions,
): { onsetLimit: number; endLimit: number; what: string } {
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
  const recording = recordingSeconds ??
    (nEpochs === undefined ? undefined : nEpochs * epochSeconds);
  for (const [name, v] of [["recordingSeconds", recording], ["maxSeconds", maxSeconds]] as const) {
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) {
      throw new DataFormatError(file, name, "a finite duration ≥ 0 s", String(v));
    }
  }
  return recording === undefined
    ? { onsetLimit: maxSeconds, endLimit: maxSeconds, what: `the ${maxSeconds} s limit` }
    : {
      onsetLimit: recording,
      endLimit: Math.max(recording, maxSeconds),
      what: `the recording's ${recording} s`,
    };
}

/**
 * Expands stage annotations to per-epoch labels.
 *
 * Annotation `a` covers epochs `[round(onset/e), round(onset/e) + round(duration/e))`
 * with `e = epochSeconds`, labelled `SLEEP_STAGE_OF_TEXT[text]`; epochs no
 * annotation covers are −1. Returns `[nEpochs]` labels in {−1, 0, …, 4}.
 * Before anything is allocated, every onset must lie within the recording
 * (`recordingSeconds`, else `nEpochs · epochSeconds`, else `maxSeconds`) and
 * every annotation end within `max(recording, maxSeconds)`; an annotation
 * running past the recording's end is cut there (Sleep-EDF's final
 * "Sleep stage ?" runs to 24 h, past the PSG).
 *
 * @throws DataFormatError for an unknown stage text, an onset off the epoch
 *   grid or outside the recording, an implausibly long annotation, or
 *   annotations that overlap or run backwards in time
 * @example
 * ```ts
 * sleepStagesFromHypnogram([{ onset: 0, duration: 60, text: "Sleep stage W" }]); // Int8Array [0, 0]
 * ```
 */
export function sleepStagesFromHypnogram(
  annotations: readonly EdfAnnotation[],
  options: HypnogramOptions = {},
): Int8Array {
  const { epochSeconds = 30, nEpochs, file = "hypnogram" } = options;
  const { onsetLimit, endLimit, what } = limitsOf(file, epochSeconds, options);
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
    if (onset > onsetLimit) {
      throw new DataFormatError(file, `${at} onset`, `an onset within ${what}`, String(onset));
    }
    if (!Number.isFinite(duration) || duration < 0) {
      throw new DataFormatError(file, `${at} duration`, "a finite duration ≥ 0", String(duration));
    }
    if (onset + duration > endLimit) {
      throw new DataFormatError(
        file,
        `${at} duration`,
        `an annotation ending within ${
          Math.max(endLimit, 0)
        } s (raise maxSeconds for longer recordings)`,
        String(duration),
      );
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

/** Options of `readSleepEdfHypnogram`. */
export interface ReadHypnogramOptions extends Omit<HypnogramOptions, "file"> {
  /** Largest file accepted (bytes; default {@linkcode MAX_HYPNOGRAM_FILE_BYTES}). */
  maxBytes?: number;
}

/**
 * Reads a Sleep-EDF `*-Hypnogram.edf` and returns its per-epoch labels
 * (see `sleepStagesFromHypnogram`), `[nEpochs]`. The recording's duration is
 * `recordingSeconds` when given, else the file's own `nRecords · recordDuration`
 * when that is positive (annotation-only files declare 0), else unknown.
 *
 * @throws MissingDataError when the file is absent
 * @throws NotRegularFileError for a directory, FIFO or device (nothing is read)
 * @throws SizeLimitError for a file over `maxBytes`
 * @throws DataFormatError for a malformed file or stage annotation
 * @example
 * ```ts
 * const stages = readSleepEdfHypnogram("data/sleep-edf/SC4001EC-Hypnogram.edf", { nEpochs: 2650 });
 * ```
 */
export function readSleepEdfHypnogram(path: string, options: ReadHypnogramOptions = {}): Int8Array {
  const { maxBytes = MAX_HYPNOGRAM_FILE_BYTES, ...rest } = options;
  let bytes: Uint8Array;
  try {
    bytes = readRegularFileSync(path, { maxBytes, limitOption: "the maxBytes option" });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    throw new MissingDataError(
      `${path} not found; run \`deno task data --only sleep-edf\` ` +
        "(datasets listed in lib/data/downloads.json)",
    );
  }
  const { header, annotations } = readEdf(bytes, { file: path });
  const declared = header.nRecords * header.recordDuration;
  return sleepStagesFromHypnogram(annotations, {
    ...(declared > 0 && rest.nEpochs === undefined ? { recordingSeconds: declared } : {}),
    ...rest,
    file: path,
  });
}
