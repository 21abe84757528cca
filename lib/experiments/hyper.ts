/**
 * The numbers of the study: training settings shared by every variant, the
 * per-dataset hyper-parameters (spec §5), the profiles' scale, and the loss and
 * step count they give a run.
 *
 * @module
 */
import type { LossSpec } from "../losses/mod.ts";
import type { LossVariant, StudyDataset, StudyProfile } from "./config.ts";

/** Training settings shared by every variant (spec §2.4): batch of 8 sequences, AdamW. */
export const TRAINING = { batchSize: 8, lr: 1e-3, weightDecay: 0.01 } as const;

/** Hyper-parameters of one dataset (spec §5). */
export interface DatasetHyper {
  /** The paper dataset whose config is used. */
  paperConfig: "HARTH" | "SleepEEG" | "ECG";
  temperature: number;
  margin: number;
  threshold: number;
  /** Optimizer steps in the paper profile. */
  iterations: number;
  /** The InfoNCE baseline form: LS_HATCL ("ls") or HATCL ("single"). */
  infonceForm: "ls" | "single";
  /** Frames per class in the clustering subset (paper: 1000). */
  clusterPerClass: number;
}

/** Per-dataset hyper-parameters: each substitute dataset uses its paper domain's config. */
export const HYPER: Record<StudyDataset, DatasetHyper> = {
  hapt: hyper("HARTH", 0.05, 5, 600, "ls"),
  harth: hyper("HARTH", 0.05, 5, 600, "ls"),
  mitdb: hyper("ECG", 0.5, 100, 200, "single"),
  afdb: hyper("ECG", 0.5, 100, 200, "single"),
  dreams: hyper("SleepEEG", 0.1, 5, 600, "ls"),
  "sleep-edf": hyper("SleepEEG", 0.1, 5, 600, "ls"),
  synthetic: hyper("SleepEEG", 0.1, 5, 600, "ls"),
};

function hyper(
  paperConfig: DatasetHyper["paperConfig"],
  temperature: number,
  margin: number,
  iterations: number,
  infonceForm: "ls" | "single",
): DatasetHyper {
  return {
    paperConfig,
    temperature,
    margin,
    threshold: 0.4,
    iterations,
    infonceForm,
    clusterPerClass: 1000,
  };
}

/** How a profile scales the grid. */
export interface ProfileSettings {
  /** Steps = `round(iterations · stepsScale)`, at least `minSteps`. */
  stepsScale: number;
  minSteps: number;
  seeds: number[];
  /** Folds for cross-validated datasets (DREAMS has 4). */
  folds: number[];
  clusterPerClass: number;
  probeEpochs: number;
  /** Cap on training sequences used by the probe (quick profile only). */
  maxProbeSequences: number | null;
}

/** The settings of each study profile (non-paper ones are labelled as such in the report). */
export const PROFILES: Record<StudyProfile, ProfileSettings> = {
  quick: {
    stepsScale: 0.02,
    minSteps: 6,
    seeds: [1],
    folds: [0],
    clusterPerClass: 100,
    probeEpochs: 3,
    maxProbeSequences: 24,
  },
  reduced: {
    stepsScale: 0.2,
    minSteps: 10,
    seeds: [1],
    folds: [0],
    clusterPerClass: 1000,
    probeEpochs: 10,
    maxProbeSequences: null,
  },
  paper: {
    stepsScale: 1,
    minSteps: 1,
    seeds: [1, 2, 3],
    folds: [0, 1, 2, 3],
    clusterPerClass: 1000,
    probeEpochs: 10,
    maxProbeSequences: null,
  },
};

/**
 * The loss of a variant on a dataset. `nTrainFrames` sets the VRNS target
 * `δ = −1/(k−1)` with `k` = number of training frames (spec §6b).
 */
export function lossSpecFor(
  dataset: StudyDataset,
  variant: LossVariant,
  nTrainFrames: number,
): LossSpec {
  const h = HYPER[dataset];
  const base = { temperature: h.temperature };
  switch (variant) {
    case "infonce":
      return { kind: "infonce", ...base, form: h.infonceForm };
    case "emargin-reference":
      return {
        kind: "ls-margin",
        ...base,
        margin: h.margin,
        threshold: h.threshold,
        simVariant: "reference",
      };
    case "emargin-reference-m5":
      return {
        kind: "ls-margin",
        ...base,
        margin: 5,
        threshold: h.threshold,
        simVariant: "reference",
      };
    case "emargin-intended":
      return {
        kind: "ls-margin",
        ...base,
        margin: h.margin,
        threshold: h.threshold,
        simVariant: "intended",
      };
    case "emargin-stable":
      return { kind: "stable", ...base, margin: h.margin, threshold: h.threshold, form: "ls" };
    case "infonce+vrns":
      return {
        kind: "infonce",
        ...base,
        form: h.infonceForm,
        vrns: { lambda: 30, k: nTrainFrames },
      };
    case "infonce+difficult":
      return {
        kind: "infonce",
        ...base,
        form: h.infonceForm,
        difficult: { sigma: 0.1, rho: 2, removal: "none" },
      };
  }
}

/** Optimizer steps of a run under a profile. */
export function stepsFor(dataset: StudyDataset, profile: StudyProfile): number {
  const p = PROFILES[profile];
  return Math.max(p.minSteps, Math.round(HYPER[dataset].iterations * p.stepsScale));
}
