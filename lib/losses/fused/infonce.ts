/**
 * Fused log-space InfoNCE (spec §3 variant 1) with the §6a difficult-pair
 * edits and the §6b VRN term: the same loss as `infoNceLoss`, with the N×N
 * work reduced to one product `S = U·Uᵀ`, a handful of element-wise passes,
 * one row sum, and an analytic backward pass that is one more product.
 *
 * Every negative set of the loss is a column of `S` minus a band of at most
 * three entries around the diagonal. With `T_ij = exp(a_ij)` (`a` the
 * negative logits, `T = 0` on the band `|i − j| ≤ 1`) and the row sums
 * `R_j = Σ_i T_ij` (`S` is symmetric, so row j is column j), each set's
 * log-sum-exp is `log` of an O(N) combination of `R` and the neighbour terms
 * `X_j = exp(b_{j−1})`, `b_k = S_{k+1,k}/τ`. No shift is needed while every
 * logit lies in [−40, 40] (`e^40·N` is far below float32's range and `e^−40`
 * far above its smallest normal number); outside that range, and for the
 * sample-removal option, for p ≠ 2 and for N < 4, the reference
 * formulation is used.
 *
 * The VRN term with p = 2 needs no N×N pass at all:
 * `Σ_{(i,j)∈Neg} (S_ij − δ)² = ‖UᵀU‖²_F − Σ_i S_ii² − 2Σ_k S_{k+1,k}²
 *  − 2δ(‖Σ_i u_i‖² − Σ_i S_ii − 2Σ_k S_{k+1,k}) + δ²·|Neg|`,
 * an O(N·D²) expression differentiated by tfjs. On wasm from N = 256, where
 * the column kernels keep `S` anyway, the sum is taken over `S` itself (an
 * O(N²) pass, row by row) and its gradient joins the weights of the one
 * backward product: at N = 952, D = 320 that replaces two products of
 * N·D² multiply-adds.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { OptionError } from "../../errors.ts";
import { checkEmbeddings, l2Normalize } from "../similarity.ts";
import { checkTemperature } from "../options.ts";
import { infoNceLoss } from "../infonce.ts";
import type { InfoNceOptions } from "../infonce.ts";
import { quantileOfDescending, resolveDifficult } from "../difficult.ts";
import type { ResolvedDifficult } from "../difficult.ts";
import { resolveVrns } from "../combine.ts";
import { vrnsClosedForm } from "./vrns_closed_form.ts";
import type { ResolvedVrns } from "../combine.ts";
import { bandOffsets, subDiagonalGradient } from "./column_sums.ts";
import { BLOCKED_MIN_ROWS, blockedExpTerms, SYMMETRIC_BLOCKS } from "./symmetric_blocks.ts";
import { wasmGramActive, wasmSymmetricGram } from "../../wasm/mod.ts";
import {
  wasmBandSquares,
  wasmColumnKernelsActive,
  wasmColumnValues,
  wasmSymmetricGradients,
} from "./wasm_kernels.ts";
import type { ColumnTermOptions } from "./column_terms.ts";

type Saver = (tensors: Tensor[]) => void;

/** Options of {@linkcode fusedInfoNceLoss}: those of `infoNceLoss`. */
export type FusedInfoNceOptions = InfoNceOptions;

/** Largest |logit| computed without a shift (see the module documentation). */
const UNSHIFTED_LIMIT = 40;

/** Whether the fused form applies; otherwise `infoNceLoss` computes the loss. */
function fusable(
  n: number,
  temperature: number,
  difficult: ResolvedDifficult | undefined,
  vrns: ResolvedVrns | undefined,
): boolean {
  if (n < 4 || (vrns && vrns.p !== 2)) return false;
  let largest = 1 / temperature;
  if (difficult) {
    if (difficult.removal === "samples") return false;
    largest = Math.max(largest, (1 + Math.abs(difficult.sigma)) / (difficult.rho * temperature));
  }
  return largest <= UNSHIFTED_LIMIT;
}

/**
 * `tf.tensorScatterUpdate` that leaves `x` unchanged on every backend (the
 * cpu backend's kernel writes into its input's buffer).
 */
function scatter(x: Tensor, at: Tensor, updates: Tensor): Tensor {
  return tf.tensorScatterUpdate(tf.getBackend() === "cpu" ? tf.add(x, 0) : x, at, updates);
}

/** Extra entries `topk` returns beyond the lower quantile, so that ties there are seen. */
const TIE_MARGIN = 64;

/** `S` with the band `|i − j| ≤ 1` at −∞, flattened: the negative pairs' similarities. */
function negativeValues(s: Tensor2D): Tensor1D {
  const n = s.shape[0];
  return scatter(
    tf.reshape(s, [n * n]),
    bandOffsets(n),
    tf.fill([3 * n - 2], -Infinity),
  ) as Tensor1D;
}

/**
 * Flat offsets `i·N + j` of the difficult pairs (as `difficultPairMask`:
 * negatives with `Q(q_lo) ≤ S_ij ≤ Q(q_hi)`), found among the largest
 * negatives that `topk` returns, as `[m, 1]` int32; null when values equal to
 * `Q(q_lo)` may lie beyond them (ties), or when the backend cannot read
 * synchronously — the caller then builds the dense mask.
 */
function difficultOffsets(s: Tensor2D, band: ResolvedDifficult): Tensor2D | null {
  if (tf.getBackend() === "webgpu") return null;
  const n = s.shape[0];
  const count = n * n - n - 2 * (n - 1);
  const k = count - Math.floor(band.qLo * (count - 1));
  const extended = Math.min(count, k + TIE_MARGIN);
  const top = tf.topk(negativeValues(s), extended);
  const descending = top.values as Tensor1D;
  const [lo, hi] = tf.concat([
    quantileOfDescending(descending, count, band.qLo),
    quantileOfDescending(descending, count, band.qHi),
  ]).dataSync();
  const values = descending.dataSync();
  if (extended < count && values[extended - 1] >= lo) return null;
  const indices = top.indices.dataSync();
  const picked: number[] = [];
  for (let r = 0; r < extended; r++) {
    if (values[r] >= lo && values[r] <= hi) picked.push(indices[r]);
  }
  return tf.tensor2d(Int32Array.from(picked), [picked.length, 1], "int32");
}

/** The dense difficult-pair mask (the caller clears the band): `Q(q_lo) ≤ S_ij ≤ Q(q_hi)`. */
function difficultMask(s: Tensor2D, band: ResolvedDifficult): Tensor {
  const n = s.shape[0];
  const count = n * n - n - 2 * (n - 1);
  const k = count - Math.floor(band.qLo * (count - 1));
  const descending = tf.topk(negativeValues(s), k).values as Tensor1D;
  const lo = quantileOfDescending(descending, count, band.qLo);
  const hi = quantileOfDescending(descending, count, band.qHi);
  return tf.logicalAnd(tf.greaterEqual(s, lo), tf.lessEqual(s, hi));
}

/** What the forward pass keeps: `T`, `G = slope·scale`, and the positive logits. */
interface NegativeTerms {
  /** Row sums of `t` where the blocked product already formed them. */
  r?: Tensor1D;
  /** `T_ij = exp(a_ij)`, 0 on the band and on removed pairs, `[N, N]`. */
  t: Tensor2D;
  /** `∂T/∂S` divided by `scale`, `[N, N]` (symmetric). */
  slope: Tensor2D;
  scale: number;
  /** `b_k = S_{k+1,k}/τ`, `[N − 1]`. */
  lower: Tensor1D;
  /** Set where wasm's column kernels formed `t` (their backward pass applies). */
  kernels?: ColumnTermOptions;
  /** `S` itself, kept where the kernels formed `t`. */
  s?: Tensor2D;
}

/** The column kernels' options for InfoNCE's negatives (kind "exp"). */
const expTerms = (temperature: number): ColumnTermOptions => ({
  kind: "exp",
  temperature,
  margin: 0,
  gamma: 0,
});

/**
 * Whether wasm's column kernels form `T` and its sums (band 1) from the
 * in-place gram: on wasm from N = 256, without difficult pairs. There the
 * VRN term is summed over `S` directly, which already exists, instead of
 * the O(N·D²) closed form.
 */
function bandKernelsApply(n: number, difficult: ResolvedDifficult | undefined): boolean {
  return !difficult && n >= BLOCKED_MIN_ROWS && wasmGramActive() &&
    wasmColumnKernelsActive(n, n);
}

/** {@linkcode NegativeTerms} of `u [N, D]`. */
function negativeTerms(
  u: Tensor2D,
  temperature: number,
  difficult: ResolvedDifficult | undefined,
): NegativeTerms {
  const n = u.shape[0];
  // From N = 256 the symmetric products come from their lower block triangle: written in
  // place on wasm (lib/wasm/gram.ts), else by tfjs ops with the exponentials per block.
  const inPlace = n >= BLOCKED_MIN_ROWS && wasmGramActive();
  if (!difficult && n >= BLOCKED_MIN_ROWS && !inPlace) {
    const { t, r, lower } = blockedExpTerms(u, temperature, SYMMETRIC_BLOCKS, scatter);
    return { t, slope: t, scale: 1 / temperature, lower, r };
  }
  const lowerAt = bandOffsets(n, [1]);
  if (bandKernelsApply(n, difficult)) {
    const kernels = expTerms(temperature);
    // One SIMD pass: T = exp(S/τ) without the band, kept, and its row sums.
    const s = wasmSymmetricGram(u);
    const lower = tf.mul(tf.gatherND(tf.reshape(s, [n * n]), lowerAt), 1 / temperature) as Tensor1D;
    const [r, t] = wasmColumnValues(s, null, kernels, 1);
    return { t, slope: t, scale: 1 / temperature, lower, r, kernels, s };
  }
  // Uᵀ only where a whole product takes it (the in-place gram reads U itself)
  const uT = () => tf.transpose(u) as Tensor2D;
  const band = bandOffsets(n);
  const clear = (x: Tensor2D) =>
    tf.reshape(
      scatter(tf.reshape(x, [n * n]), band, tf.zeros([3 * n - 2])),
      [n, n],
    ) as Tensor2D;
  if (!difficult) {
    // Logits straight from the product: (U/τ)·Uᵀ.
    const scaled = tf.mul(u, 1 / temperature) as Tensor2D;
    const logits = inPlace ? wasmSymmetricGram(u, scaled) : tf.matMul(scaled, uT()) as Tensor2D;
    const lower = tf.gatherND(tf.reshape(logits, [n * n]), lowerAt) as Tensor1D;
    const t = clear(tf.exp(logits) as Tensor2D);
    return { t, slope: t, scale: 1 / temperature, lower };
  }
  const s = inPlace ? wasmSymmetricGram(u) : tf.matMul(u, uT()) as Tensor2D;
  const lower = tf.mul(tf.gatherND(tf.reshape(s, [n * n]), lowerAt), 1 / temperature) as Tensor1D;
  const scale = 1 / temperature;
  const logits = tf.mul(s, scale);
  const hardAt = difficultOffsets(s, difficult);
  if (hardAt) return sparseEdits(s, logits, hardAt, difficult, scale, lower);
  const hard = difficultMask(s, difficult);
  if (difficult.removal === "pairs") {
    const t = clear(tf.where(hard, tf.zerosLike(s), tf.exp(logits)) as Tensor2D);
    return { t, slope: t, scale, lower };
  }
  // a = S'/τ with S' = (S − σ)/ρ on difficult pairs, S elsewhere; ∂S'/∂S = 1/ρ or 1.
  const edited = tf.where(hard, tf.mul(tf.sub(s, difficult.sigma), 1 / difficult.rho), s);
  const t = clear(tf.exp(tf.mul(edited, scale)) as Tensor2D);
  const slope = tf.where(hard, tf.mul(t, 1 / difficult.rho), t) as Tensor2D;
  return { t, slope, scale, lower };
}

/**
 * {@linkcode negativeTerms} with the difficult pairs at `hardAt`: `exp(S/τ)`
 * everywhere, then the band and the difficult entries overwritten (with
 * `exp((S − σ)/(ρτ))`, or 0 for pair removal) in one scatter.
 */
function sparseEdits(
  s: Tensor2D,
  logits: Tensor,
  hardAt: Tensor2D,
  difficult: ResolvedDifficult,
  scale: number,
  lower: Tensor1D,
): NegativeTerms {
  const n = s.shape[0];
  const m = hardAt.shape[0];
  const { sigma, rho, removal } = difficult;
  const edited = removal === "pairs" ? tf.zeros([m]) : tf.exp(
    tf.mul(tf.sub(tf.gatherND(tf.reshape(s, [n * n]), hardAt), sigma), scale / rho),
  );
  const at = tf.concat([bandOffsets(n), hardAt]);
  const updates = tf.concat([tf.zeros([3 * n - 2]), edited]);
  const flat = scatter(tf.reshape(tf.exp(logits), [n * n]), at, updates);
  const t = tf.reshape(flat, [n, n]) as Tensor2D;
  if (removal === "pairs") return { t, slope: t, scale, lower };
  const slope = scatter(flat, hardAt, tf.mul(edited, 1 / rho));
  return { t, slope: tf.reshape(slope, [n, n]) as Tensor2D, scale, lower };
}

/**
 * `[R; b]`: the band-free row sums `R_j = Σ_{|i−j|>1} exp(a_ij)` `[N]` and the
 * positive logits `b_k = S_{k+1,k}/τ` `[N − 1]`, with the analytic gradient
 * `∂L/∂U = (G ⊙ (w_i + w_j))·U + (sub-diagonal terms of ∂L/∂b)/τ`, `w = ∂L/∂R`,
 * `G_ij = ∂T_ij/∂S_ij` (symmetric, as `S` is). With `vrnDelta` (only where
 * {@linkcode bandKernelsApply}) a last entry `q = Σ_{|i−j|>1} (S_ij − δ)²`,
 * whose gradient adds `4·∂L/∂q·(S_ij − δ)` to the weights off the band.
 */
function negativeSumsOp(
  temperature: number,
  difficult: ResolvedDifficult | undefined,
  vrnDelta?: number,
) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, save] = args as [Tensor2D, Saver];
    const n = u.shape[0];
    const { t, slope, scale, lower, r, kernels, s } = negativeTerms(u, temperature, difficult);
    const parts = [r ?? tf.sum(t, 1), lower];
    const vrn = vrnDelta !== undefined && kernels && s;
    if (vrn) parts.push(tf.reshape(tf.sum(wasmBandSquares(s, vrnDelta, 1)), [1]) as Tensor1D);
    save(vrn ? [u, slope, s] : [u, slope]);
    return {
      value: tf.concat(parts) as Tensor1D,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [su, g, ss] = saved as [Tensor2D, Tensor2D, Tensor2D | undefined];
        const dr = tf.slice(dy, [0], [n]);
        let weighted: Tensor2D;
        if (kernels) {
          const kappa = vrn ? tf.mul(tf.slice(dy, [2 * n - 1], [1]), 4) : null;
          weighted = kappa
            ? wasmSymmetricGradients(ss!, g, null, dr, kernels, { kappa, delta: vrnDelta! })
            : wasmSymmetricGradients(null, g, null, dr, kernels);
        } else {
          // w_i + w_j as a rank-2 product: a broadcast add tiles both operands on wasm.
          const w = tf.mul(dr, scale);
          const ones = tf.onesLike(w);
          const pairs = tf.matMul(tf.stack([w, ones], 1), tf.stack([ones, w], 0));
          weighted = tf.mul(g, pairs) as Tensor2D;
        }
        const both = tf.matMul(weighted, su) as Tensor2D;
        const q = tf.mul(tf.slice(dy, [n], [n - 1]), 1 / temperature) as Tensor1D;
        return [tf.add(both, subDiagonalGradient(su, q))];
      },
    };
  }) as (u: Tensor2D) => Tensor1D;
}

/**
 * Log-space decoupled InfoNCE, fused; the same value and gradient as
 * `infoNceLoss(z, options)` up to float32 rounding. With `R_j`, `b_k` as in
 * the module documentation and `X_j = exp(b_{j−1})` (`X_0 = 0`):
 *
 * - single (`k = 0..N−2`): `ℓ_k = log(R_k + X_k) − b_k`;
 * - ls (`c = 1..N−2`): `ℓ_c = log(R_{c−1} + X_{c−1} + R_c) − LSE(b_{c−1}, b_c)`;
 * - `L = mean ℓ (+ λ·L_VRN)`; difficult negatives enter `R` as `exp((S − σ)/(ρτ))`
 *   (removal "none") or not at all (removal "pairs").
 *
 * Shapes: `z [N, D]` → scalar.
 *
 * @example
 * ```ts
 * const loss = fusedInfoNceLoss(z, { temperature: 0.1, form: "ls", vrns: { k: 5000 } });
 * ```
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 * @throws {OptionError} on invalid τ, form, difficult or vrns options.
 */
export function fusedInfoNceLoss(z: Tensor2D, options: FusedInfoNceOptions): Scalar {
  checkEmbeddings(z);
  const { temperature, form } = options;
  checkTemperature(temperature);
  if (form !== "ls" && form !== "single") {
    throw new OptionError(`form: expected "ls" or "single", got ${form}`);
  }
  const difficult = options.difficult ? resolveDifficult(options.difficult) : undefined;
  const vrns = options.vrns ? resolveVrns(options.vrns) : undefined;
  const n = z.shape[0];
  if (!fusable(n, temperature, difficult, vrns)) return infoNceLoss(z, options);
  return tf.tidy(() => {
    const u = l2Normalize(z);
    // the VRN sum over S where the kernels keep S, else its closed form
    const overS = vrns !== undefined && bandKernelsApply(n, difficult);
    const stats = negativeSumsOp(temperature, difficult, overS ? vrns.delta : undefined)(u);
    const r = tf.slice(stats, [0], [n]);
    const b = tf.slice(stats, [n], [n - 1]);
    const withPrevious = tf.add(r, tf.pad(tf.exp(b), [[1, 0]]));
    let perAnchor: Tensor;
    if (form === "single") {
      perAnchor = tf.sub(tf.log(tf.slice(withPrevious, [0], [n - 1])), b);
    } else {
      const negatives = tf.add(tf.slice(withPrevious, [0], [n - 2]), tf.slice(r, [1], [n - 2]));
      const positives = tf.logSumExp(
        tf.stack([tf.slice(b, [0], [n - 2]), tf.slice(b, [1], [n - 2])]),
        0,
      );
      perAnchor = tf.sub(tf.log(negatives), positives);
    }
    const contrastive = tf.mean(perAnchor) as Scalar;
    if (!vrns) return contrastive;
    if (overS) {
      const count = n * n - n - 2 * (n - 1);
      const q = tf.reshape(tf.slice(stats, [2 * n - 1], [1]), []);
      return tf.add(contrastive, tf.mul(q, vrns.lambda / count)) as Scalar;
    }
    return tf.add(contrastive, vrnsClosedForm(u, vrns)) as Scalar;
  });
}
