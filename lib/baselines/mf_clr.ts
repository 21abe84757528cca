/**
 * MF-CLR as shipped with the eMargin reference (baselines/mf_clr.py,
 * src/models/mfclrencoder.py, models/mfclrloss.py; spec §B8).
 *
 * ```
 * grain split [F, F]: fine = x (all F features), coarse = x[..., F:F] (0 features)
 * enc (BackboneEncoder): x → Linear(F→64) → FP(64→320) → Dropout(0.1) → transpose → [B, 320, T]
 * z₁ = enc(x), z₂ = enc(aug(x))        (aug: `mf_clr_aug.ts`)
 * L = (1−β)·L_inst(z₁, z₂) + β·L_feat(z₁, z₂, c, c),  β = 1e−5
 * L_inst = TS2Vec instance CE on [B, L, C] (here L = 320 channels, C = T frames)
 * L_feat = (1/B²) Σ_{i,j} ((1 − s_ij)·δ − ‖z₁ᵢ − z₂ⱼ‖_F)²,  δ = 1,
 *          s_ij = 1 − ‖c₁ᵢ − c₂ⱼ‖_F / max(0.01, max_{k,l} ‖c₁ₖ − c₂ₗ‖_F)
 * ```
 *
 * With 0 coarse features every `s_ij = 1`, so `L_feat = (1/B²) Σ_{i,j} ‖z₁ᵢ − z₂ⱼ‖²_F`.
 * `encode` uses an SWA average (`AveragedModel`) of the parameters, folded
 * in after every optimiser step (the init counts once); its BatchNorm
 * statistics are never updated (`use_buffers = False`, no `update_bn`), so
 * eval runs with running mean 0 and variance 1.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor3D, Variable } from "../tf.ts";
import { createTs2vecEncoder, instanceContrastiveLoss } from "../ts2vec/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import { dataSyncOrThrow } from "../backend.ts";
import type { Objective } from "../train/mod.ts";
import { mfclrAugment } from "./mf_clr_aug.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** Weight of the feature term. */
export const MFCLR_BETA = 1e-5;

/**
 * Pairwise Frobenius distances `‖c₁ᵢ − c₂ⱼ‖` of coarse features given as
 * `[B][…]` flat rows (empty rows for the shipped 0-feature grain).
 */
export function coarseDistances(c1: Float32Array[], c2: Float32Array[]): number[][] {
  return c1.map((a) =>
    c2.map((b) => {
      let s = 0;
      for (let k = 0; k < a.length; k++) s += (a[k] - b[k]) ** 2;
      return Math.sqrt(s);
    })
  );
}

/** `L_feat` ("quad", δ = 1) on `z₁, z₂ [B, ·, ·]` and the coarse distances. */
export function mfclrFeatureLoss(z1: Tensor3D, z2: Tensor3D, distances: number[][]): Scalar {
  const b = z1.shape[0];
  const maxDist = Math.max(0.01, ...distances.flat());
  return tf.tidy(() => {
    const a = tf.reshape(z1, [b, 1, -1]), c = tf.reshape(z2, [1, b, -1]);
    const squared = tf.sum(tf.square(tf.sub(a, c)), 2); // [B, B]: ‖z₁ᵢ − z₂ⱼ‖²
    const gap = distances.map((row) => row.map((d) => d / maxDist)); // 1 − s_ij
    let total = tf.sum(squared);
    if (gap.flat().some((g) => g !== 0)) {
      const g = tf.tensor2d(gap);
      const norm = tf.sqrt(squared); // only where 1 − s ≠ 0 does it carry weight
      total = tf.sum(tf.square(tf.sub(g, norm)));
    }
    return tf.div(total, b * b) as Scalar;
  });
}

/** `combine_loss(z₁, z₂, c₁, c₂)` with α = 1, β = 1e−5. */
export function mfclrLoss(z1: Tensor3D, z2: Tensor3D, distances: number[][]): Scalar {
  if (z1.shape.join() !== z2.shape.join()) {
    throw new ShapeError(`mfclr: views differ, [${z1.shape}] vs [${z2.shape}]`);
  }
  return tf.tidy(() =>
    tf.add(
      tf.mul(instanceContrastiveLoss(z1, z2), 1 - MFCLR_BETA),
      tf.mul(mfclrFeatureLoss(z1, z2, distances), MFCLR_BETA),
    ) as Scalar
  );
}

/** MF-CLR's encoder: trains `_net`; `apply` in eval mode is the SWA model. */
export interface MfclrEncoder extends Encoder {
  /** Called by the objective before each step's forward pass. */
  beginStep(): void;
  /** Number of parameter snapshots averaged so far. */
  readonly averaged: number;
  /** The SWA model's parameters (the running average), by state-dict name. */
  readonly swaParams: Record<string, Variable>;
}

/** The `_net` and its SWA copy (see the module doc). */
export function createMfclrEncoder(o: { inFeatures: number; seed: number }): MfclrEncoder {
  const options = { ...o, backbone: "feature-projector" as const, maskKeep: 1 };
  const net = createTs2vecEncoder(options), swa = createTs2vecEncoder(options);
  let averaged = 1, pending = false;
  const fold = () => {
    tf.tidy(() => {
      for (const [name, v] of Object.entries(net.params)) {
        const avg = swa.params[name];
        avg.assign(tf.add(avg, tf.div(tf.sub(v, avg), averaged + 1)));
      }
    });
    averaged++;
    pending = false;
  };
  return {
    ...net,
    name: "mf-clr",
    get averaged() {
      return averaged;
    },
    swaParams: swa.params,
    beginStep() {
      if (pending) fold();
      pending = true;
    },
    apply(x, { training }) {
      if (training) return net.apply(x, { training });
      if (pending) fold();
      return swa.apply(x, { training: false });
    },
    dispose() {
      net.dispose();
      swa.dispose();
    },
  };
}

/** The MF-CLR objective on the fine grain; the coarse grain has 0 features. */
export function mfclrObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  return (encoder, x) => {
    if (!("beginStep" in encoder)) {
      throw new OptionError(
        `mf-clr objective: expected createMfclrEncoder's encoder, got "${encoder.name}"`,
      );
    }
    (encoder as MfclrEncoder).beginStep();
    const [b, t, f] = x.shape;
    const aug = mfclrAugment(
      dataSyncOrThrow(x, "mf-clr augmentation") as Float32Array,
      b,
      t,
      f,
      rng,
    );
    const empty = Array.from({ length: b }, () => new Float32Array(0));
    const distances = coarseDistances(empty, empty);
    return tf.tidy(() => {
      const toChannels = (z: Tensor3D) => tf.transpose(z, [0, 2, 1]) as Tensor3D;
      const z1 = toChannels(encoder.apply(x, { training: true }));
      const z2 = toChannels(encoder.apply(tf.tensor3d(aug, [b, t, f]), { training: true }));
      return mfclrLoss(z1, z2, distances);
    });
  };
}

/** MF-CLR in the study grid. */
export const mfclrBaseline: BaselineSpec = baselineSpec("mf-clr", {
  createEncoder: createMfclrEncoder,
  createObjective: mfclrObjective,
});
