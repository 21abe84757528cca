/**
 * SimMTM as shipped with the eMargin reference (baselines/simmtm.py,
 * src/losses/simmtm_losses.py, src/augmentations.py; spec §B7).
 *
 * ```
 * x_om = [x; x⊙m¹; x⊙m²; x⊙m³]          [4B, T, F]   (geometric masks, mean run 3, ratio 0.5)
 * z = FP(x_om) as rows                     [R = 4N, D]  (N = B·T, row (k·B + b)·T + t)
 * S = û ûᵀ (cosine)                        [R, R]   (in row blocks, `simmtm_blocked.ts`)
 * L_cl = −(1/R) Σ_r Σ_{k=1..3} log softmax_{j≠r}(S_r·/τ)[r ± kN],  τ = 0.2
 * W = softmax(S/τ − 10¹²·I) rowwise;  x̂ = head(W z) (Linear D → F);  L_rb = MSE(x̂, x_om)
 * L = Σ_i [½ L_i / σ_i² + log(1 + σ_i²)],  σ = (1, 1) → ½ L_cl + ½ L_rb + 2 log 2
 * ```
 *
 * Defects of the shipped code: the head and the loss weights σ are not in
 * the optimiser (they stay at init); the contrast is over frames, not
 * series; the backbone is the per-frame FP.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D, Tensor3D } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import { gram } from "../ops/mod.ts";
import { similarityAggregate } from "./simmtm_blocked.ts";
import { ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import { dataSyncOrThrow } from "../backend.ts";
import type { Objective } from "../train/mod.ts";
import { applyLinear, auxPool, frozenLinear, normalizeRows } from "./common.ts";
import type { LinearWeights } from "./common.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** Masked copies per sequence (`positive_nums`). */
export const SIMMTM_POSITIVES = 3;
/** Temperature `τ`. */
export const SIMMTM_TEMPERATURE = 0.2;

/** The cosine similarities `S = û ûᵀ` `[R, R]` of the rows of `z [R, D]`. */
export function simmtmSimilarity(z: Tensor2D): Tensor2D {
  return tf.tidy(() => gram(normalizeRows(z)));
}

/** The parts of the SimMTM loss. */
export interface SimmtmLossParts {
  lossCl: Scalar;
  lossRb: Scalar;
  loss: Scalar;
}

/**
 * The SimMTM loss on frame embeddings `z [R, D]` (`R = (1+P)·N`) and the
 * masked batch `xOm [(1+P)·B, T, F]`, with the frozen `head` and `sigma`.
 */
export function simmtmLossParts(
  z: Tensor2D,
  xOm: Tensor3D,
  head: LinearWeights,
  sigma: [number, number] = [1, 1],
): SimmtmLossParts {
  const [rows, d] = z.shape;
  const copies = SIMMTM_POSITIVES + 1;
  if (rows % copies !== 0 || xOm.shape[0] * xOm.shape[1] !== rows) {
    throw new ShapeError(`simmtm: z has ${rows} rows, x_om [${xOm.shape}] needs B·T·${copies}`);
  }
  const n = rows / copies;
  return tf.tidy(() => {
    const u = normalizeRows(z);
    const { lse, rebuilt: aggregated } = similarityAggregate(u, z, SIMMTM_TEMPERATURE);
    let positive = tf.zeros([rows]);
    for (let k = 1; k <= SIMMTM_POSITIVES; k++) {
      const shift = k * n;
      const rolled = tf.concat([
        tf.slice(u, [shift, 0], [rows - shift, d]),
        tf.slice(u, [0, 0], [shift, d]),
      ]);
      positive = tf.add(positive, tf.div(tf.sum(tf.mul(u, rolled), 1), SIMMTM_TEMPERATURE));
    }
    const lossCl = tf.div(tf.sum(tf.sub(tf.mul(lse, SIMMTM_POSITIVES), positive)), rows) as Scalar;
    const rebuilt = applyLinear(aggregated, head);
    const lossRb = tf.mean(tf.square(tf.sub(tf.reshape(rebuilt, xOm.shape), xOm))) as Scalar;
    const term = (l: Scalar, s: number) => tf.add(tf.mul(l, 0.5 / (s * s)), Math.log(1 + s * s));
    const loss = tf.add(term(lossCl, sigma[0]), term(lossRb, sigma[1])) as Scalar;
    return { lossCl, lossRb, loss };
  });
}

/**
 * TST's `geom_noise_mask_single(L, lm = 3, r = 0.5)`: a keep mask of length
 * `L` alternating masked/kept runs, masked runs of mean length `lm`.
 */
export function geometricKeepMask(length: number, rng: Rng, lm = 3, ratio = 0.5): Uint8Array {
  const keep = new Uint8Array(length);
  const pM = 1 / lm, pU = (pM * ratio) / (1 - ratio);
  let state = rng.next() > ratio ? 1 : 0;
  for (let i = 0; i < length; i++) {
    keep[i] = state;
    if (rng.next() < (state === 0 ? pM : pU)) state = 1 - state;
  }
  return keep;
}

/**
 * `[x; x⊙m¹; x⊙m²; x⊙m³]` from `x [B, T, F]` row-major; mask `m^k` is drawn
 * per (copy, feature) along time and shared by the batch (spec §B7).
 */
export function simmtmMaskedBatch(x: Float32Array, B: number, T: number, F: number, rng: Rng) {
  const size = B * T * F;
  const out = new Float32Array((SIMMTM_POSITIVES + 1) * size);
  out.set(x, 0);
  for (let k = 1; k <= SIMMTM_POSITIVES; k++) {
    const masks = Array.from({ length: F }, () => geometricKeepMask(T, rng));
    for (let i = 0; i < size; i++) {
      const t = Math.floor(i / F) % T, f = i % F;
      out[k * size + i] = masks[f][t] ? x[i] : 0;
    }
  }
  return out;
}

const pool = auxPool();

/** The SimMTM objective; the head `Linear(D → F)` is created from `seed` and never trained. */
export function simmtmObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  let head: LinearWeights | null = null;
  return (encoder, x) => {
    const [b, t, f] = x.shape;
    head ??= pool.track(frozenLinear(encoder.outFeatures, f, rng.fork()));
    const data = dataSyncOrThrow(x, "simmtm masking") as Float32Array;
    const masked = simmtmMaskedBatch(data, b, t, f, rng);
    return tf.tidy(() => {
      const xOm = tf.tensor3d(masked, [(SIMMTM_POSITIVES + 1) * b, t, f]);
      const z = encoder.apply(xOm, { training: true });
      const rows = tf.reshape(z, [xOm.shape[0] * t, encoder.outFeatures]) as Tensor2D;
      return simmtmLossParts(rows, xOm, head!).loss;
    });
  };
}

/** SimMTM in the study grid. */
export const simmtmBaseline: BaselineSpec = baselineSpec("simmtm", {
  createEncoder: createFeatureProjector,
  createObjective: simmtmObjective,
  pool,
});
