/**
 * Variance reduction of negative-pair similarity, VRN (spec §6b, after Lee,
 * Lim, Lee, Sohn, arXiv 2506.09781), in the single-view adaptation of the
 * study.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import { OptionError } from "../errors.ts";
import { checkEmbeddings, cosineSimilarity, emptyMean } from "./similarity.ts";
import { negativePairMask } from "./neighbours.ts";

/** Options of {@linkcode vrnsLoss}; give `delta` or `k`, not both. */
export interface VrnsOptions {
  /** δ, the target of every negative-pair cosine. */
  delta?: number;
  /** k, the number of training instances: `δ = −1/(k − 1)`. */
  k?: number;
  /** Exponent p (default 2). */
  p?: number;
}

/** The `vrns` option of `infoNceLoss` / `stableMarginLoss`: `L = L_CL + λ·L_VRN`. */
export interface VrnsCombination extends VrnsOptions {
  /** λ (default 30, as in the authors' code). */
  lambda?: number;
}

/**
 * The VRN target: `delta` if given, `−1/(k − 1)` if `k` is given, 0 (the
 * limit k → ∞) if neither.
 *
 * @throws {OptionError} when both are given, or on values outside their domain.
 */
export function vrnsTarget(options: VrnsOptions): number {
  const { delta, k } = options;
  if (delta !== undefined && k !== undefined) {
    throw new OptionError("vrns: give either delta or k (δ = −1/(k − 1)), not both");
  }
  if (delta !== undefined) {
    if (!Number.isFinite(delta)) {
      throw new OptionError(`vrns.delta: expected a finite number, got ${delta}`);
    }
    return delta;
  }
  if (k !== undefined) {
    if (!(Number.isFinite(k) && k > 1)) {
      throw new OptionError(`vrns.k: expected a number of instances > 1, got ${k}`);
    }
    return -1 / (k - 1);
  }
  return 0;
}

/**
 * `L_VRN = mean_{(i,j) ∈ Neg} (S_ij − δ)^p` with `S` the cosine-similarity
 * matrix of `z` and `Neg = {(i, j) : i ≠ j, |i − j| ≠ 1}` (temporal positives
 * excluded). `δ` from {@linkcode vrnsTarget}.
 *
 * Shapes: `z [N, D]` → scalar (NaN when N ≤ 2: no negative pair).
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 * @throws {OptionError} when both δ and k are given, or `p ≤ 0`.
 */
export function vrnsLoss(z: Tensor2D, options: VrnsOptions = {}): Scalar {
  checkEmbeddings(z);
  const delta = vrnsTarget(options);
  const p = options.p ?? 2;
  if (!(Number.isFinite(p) && p > 0)) {
    throw new OptionError(`vrns.p: expected a finite number > 0, got ${p}`);
  }
  return tf.tidy(() => vrnsFromSimilarity(cosineSimilarity(z), delta, p));
}

/** {@linkcode vrnsLoss} on a given similarity matrix `s [N, N]`. */
export function vrnsFromSimilarity(s: Tensor2D, delta: number, p: number): Scalar {
  return tf.tidy(() => {
    const n = s.shape[0];
    const mask = negativePairMask(n);
    const offset = tf.sub(s, delta);
    const powered = p === 2 ? tf.square(offset) : tf.pow(offset, p);
    const terms = tf.where(tf.greater(mask, 0), powered, tf.zerosLike(powered));
    const count = n * n - n - 2 * (n - 1);
    return count > 0 ? tf.div(tf.sum(terms), count) as Scalar : emptyMean(s);
  });
}
