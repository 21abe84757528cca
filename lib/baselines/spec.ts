/**
 * What the spec (`baselines.md`) says of each baseline — its label, section
 * and the shipped code's defects — in one table, and the builder that joins
 * those words to a baseline's encoder and objective as a
 * {@linkcode BaselineSpec}.
 *
 * @module
 */
import type { Encoder } from "../encoders/mod.ts";
import type { Objective } from "../train/mod.ts";
import type { AuxPool } from "./common.ts";
import type {
  BaselineEncoderOptions,
  BaselineName,
  BaselineObjectiveOptions,
  BaselineSpec,
} from "./types.ts";

/** The spec's words on one baseline: the descriptive fields of {@linkcode BaselineSpec}. */
export type BaselineAbout = Pick<BaselineSpec, "label" | "specSection" | "defects">;

const COST_DEFECTS = [
  "Query and key encoders are one object, so CoSTModel's init freezes the whole encoder: it stays at its random initialisation and CoST is evaluated as an untrained FeatureProjector.",
  "Only head_q receives gradients; the momentum update of the key encoder is a no-op.",
  "encode runs the FeatureProjector alone on raw frames, skipping input_fc.",
  "The backbone is the per-frame FeatureProjector instead of a dilated TCN.",
];

const SOFTCLT_ENCODER_DEFECT =
  "The encoder is Linear(F→64) → FeatureProjector(64→320): no temporal receptive field.";

/**
 * The spec's label, section and defects of every baseline. `cost-unfrozen`
 * keeps the CoST defects its fix leaves (all but the first two);
 * `softclt-published` keeps SoftCLT's encoder defect.
 */
export const BASELINE_ABOUT: Readonly<Record<BaselineName, BaselineAbout>> = {
  "cpc": {
    label: "CPC",
    specSection: "§B1",
    defects: [
      "The GRU and the density estimator W are not in the optimiser, so they stay at their random initialisation.",
      "The positive frame c+1 lies inside the GRU's window c..c+4, so the context already sees its target.",
      "One GRU and one linear predictor score a single fixed future step instead of per-step predictors over k steps.",
      "The encoder is the per-frame FeatureProjector (no temporal receptive field), not CPC's strided CNN.",
    ],
  },
  "tnc": {
    label: "TNC",
    specSection: "§B2",
    defects: [
      "The discriminator is not in the optimiser, so it stays at its random initialisation (with dropout active).",
      "The batch is flattened into one stream, so windows cross sequence boundaries, and its length is taken as W·B, not B·T.",
      "The per-frame FeatureProjector encodes a window as a [W, D] sequence, not one vector, and the discriminator compares frames.",
    ],
  },
  "infots": {
    label: "InfoTS",
    specSection: "§B3",
    defects: [
      "The AutoAUG augmentation weights are never trained (no meta-learning step, not in the optimiser).",
      "The annealed temperature is computed but not passed to the sampler (temperature 1).",
      "The local term uses view 1 only and sequence 0 of the batch only.",
    ],
  },
  "softclt": {
    label: "SoftCLT",
    specSection: "§B4",
    defects: [
      "Soft labels are switched off (soft_instance = soft_temporal = False): the loss is TS2Vec's hard hierarchical loss.",
      "The DTW/cosine soft-label matrix is computed every step and never used.",
      SOFTCLT_ENCODER_DEFECT,
    ],
  },
  "softclt-published": {
    label: "SoftCLT (soft labels on)",
    specSection: "§B4",
    defects: [
      "Instance soft labels come from the shipped save_sim_mat (min-max-scaled negative cosine of the raw batch), not the paper's DTW-sigmoid labels.",
      SOFTCLT_ENCODER_DEFECT,
    ],
  },
  "cost": { label: "CoST", specSection: "§B5", defects: COST_DEFECTS },
  "cost-unfrozen": {
    label: "CoST (encoder trained)",
    specSection: "§B5",
    defects: COST_DEFECTS.slice(2),
  },
  "timedrl": {
    label: "TimeDRL",
    specSection: "§B6",
    defects: [
      "The predictive target is the raw, un-normalised input while predictions come from the RevIN-normalised input.",
      "encode runs the FeatureProjector alone on raw frames (no RevIN, patching, embedding or CLS): a different input than in training.",
      "The backbone is the per-frame FeatureProjector instead of a Transformer encoder.",
    ],
  },
  "simmtm": {
    label: "SimMTM",
    specSection: "§B7",
    defects: [
      "The reconstruction head and the automatic loss weights σ are not in the optimiser, so they stay at init (σ = 1).",
      "Series-wise similarity is computed over frames, not series.",
      "The backbone is the per-frame FeatureProjector instead of a Transformer/ResNet.",
    ],
  },
  "mf-clr": {
    label: "MF-CLR",
    specSection: "§B8",
    defects: [
      "The grain split [F, F] leaves the coarse grain with 0 features: one grain level, and the feature term reduces to β·mean‖z₁ᵢ − z₂ⱼ‖².",
      "The encoder output is transposed to [B, 320, T] before the loss, so the instance loss contrasts per-channel time courses, not per-frame embeddings.",
      "encode uses the SWA average of the parameters with BatchNorm statistics never updated (running mean 0, variance 1).",
      "The backbone is Linear(F→64) → FeatureProjector(64→320): no temporal receptive field.",
    ],
  },
};

/** What a baseline brings to {@linkcode baselineSpec}. */
export interface BaselineParts {
  /** Builds the encoder from the contract's options (see {@linkcode BaselineSpec.createEncoder}). */
  createEncoder(o: BaselineEncoderOptions): Encoder;
  /** Builds the objective from the contract's options. */
  createObjective(o: BaselineObjectiveOptions): Objective;
  /** The pool the objectives keep their auxiliary nets in; the spec's `dispose` frees it. */
  pool?: AuxPool;
}

/**
 * The {@linkcode BaselineSpec} of `name`: the spec's words from
 * {@linkcode BASELINE_ABOUT} (the defects copied, so no spec shares an array)
 * and the baseline's parts. The factories receive exactly the contract's
 * fields (`{ inFeatures, seed, T }`, `{ seed, T, paperConfig }`), whatever
 * else the caller's object holds; `dispose` exists only with a `pool`.
 *
 * @example
 * ```ts
 * import { auxPool, baselineSpec } from "./mod.ts";
 * import { createFeatureProjector } from "../encoders/mod.ts";
 * import { tf } from "../tf.ts";
 *
 * const pool = auxPool();
 * const spec = baselineSpec("cpc", {
 *   createEncoder: createFeatureProjector,
 *   createObjective: () => (encoder, x) => tf.mean(encoder.apply(x, { training: true })),
 *   pool,
 * });
 * // spec.label === "CPC", spec.specSection === "§B1"
 * ```
 */
export function baselineSpec(name: BaselineName, parts: BaselineParts): BaselineSpec {
  const about = BASELINE_ABOUT[name];
  const { pool } = parts;
  return {
    name,
    label: about.label,
    specSection: about.specSection,
    defects: [...about.defects],
    createEncoder: ({ inFeatures, seed, T }) => parts.createEncoder({ inFeatures, seed, T }),
    createObjective: ({ seed, T, paperConfig }) => parts.createObjective({ seed, T, paperConfig }),
    ...(pool ? { dispose: () => pool.disposeAll() } : {}),
  };
}
