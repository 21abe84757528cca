/**
 * One TS2Vec training objective: two overlapping crops of the batch, both
 * encoded in train mode, compared on their common segment by the
 * hierarchical contrastive loss.
 *
 * `cropping: "padded-full"` reproduces the wrapper shipped with the eMargin
 * reference instead (spec §3 variant 5): both crops are encoded whole, the
 * shorter output is zero-padded at its end to the longer one's length, and
 * the loss compares the two full (misaligned) outputs position by position.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor3D } from "../tf.ts";
import { makeRng } from "../random.ts";
import { OptionError } from "../errors.ts";
import type { Encoder } from "../encoders/mod.ts";
import type { Objective, Ts2vecObjectiveSpec } from "../train/mod.ts";
import { cropViews, drawCrop } from "./crop.ts";
import { hierarchicalContrastiveLoss } from "./loss.ts";

/** Options of {@linkcode ts2vecObjective}. */
export interface Ts2vecObjectiveOptions {
  /** Seed of the crop positions. */
  seed: number;
  /** Weight of the instance term (default 0.5). */
  alpha?: number;
  /** `overlap` (TS2Vec, default) or `padded-full` (the shipped wrapper). */
  cropping?: "overlap" | "padded-full";
}

/**
 * The TS2Vec step for `pretrain({ objective })`. Per call on `x [B, T, F]`:
 * draw a crop, encode `x[eleft:right]` and `x[left:eright]` (shifted per
 * sequence), keep `out1[:, −crop_l:]` and `out2[:, :crop_l]`, and return
 * `hierarchicalContrastiveLoss(out1, out2)`. With `padded-full`:
 * `hierarchicalContrastiveLoss(pad(out1), pad(out2))`, both `[B, max(L₁, L₂), D]`.
 * Its `spec` holds the live crop stream (`makeRng(seed)`, advanced by every
 * call), `alpha` and the cropping: on webgpu, `pretrain` trains overlap
 * cropping through lib/webgpu's fused step, which draws from that stream.
 */
export function ts2vecObjective(options: Ts2vecObjectiveOptions): Objective {
  const rng = makeRng(options.seed);
  const alpha = options.alpha ?? 0.5;
  const cropping = options.cropping ?? "overlap";
  if (cropping !== "overlap" && cropping !== "padded-full") {
    throw new OptionError(
      `ts2vecObjective: cropping must be "overlap" or "padded-full", got "${cropping}"`,
    );
  }
  const spec: Ts2vecObjectiveSpec = { kind: "ts2vec", rng, alpha, cropping };
  return Object.assign((encoder: Encoder, x: Tensor3D): Scalar => {
    const [b, t] = x.shape;
    const crop = drawCrop(b, t, rng);
    const [view1, view2] = cropViews(x, crop);
    const out1 = encoder.apply(view1, { training: true });
    const out2 = encoder.apply(view2, { training: true });
    const d = encoder.outFeatures;
    const len1 = out1.shape[1];
    if (cropping === "padded-full") {
      const len = Math.max(len1, out2.shape[1]);
      const padEnd = (z: Tensor3D) => tf.pad(z, [[0, 0], [0, len - z.shape[1]], [0, 0]]);
      return hierarchicalContrastiveLoss(padEnd(out1), padEnd(out2), { alpha });
    }
    const z1 = tf.slice(out1, [0, len1 - crop.length, 0], [b, crop.length, d]) as Tensor3D;
    const z2 = tf.slice(out2, [0, 0, 0], [b, crop.length, d]) as Tensor3D;
    return hierarchicalContrastiveLoss(z1, z2, { alpha });
  }, { spec: Object.freeze(spec) });
}
