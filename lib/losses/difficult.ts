/**
 * Difficult pairs (spec §6a, after Zhang, Cui, Li, Wang, arXiv 2501.01317):
 * unlabelled selection of negative pairs in an upper-middle similarity band,
 * and the sample-level selection used for removal.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { negativePairMask } from "./neighbours.ts";

/** Quantile band of {@linkcode difficultPairMask}. */
export interface DifficultBand {
  /** Lower quantile of the band (default 0.95). */
  qLo?: number;
  /** Upper quantile of the band (default 0.995); pairs above are presumed same-class. */
  qHi?: number;
}

/** The `difficult` option of `infoNceLoss` and `stableMarginLoss`. */
export interface DifficultOptions extends DifficultBand {
  /** σ: margin subtracted from difficult similarities, `(S − σ)/(ρτ)` (default 0.1). */
  sigma?: number;
  /** ρ: temperature scale for difficult pairs (default 2). */
  rho?: number;
  /**
   * "pairs" (default, spec §6a): difficult pairs leave the denominator;
   * "none": only the σ/ρ edits; "samples": difficult anchors leave the loss
   * mean (σ/ρ still edit the remaining difficult pairs; pass σ 0, ρ 1 for
   * removal alone).
   */
  removal?: "none" | "pairs" | "samples";
  /** Fraction of samples removed by `removal: "samples"` (default 0.1). */
  pRm?: number;
}

/** {@linkcode DifficultOptions} with every default filled in and validated. */
export type ResolvedDifficult = Required<DifficultOptions>;

/**
 * Fills in the defaults of spec §6a (`q_lo 0.95`, `q_hi 0.995`, `σ 0.1`,
 * `ρ 2`, `p_rm 0.1`, removal "pairs").
 *
 * @throws {OptionError} on a value outside its domain.
 */
export function resolveDifficult(options: DifficultOptions): ResolvedDifficult {
  const r: ResolvedDifficult = {
    qLo: options.qLo ?? 0.95,
    qHi: options.qHi ?? 0.995,
    sigma: options.sigma ?? 0.1,
    rho: options.rho ?? 2,
    removal: options.removal ?? "pairs",
    pRm: options.pRm ?? 0.1,
  };
  checkBand(r.qLo, r.qHi);
  if (!Number.isFinite(r.sigma)) {
    throw new OptionError(`difficult.sigma: expected a finite number, got ${r.sigma}`);
  }
  if (!(Number.isFinite(r.rho) && r.rho > 0)) {
    throw new OptionError(`difficult.rho: expected a finite number > 0, got ${r.rho}`);
  }
  if (!["none", "pairs", "samples"].includes(r.removal)) {
    throw new OptionError(
      `difficult.removal: expected "none", "pairs" or "samples", got ${r.removal}`,
    );
  }
  if (!(r.pRm >= 0 && r.pRm <= 1)) {
    throw new OptionError(`difficult.pRm: expected a fraction in [0, 1], got ${r.pRm}`);
  }
  return r;
}

function checkBand(qLo: number, qHi: number): void {
  if (!(qLo >= 0 && qLo <= qHi && qHi <= 1)) {
    throw new OptionError(
      `difficult quantiles: expected 0 ≤ qLo ≤ qHi ≤ 1, got qLo ${qLo}, qHi ${qHi}`,
    );
  }
}

/**
 * Empirical quantile (linear interpolation, numpy's default) of `count`
 * values given in descending order (`descending[r]` = the r-th largest):
 * ascending position `a` is descending position `count − 1 − a`.
 */
export function quantileOfDescending(descending: Tensor1D, count: number, q: number): Tensor {
  const pos = q * (count - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, count - 1);
  const at = (a: number) => tf.slice(descending, [count - 1 - a], [1]);
  const vLo = at(lo);
  return tf.add(vLo, tf.mul(pos - lo, tf.sub(at(hi), vLo)));
}

/**
 * Difficult-pair indicator `h_ij = 1[Q(q_lo) ≤ S_ij ≤ Q(q_hi)]` over the
 * negative pairs (`i ≠ j`, `|i − j| ≠ 1`), where `Q` is the empirical
 * quantile (linear interpolation) of the negative-pair similarities of this
 * batch. The diagonal and temporal neighbours are never difficult. No
 * gradient flows through `h` (stop-gradient).
 *
 * Shapes: `s [N, N]` → `h [N, N]` float32 0/1.
 *
 * Only the values above `Q(q_lo)` are ordered (`tf.topk`), on the device,
 * without a synchronous read.
 *
 * @throws {ShapeError} when `s` is not square.
 * @throws {OptionError} unless `0 ≤ qLo ≤ qHi ≤ 1`.
 */
export function difficultPairMask(s: Tensor2D, band: DifficultBand = {}): Tensor2D {
  const { qLo = 0.95, qHi = 0.995 } = band;
  checkBand(qLo, qHi);
  if (s.rank !== 2 || s.shape[0] !== s.shape[1]) {
    throw new ShapeError(
      `s: expected a square similarity matrix [N, N], got shape [${s.shape.join(", ")}]`,
    );
  }
  const n = s.shape[0];
  const count = n * n - n - 2 * (n - 1);
  if (count <= 0) return tf.zeros([n, n]);
  return detached(s, (similarity) => {
    const values = tf.reshape(similarity, [n * n]);
    const isNegative = tf.greater(negativePairMask(n), 0);
    const negatives = tf.where(
      tf.reshape(isNegative, [n * n]),
      values,
      tf.fill([n * n], -Infinity),
    );
    const k = count - Math.floor(qLo * (count - 1));
    const descending = tf.topk(negatives, k).values as Tensor1D;
    const lo = quantileOfDescending(descending, count, qLo);
    const hi = quantileOfDescending(descending, count, qHi);
    const inBand = tf.logicalAnd(tf.greaterEqual(similarity, lo), tf.lessEqual(similarity, hi));
    return tf.cast(tf.logicalAnd(isNegative, inBand), "float32");
  }) as Tensor2D;
}

/**
 * Sample-level selection for removal: sample n is difficult when its share
 * of difficult pairs `mean_j h_nj` is among the top `⌈p_rm·N⌉` (`tf.topk`
 * order: ties to the lower index; samples with no difficult pair are never
 * selected).
 *
 * Shapes: `h [N, N]` → `[N]` float32 0/1 (1 = difficult).
 */
export function difficultSampleMask(h: Tensor2D, pRm: number): Tensor1D {
  const n = h.shape[0];
  const k = Math.min(Math.ceil(pRm * n), n);
  if (k === 0) return tf.zeros([n]);
  return detached(h, (pairs) => {
    const share = tf.mean(pairs, 1) as Tensor1D;
    const top = tf.topk(share, k).indices;
    const selected = tf.sum(tf.oneHot(top, n), 0);
    return tf.mul(selected, tf.cast(tf.greater(share, 0), "float32"));
  }) as Tensor1D;
}

type Saver = (tensors: Tensor[]) => void;

/**
 * `compute(x)` as a constant of the autodiff graph: its gradient with
 * respect to `x` is zero (stop-gradient), and the comparisons and `topk`
 * inside, which have no tfjs gradient, are not differentiated.
 */
function detached(x: Tensor, compute: (x: Tensor) => Tensor): Tensor {
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [input] = args as [Tensor];
    return { value: compute(input), gradFunc: () => [tf.zerosLike(input)] };
  }) as (input: Tensor) => Tensor;
  return op(x);
}
