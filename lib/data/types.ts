/**
 * The shapes every dataset loader returns: sequences of STFT frames with
 * per-frame labels, split by subject/record.
 *
 * @module
 */

/** One split of a dataset: `nSequences` sequences of `T` frames × `F` features. */
export interface SequenceSplit {
  /** `[nSequences, T, F]` row-major frames. */
  x: Float32Array;
  /** `[nSequences, T]` frame labels; −1 = unlabelled / excluded. */
  y: Int32Array;
  /** Recording (subject/record/excerpt) id of each sequence. */
  recording: string[];
  /** Number of sequences. */
  nSequences: number;
}

/** Metadata that travels with a dataset into result records and the report. */
export interface DatasetMeta {
  /** Sampling rate of the signals the features come from (Hz). */
  fs: number;
  /** Feature recipe, e.g. `{ nFft: 50, hop: 25, channels: [...] }`. */
  recipe: Record<string, unknown>;
  /** How train and eval were split, in words. */
  splitRule: string;
  /** Recording ids per split. */
  subjects: { train: string[]; eval: string[] };
  /** Hash of the source files and recipe (changes when the data changes). */
  fingerprint: string;
  /** Frames per class in each split (index = class id). */
  classCounts: { train: number[]; eval: number[] };
  /** Deviations from the paper, exclusions, caveats. */
  notes: string[];
  /** Where the files came from (citation and licence). */
  source?: { name: string; citation: string; licence: string };
  /** Anything dataset-specific (channels, native rates, excluded counts …). */
  extra?: Record<string, unknown>;
}

/** A loaded, featurised dataset ready for training. */
export interface Dataset {
  /** Registry name, e.g. "hapt", "mitdb", "dreams", "synthetic". */
  name: string;
  /** Frames per sequence. */
  T: number;
  /** Features per frame. */
  F: number;
  /** Class names; label `c` is `classNames[c]`. */
  classNames: string[];
  /** Pretraining and probe-training sequences. */
  train: SequenceSplit;
  /** Clustering and probe-evaluation sequences. */
  eval: SequenceSplit;
  /** Provenance and split description. */
  meta: DatasetMeta;
}

/** Profiles scale the study: `quick` for CI, `paper` for the full grid. */
export type Profile = "quick" | "paper";
