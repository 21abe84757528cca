/**
 * The study's grid: datasets, variants, per-dataset hyper-parameters (spec §5)
 * and the two profiles.
 *
 * @module
 */
import type { Profile } from "../data/mod.ts";

/**
 * How much of the study to run: `quick` (CI-sized pipeline check), `reduced`
 * (one seed and fold, a fifth of the paper's iterations, full data and
 * evaluation — what one CPU machine finishes in well under an hour) and
 * `paper` (the full grid).
 */
export type StudyProfile = "quick" | "reduced" | "paper";

/** All study profiles. */
export const STUDY_PROFILES: readonly StudyProfile[] = ["quick", "reduced", "paper"];

/** The data profile a study profile loads (only `quick` subsamples recordings). */
export function dataProfileOf(profile: StudyProfile): Profile {
  return profile === "quick" ? "quick" : "paper";
}
import type { LossSpec } from "../losses/mod.ts";
import { BASELINE_NAMES, BASELINES } from "../baselines/mod.ts";
import type { BaselineName } from "../baselines/mod.ts";

/** Datasets the study runs on. */
export type StudyDataset =
  | "hapt"
  | "mitdb"
  | "dreams"
  | "sleep-edf"
  | "harth"
  | "afdb"
  | "synthetic";

/**
 * Variants compared by the study (spec §3 "Variants compared"), the paper's
 * baselines, the controls and the ablations.
 */
export type Variant =
  | MethodVariant
  | BaselineName
  | ControlVariant
  | AblationVariant;

/** The methods: the contrastive losses of spec §2.2 and the two TS2Vec variants. */
export type MethodVariant = LossVariant | "ts2vec" | "ts2vec-reference";
/** The controls every method must beat: no encoder, or an encoder at its seeded initialisation. */
export type ControlVariant = "raw-features" | "random-encoder" | "random-encoder-ts2vec";
/** Defect ablations (spec D5: z-score statistics over all files instead of the training split). */
export type AblationVariant = "infonce-d5" | "emargin-reference-d5";

/** The frame encoder a variant uses (`none`: the z-scored input frames are the embedding). */
export type EncoderKind = "feature-projector" | "ts2vec" | "ts2vec-shipped" | "baseline" | "none";

/** How a variant's encoder is trained. */
export type TrainingObjective =
  | { kind: "loss"; variant: LossVariant }
  | { kind: "ts2vec"; cropping: "overlap" | "padded-full" }
  | { kind: "baseline"; name: BaselineName }
  | { kind: "none" };

/** Variants trained with a per-frame contrastive loss (spec §2.2). */
export type LossVariant =
  | "infonce"
  | "emargin-reference"
  | "emargin-reference-m5"
  | "emargin-intended"
  | "emargin-stable"
  | "infonce+vrns"
  | "infonce+difficult";

/** One row of the variant table: everything that differs between variants. */
export interface VariantSpec {
  /** What the variant is, in a few words (tables and the report). */
  label: string;
  /**
   * `method` (compared), `baseline` (the paper's baselines as the official code
   * ships them, spec baselines.md), `control` (the yardsticks) or `ablation`
   * (a defect's effect).
   */
  role: "method" | "baseline" | "control" | "ablation";
  encoder: EncoderKind;
  objective: TrainingObjective;
  /** "reference" records non-finite losses and keeps going (as the official code); "guarded" stops. */
  mode: "reference" | "guarded";
  /** Feature z-scoring: training-split statistics, or all files (defect D5). */
  normalisation: "train" | "all";
  /** Ablations run on fold 0 only. */
  firstFoldOnly: boolean;
}

function method(
  label: string,
  encoder: EncoderKind,
  objective: TrainingObjective,
  mode: "reference" | "guarded" = "guarded",
): VariantSpec {
  return {
    label,
    role: "method",
    encoder,
    objective,
    mode,
    normalisation: "train",
    firstFoldOnly: false,
  };
}

const loss = (variant: LossVariant): TrainingObjective => ({ kind: "loss", variant });

/** The variant table, in report order. */
export const VARIANT_TABLE: Readonly<Record<Variant, VariantSpec>> = {
  "infonce": method(
    "InfoNCE over adjacent frames (LS_HATCL / HATCL)",
    "feature-projector",
    loss("infonce"),
  ),
  "emargin-reference": method(
    "eMargin as shipped (LS_MARGIN, reference indicator)",
    "feature-projector",
    loss("emargin-reference"),
    "reference",
  ),
  "emargin-reference-m5": method(
    "eMargin as shipped with margin 5",
    "feature-projector",
    loss("emargin-reference-m5"),
    "reference",
  ),
  "emargin-intended": method(
    "eMargin with the indicator fixed (D1)",
    "feature-projector",
    loss("emargin-intended"),
    "reference",
  ),
  "emargin-stable": method(
    "eMargin in log space (stable margin loss)",
    "feature-projector",
    loss("emargin-stable"),
  ),
  "infonce+vrns": method("InfoNCE + VRNS (λ = 30)", "feature-projector", loss("infonce+vrns")),
  "infonce+difficult": method(
    "InfoNCE with difficult pairs (σ 0.1, ρ 2)",
    "feature-projector",
    loss("infonce+difficult"),
  ),
  "ts2vec": method("TS2Vec as published", "ts2vec", { kind: "ts2vec", cropping: "overlap" }),
  "ts2vec-reference": method(
    "TS2Vec as shipped (per-frame backbone, padded crops)",
    "ts2vec-shipped",
    {
      kind: "ts2vec",
      cropping: "padded-full",
    },
  ),
  "raw-features": control("the z-scored input frames (no encoder)", "none"),
  "random-encoder": control(
    "FeatureProjector at its seeded initialisation (0 steps)",
    "feature-projector",
  ),
  "random-encoder-ts2vec": control(
    "TS2Vec's dilated CNN at its seeded initialisation (0 steps)",
    "ts2vec",
  ),
  "infonce-d5": ablation("infonce", "infonce with z-scores over all files (D5)"),
  "emargin-reference-d5": ablation(
    "emargin-reference",
    "emargin-reference with z-scores over all files (D5)",
  ),
  ...Object.fromEntries(BASELINE_NAMES.map((name) => [name, baseline(name)])) as Record<
    BaselineName,
    VariantSpec
  >,
};

function baseline(name: BaselineName): VariantSpec {
  return {
    label: `${BASELINES[name].label} (${BASELINES[name].specSection})`,
    role: "baseline",
    encoder: "baseline",
    objective: { kind: "baseline", name },
    mode: "reference",
    normalisation: "train",
    firstFoldOnly: false,
  };
}

function control(label: string, encoder: EncoderKind): VariantSpec {
  return {
    label,
    role: "control",
    encoder,
    objective: { kind: "none" },
    mode: "guarded",
    normalisation: "train",
    firstFoldOnly: false,
  };
}

function ablation(of: LossVariant, label: string): VariantSpec {
  const mode = of === "emargin-reference" ? "reference" : "guarded";
  return {
    ...method(label, "feature-projector", loss(of), mode),
    role: "ablation",
    normalisation: "all",
    firstFoldOnly: true,
  };
}

/** All variants in report order. `emargin-reference-m5` runs on ECG only. */
export const VARIANTS: readonly Variant[] = Object.keys(VARIANT_TABLE) as Variant[];

/** The controls, in report order. */
export const CONTROLS: readonly ControlVariant[] = [
  "raw-features",
  "random-encoder",
  "random-encoder-ts2vec",
];

/** Whether a variant is a control (no training). */
export function isControl(v: Variant): v is ControlVariant {
  return VARIANT_TABLE[v].role === "control";
}

/** The TS2Vec variants (their own encoder and objective, no contrastive-loss spec). */
export function isTs2vecVariant(v: Variant): v is "ts2vec" | "ts2vec-reference" {
  return VARIANT_TABLE[v].objective.kind === "ts2vec";
}

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

/** The variants that run on a dataset (the m = 5 working setting only where m = 100 diverges). */
export function variantsFor(dataset: StudyDataset): Variant[] {
  return VARIANTS.filter((v) => v !== "emargin-reference-m5" || HYPER[dataset].margin > 5);
}

/** The folds a variant runs on under a profile (ablations: the first fold only). */
export function foldsFor(variant: Variant, profile: StudyProfile): number[] {
  const folds = PROFILES[profile].folds;
  return VARIANT_TABLE[variant].firstFoldOnly ? folds.slice(0, 1) : [...folds];
}

/** Whether the variant records non-finite losses and continues (reference behaviour). */
export function isReferenceMode(variant: Variant): boolean {
  return VARIANT_TABLE[variant].mode === "reference";
}

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
