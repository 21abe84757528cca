/**
 * The contract between the baselines and the study grid.
 *
 * @module
 */
import type { Encoder } from "../encoders/mod.ts";
import type { Objective } from "../train/mod.ts";

/**
 * The baselines of the eMargin reference (spec `baselines.md`), plus
 * `softclt-published`: SoftCLT with the soft labels the shipped code discards,
 * and `cost-unfrozen`: CoST with separate query and key encoders.
 */
export type BaselineName =
  | "cpc"
  | "tnc"
  | "infots"
  | "softclt"
  | "softclt-published"
  | "cost"
  | "cost-unfrozen"
  | "timedrl"
  | "simmtm"
  | "mf-clr";

/** The reference configurations whose hyper-parameters a baseline takes. */
export type PaperConfig = "HARTH" | "SleepEEG" | "ECG";

/** Options of {@linkcode BaselineSpec.createEncoder}. */
export interface BaselineEncoderOptions {
  /** Input features per frame `F`. */
  inFeatures: number;
  /** Seed of the initialisation (and of the encoder's own masks/dropout). */
  seed: number;
  /** Frames per training sequence. */
  T: number;
}

/** Options of {@linkcode BaselineSpec.createObjective}. */
export interface BaselineObjectiveOptions {
  /** Seed of the auxiliary nets and of every draw of the objective. */
  seed: number;
  /** Frames per training sequence (`sequence_sample`). */
  T: number;
  /** Which reference configuration the run reproduces. */
  paperConfig: PaperConfig;
}

/** One baseline: its encoder, its objective and what the spec says of it. */
export interface BaselineSpec {
  name: BaselineName;
  /** Short human label. */
  label: string;
  /** Section of `baselines.md`, e.g. "§B1". */
  specSection: string;
  /** The shipped code's defects (spec), one sentence each. */
  defects: string[];
  /**
   * The encoder whose `params` are exactly what the official optimiser
   * updates, and whose eval-mode `apply` is the reference's `encode`.
   */
  createEncoder(o: BaselineEncoderOptions): Encoder;
  /** The training objective for `pretrain({ objective })`. */
  createObjective(o: BaselineObjectiveOptions): Objective;
  /** Frees the auxiliary nets of every objective this spec created. */
  dispose?(): void;
}
