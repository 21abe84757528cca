/**
 * One TS2Vec training objective: two overlapping crops of the batch, both
 * encoded in train mode, compared on their common segment by the
 * hierarchical contrastive loss.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor3D } from "../tf.ts";
import { makeRng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import { cropViews, drawCrop } from "./crop.ts";
import { hierarchicalContrastiveLoss } from "./loss.ts";

/** Options of {@linkcode ts2vecObjective}. */
export interface Ts2vecObjectiveOptions {
  /** Seed of the crop positions. */
  seed: number;
  /** Weight of the instance term (default 0.5). */
  alpha?: number;
}

/**
 * The TS2Vec step for `pretrain({ objective })`. Per call on `x [B, T, F]`:
 * draw a crop, encode `x[eleft:right]` and `x[left:eright]` (shifted per
 * sequence), keep `out1[:, −crop_l:]` and `out2[:, :crop_l]`, and return
 * `hierarchicalContrastiveLoss(out1, out2)`.
 */
export function ts2vecObjective(options: Ts2vecObjectiveOptions): Objective {
  const rng = makeRng(options.seed);
  const alpha = options.alpha ?? 0.5;
  return (encoder, x) => {
    const [b, t] = x.shape;
    const crop = drawCrop(b, t, rng);
    const [view1, view2] = cropViews(x, crop);
    const out1 = encoder.apply(view1, { training: true });
    const out2 = encoder.apply(view2, { training: true });
    const d = encoder.outFeatures;
    const len1 = out1.shape[1];
    const z1 = tf.slice(out1, [0, len1 - crop.length, 0], [b, crop.length, d]) as Tensor3D;
    const z2 = tf.slice(out2, [0, 0, 0], [b, crop.length, d]) as Tensor3D;
    return hierarchicalContrastiveLoss(z1, z2, { alpha });
  };
}
