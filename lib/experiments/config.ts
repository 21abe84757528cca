/**
 * The study's grid: datasets, profiles and the variant table. The
 * per-dataset hyper-parameters, training settings and profile scales are in
 * `hyper.ts` (re-exported here).
 *
 * @module
 */
import type { Profile } from "../data/mod.ts";
import { HYPER, PROFILES } from "./hyper.ts";

export {
  type DatasetHyper,
  HYPER,
  lossSpecFor,
  PROFILES,
  type ProfileSettings,
  stepsFor,
  TRAINING,
} from "./hyper.ts";

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
