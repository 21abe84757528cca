/**
 * SoftCLT ("Soft") as shipped with the eMargin reference
 * (baselines/soft_ts2vec.py, models/soft_losses.py, spec §B4).
 *
 * The soft labels are switched off (`soft_instance = soft_temporal = False`),
 * so the loss is TS2Vec's hard hierarchical loss on two overlapping crops
 * (`α = 0.5`, `temporal_unit = 0`):
 *
 * ```
 * enc: x [B,T,F] → Linear(F→64) → timestamp mask (train) → FP(64→320) → Dropout(0.1)
 * crops: out1[:, −crop_l:], out2[:, :crop_l]   [B, crop_l, 320]
 * L = hierarchical(out1, out2): Σ_scales [½ L_inst + ½ L_temp] (+ ½ L_inst at T'=1) / #terms
 * ```
 *
 * Defects of the shipped code: the soft-label matrix is computed every step
 * and never used (this is TS2Vec with a per-frame encoder, not SoftCLT), and
 * the encoder has no temporal receptive field.
 *
 * @module
 */
import type { Scalar, Tensor3D } from "../tf.ts";
import {
  createTs2vecEncoder,
  hierarchicalContrastiveLoss,
  ts2vecObjective,
} from "../ts2vec/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import type { Objective } from "../train/mod.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** TS2Vec's hierarchical weight of the instance term in the shipped Soft wrapper. */
export const SOFT_ALPHA = 0.5;

/**
 * The Soft loss on two aligned crops `z1, z2 [B, T', D]`: the hard TS2Vec
 * hierarchical loss with `α = λ = 0.5` (soft labels off).
 */
export function softLoss(z1: Tensor3D, z2: Tensor3D): Scalar {
  return hierarchicalContrastiveLoss(z1, z2, { alpha: SOFT_ALPHA });
}

/** The shipped Soft encoder: `Linear(F→64)` → mask → FP(64→320) → Dropout(0.1). */
export function createSoftEncoder(o: { inFeatures: number; seed: number }): Encoder {
  return createTs2vecEncoder({ ...o, backbone: "feature-projector" });
}

/** The Soft objective: TS2Vec overlap cropping and {@linkcode softLoss}. */
export function softObjective(options: { seed: number }): Objective {
  return ts2vecObjective({ seed: options.seed, alpha: SOFT_ALPHA, cropping: "overlap" });
}

/** SoftCLT in the study grid. */
export const softcltBaseline: BaselineSpec = baselineSpec("softclt", {
  createEncoder: createSoftEncoder,
  createObjective: softObjective,
});
