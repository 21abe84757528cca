/**
 * Difficult pairs (spec §6a, after Zhang, Cui, Li, Wang, arXiv 2501.01317):
 * unlabelled selection of negative pairs in an upper-middle similarity band,
 * and the sample-level selection used for removal.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor1D, Tensor2D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";

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
   * "none" (default): only σ/ρ; "pairs": difficult pairs leave the
   * denominator; "samples": difficult anchors leave the loss mean.
   */
  removal?: "none" | "pairs" | "samples";
  /** Fraction of samples removed by `removal: "samples"` (default 0.1). */
  pRm?: number;
}

/** {@linkcode DifficultOptions} with every default filled in and validated. */
export type ResolvedDifficult = Required<DifficultOptions>;

/**
 * Fills in the defaults of spec §6a (`q_lo 0.95`, `q_hi 0.995`, `σ 0.1`,
 * `ρ 2`, `p_rm 0.1`, removal "none").
 *
 * @throws {OptionError} on a value outside its domain.
 */
export function resolveDifficult(options: DifficultOptions): ResolvedDifficult {
  const r: ResolvedDifficult = {
    qLo: options.qLo ?? 0.95,
    qHi: options.qHi ?? 0.995,
    sigma: options.sigma ?? 0.1,
    rho: options.rho ?? 2,
    removal: options.removal ?? "none",
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

/** Empirical quantile with linear interpolation (numpy's default) of sorted values. */
function quantile(sorted: Float32Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Difficult-pair indicator `h_ij = 1[Q(q_lo) ≤ S_ij ≤ Q(q_hi)]` over the
 * negative pairs (`i ≠ j`, `|i − j| ≠ 1`), where `Q` is the empirical
 * quantile (linear interpolation) of the negative-pair similarities of this
 * batch. The diagonal and temporal neighbours are never difficult. Computed
 * from the values of `s` (stop-gradient).
 *
 * Shapes: `s [N, N]` → `h [N, N]` float32 0/1.
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
  const values = s.dataSync();
  const isNegative = (i: number, j: number) => Math.abs(i - j) > 1;
  const negatives = new Float32Array(Math.max(n * n - n - 2 * (n - 1), 0));
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (isNegative(i, j)) negatives[count++] = values[i * n + j];
  }
  const h = new Float32Array(n * n);
  if (count > 0) {
    negatives.sort();
    const lo = quantile(negatives, qLo);
    const hi = quantile(negatives, qHi);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = values[i * n + j];
        if (isNegative(i, j) && v >= lo && v <= hi) h[i * n + j] = 1;
      }
    }
  }
  return tf.tensor2d(h, [n, n]);
}

/**
 * Sample-level selection for removal: sample n is difficult when its share
 * of difficult pairs `mean_j h_nj` is among the top `⌈p_rm·N⌉` (ties broken by
 * index; samples with no difficult pair are never selected).
 *
 * Shapes: `h [N, N]` → `[N]` float32 0/1 (1 = difficult).
 */
export function difficultSampleMask(h: Tensor2D, pRm: number): Tensor1D {
  const n = h.shape[0];
  const values = h.dataSync();
  const share = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += values[i * n + j];
    share[i] = sum / n;
  }
  const order = Array.from(share.keys()).sort((a, b) => share[b] - share[a] || a - b);
  const out = new Float32Array(n);
  for (const i of order.slice(0, Math.ceil(pRm * n))) if (share[i] > 0) out[i] = 1;
  return tf.tensor1d(out);
}
