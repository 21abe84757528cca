/**
 * The study's training steps as the benchmarks time them: each paper
 * dataset's batch shape and hyper-parameters (spec §5) × each variant's
 * encoder and loss, built the way the grid builds them (the loss factory's
 * default, fused implementations).
 *
 * @module
 */
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { makeContrastiveLoss } from "../lib/losses/mod.ts";
import type { LossSpec } from "../lib/losses/mod.ts";
import { createTs2vecEncoder, ts2vecObjective } from "../lib/ts2vec/mod.ts";
import type { FrameLoss, Objective } from "../lib/train/mod.ts";

/** A paper dataset's batch shape `[B, T, F]` and loss hyper-parameters. */
export interface StudyShape {
  dataset: "SleepEEG" | "HARTH" | "ECG";
  B: number;
  T: number;
  F: number;
  temperature: number;
  margin: number;
  form: "ls" | "single";
}

/** The three paper configs (spec §5): SleepEEG (DREAMS, Sleep-EDF), HARTH (HAPT), ECG (MIT-BIH). */
export const STUDY_SHAPES: readonly StudyShape[] = [
  { dataset: "SleepEEG", B: 8, T: 200, F: 90, temperature: 0.1, margin: 5, form: "ls" },
  { dataset: "HARTH", B: 8, T: 119, F: 156, temperature: 0.05, margin: 5, form: "ls" },
  { dataset: "ECG", B: 8, T: 200, F: 1502, temperature: 0.5, margin: 100, form: "single" },
];

/** The trained variants (emargin-intended and -m5 cost what emargin-reference costs). */
export type StepVariant =
  | "infonce"
  | "infonce+difficult"
  | "infonce+vrns"
  | "emargin-reference"
  | "emargin-stable"
  | "ts2vec"
  | "ts2vec-reference";

/** Every variant, in the grid's order. */
export const STEP_VARIANTS: readonly StepVariant[] = [
  "infonce",
  "emargin-reference",
  "emargin-stable",
  "infonce+vrns",
  "infonce+difficult",
  "ts2vec",
  "ts2vec-reference",
];

/** VRNS target count `k` used for timing (the grid sets it to the training frames; the cost does not depend on it). */
const VRNS_K = 5000;

/** The loss spec of a FeatureProjector variant on a shape (as lib/experiments/config.ts). */
export function stepLossSpec(shape: StudyShape, variant: StepVariant): LossSpec | null {
  const { temperature, margin, form } = shape;
  switch (variant) {
    case "infonce":
      return { kind: "infonce", temperature, form };
    case "infonce+difficult":
      return {
        kind: "infonce",
        temperature,
        form,
        difficult: { sigma: 0.1, rho: 2, removal: "none" },
      };
    case "infonce+vrns":
      return { kind: "infonce", temperature, form, vrns: { lambda: 30, k: VRNS_K } };
    case "emargin-reference":
      return { kind: "ls-margin", temperature, margin, threshold: 0.4, simVariant: "reference" };
    case "emargin-stable":
      return { kind: "stable", temperature, margin, threshold: 0.4, form: "ls" };
    default:
      return null;
  }
}

/** A fresh encoder and what `pretrain` trains it with, for one variant on one shape. */
export function variantStep(
  shape: StudyShape,
  variant: StepVariant,
): { encoder: Encoder; train: { loss: FrameLoss } | { objective: Objective } } {
  const spec = stepLossSpec(shape, variant);
  if (spec) {
    return {
      encoder: createFeatureProjector({ inFeatures: shape.F, outFeatures: 320, seed: 1 }),
      train: { loss: makeContrastiveLoss(spec) },
    };
  }
  const shipped = variant === "ts2vec-reference";
  return {
    encoder: createTs2vecEncoder({
      inFeatures: shape.F,
      seed: 1,
      backbone: shipped ? "feature-projector" : "dilated-cnn",
    }),
    train: {
      objective: ts2vecObjective({ seed: 1, cropping: shipped ? "padded-full" : "overlap" }),
    },
  };
}
