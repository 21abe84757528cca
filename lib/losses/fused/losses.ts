/**
 * The four reference losses (spec §2.2) with the N×N work fused into
 * {@linkcode columnSums}: one pass of `S = U·Uᵀ` per row block, one
 * element-wise expression, one row sum, and an analytic gradient. Values
 * match `hatclLoss`, `lsHatclLoss`, `marginLoss` and `lsMarginLoss`
 * (lib/losses) bug-for-bug, non-finite cases included; only the O(N) tail
 * after the column sums is left to tfjs' autodiff, written with the
 * reference's operations in the reference's order.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { ShapeError } from "../../errors.ts";
import { checkEmbeddings, l2Normalize } from "../similarity.ts";
import { checkGamma, checkMargin, checkTemperature } from "../options.ts";
import { marginLoss, REFERENCE_GAMMA } from "../margin.ts";
import { columnSums } from "./column_sums.ts";
import type { ColumnTermOptions } from "./column_terms.ts";

/** Block height shared by the fused losses. */
export interface TileOptions {
  /**
   * Rows of `S` computed at a time (working set O(tileRows·N + N·D)).
   * Default: the whole matrix up to N = 2048, blocks of 512 rows above.
   */
  tileRows?: number;
}

/** Options of {@linkcode fusedHatclLoss} and {@linkcode fusedLsHatclLoss}. */
export interface FusedHatclOptions extends TileOptions {
  /** τ > 0. */
  temperature: number;
}

/** Options of {@linkcode fusedMarginLoss}. */
export interface FusedMarginOptions extends TileOptions {
  /** τ > 0. */
  temperature: number;
  /** m, the margin. */
  margin: number;
}

/** Options of {@linkcode fusedLsMarginLoss}. */
export interface FusedLsMarginOptions extends FusedMarginOptions {
  /** γ, the reference's hard-coded 0.05. */
  gamma?: number;
}

/**
 * torch's `mean`: NaN for an empty vector (tfjs gives 0), kept connected to
 * `connectedTo` with a zero gradient. Shapes: `x [K]` → scalar.
 */
function torchMean(x: Tensor1D, connectedTo: Tensor): Scalar {
  if (x.size === 0) return tf.add(NaN, tf.mul(0, tf.sum(connectedTo))) as Scalar;
  return tf.mean(x) as Scalar;
}

/** `[c; p]` split into the column sums `c [N]` and the positives `p [N − 1]`. */
function split(stats: Tensor1D, n: number): [Tensor1D, Tensor1D] {
  return [tf.slice(stats, [0], [n]), tf.slice(stats, [n], [n - 1])];
}

/** `x[start, start + count)` of a vector. */
function part(x: Tensor1D, start: number, count: number): Tensor1D {
  return tf.slice(x, [start], [Math.max(count, 0)]);
}

/**
 * The sim vector as one value per column `j = 0..N−1`, broadcast the way
 * torch broadcasts it against the `columns` anchor columns a loss uses
 * (columns beyond those get 0 and are never read).
 *
 * @throws {ShapeError} when `s` has neither length `columns` nor 1.
 */
function columnVector(s: Tensor, n: number, columns: number, what: string): Tensor1D {
  if (s.rank !== 1) {
    throw new ShapeError(
      `s: expected a 1-D sim vector [${what}], got shape [${s.shape.join(", ")}]`,
    );
  }
  const length = s.shape[0];
  if (length !== columns && length !== 1) {
    throw new ShapeError(
      `s: expected a sim vector of length ${what} = ${columns}, got length ${length}`,
    );
  }
  return tf.tidy(() => {
    const v = tf.cast(s, "float32");
    const used = length === columns ? v : tf.broadcastTo(v, [columns]);
    return (columns === n ? used : tf.pad(used, [[0, n - columns]])) as Tensor1D;
  });
}

function statistics(
  z: Tensor2D,
  v: Tensor1D | null,
  o: ColumnTermOptions,
  tileRows?: number,
): [Tensor1D, Tensor1D] {
  const n = z.shape[0];
  const u = l2Normalize(z);
  return split(columnSums(u, v ?? tf.zeros([n]), o, tileRows), n);
}

/**
 * The HATCL losses' shared start: checks `z` and τ, then, in one tidy,
 * `tail(c, E_{k+1,k}, N)` on the "exp" column sums `c [N]` and positives
 * `[N − 1]` of `z [N, D]`.
 */
function expStatistics(
  z: Tensor2D,
  options: FusedHatclOptions,
  tail: (c: Tensor1D, positives: Tensor1D, n: number) => Scalar,
): Scalar {
  checkEmbeddings(z);
  checkTemperature(options.temperature);
  return tf.tidy(() => {
    const [c, positives] = statistics(
      z,
      null,
      { kind: "exp", temperature: options.temperature, margin: 0, gamma: 0 },
      options.tileRows,
    );
    return tail(c, positives, z.shape[0]);
  });
}

/**
 * Fused HATCL_LOSS, same value and gradient as `hatclLoss`:
 * `E_ij = exp(S_ij/τ)` (i ≠ j), `p_k = E_{k+1,k}`, `den_k = Σ_i E_ik − p_k`,
 * `L = −mean_k log(p_k/den_k)`, `k = 0..N−2`.
 *
 * Shapes: `z [N, D]` (N ≥ 2) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 */
export function fusedHatclLoss(z: Tensor2D, options: FusedHatclOptions): Scalar {
  return expStatistics(z, options, (c, positives, n) => {
    const denominator = tf.sub(part(c, 0, n - 1), positives);
    return tf.neg(torchMean(tf.log(tf.div(positives, denominator)), c)) as Scalar;
  });
}

/**
 * Fused LS_HATCL_LOSS, same value and gradient as `lsHatclLoss`: with `E`
 * and `ℓ_k = E_{k+1,k}` as in {@linkcode fusedHatclLoss}, for `k = 0..N−3`,
 * `num_k = ℓ_{k+1} + ℓ_k`, `den_k = (Σ_i E_ik − ℓ_k) + (Σ_i E_{i,k+1} − num_k)`,
 * `L = −mean_k log(num_k/den_k)`.
 *
 * Shapes: `z [N, D]` (N ≥ 2) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]`.
 */
export function fusedLsHatclLoss(z: Tensor2D, options: FusedHatclOptions): Scalar {
  return expStatistics(z, options, (c, lower, n) => {
    const left = part(lower, 0, n - 2);
    const right = part(lower, 1, n - 2);
    const numerator = tf.add(right, left);
    const denominator = tf.add(
      tf.sub(part(c, 0, n - 2), left),
      tf.sub(part(c, 1, n - 2), tf.add(right, left)),
    );
    return tf.neg(torchMean(tf.log(tf.div(numerator, denominator)), c)) as Scalar;
  });
}

/**
 * Fused MARGIN_LOSS, same value and gradient as `marginLoss`: `S'` = S with
 * a zero diagonal, `p_k = S'_{k+1,k}`,
 * `M_ij = (1−v_j)·½·S'_ij² + v_j·½·max(0, m − S'_ij)²`,
 * `den_k = Σ_i exp(M_ik) − exp(p_k/τ)`, `L = −mean_k log(exp(p_k/τ)/den_k)`.
 *
 * Shapes: `z [N, D]`, `s [N − 1]` (or a length that broadcasts as in torch) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]` or `s` does not broadcast against N − 1 columns.
 */
export function fusedMarginLoss(z: Tensor2D, s: Tensor1D, options: FusedMarginOptions): Scalar {
  checkEmbeddings(z);
  const n = z.shape[0];
  const { temperature, margin } = options;
  checkTemperature(temperature);
  checkMargin(margin);
  // At N = 2 torch broadcasts a longer sim vector against the single anchor
  // column, widening the loss to one term per entry of `s`: a 2×|s| problem
  // that the reference formulation computes as cheaply.
  if (n === 2 && s.rank === 1 && s.shape[0] > 1) return marginLoss(z, s, options);
  return tf.tidy(() => {
    const v = columnVector(s, n, n - 1, "N − 1");
    const [c, positives] = statistics(
      z,
      v,
      { kind: "margin", temperature, margin, gamma: 0 },
      options.tileRows,
    );
    const expNumerator = tf.exp(tf.div(positives, temperature));
    const denominator = tf.sub(part(c, 0, n - 1), expNumerator);
    return tf.neg(torchMean(tf.log(tf.div(expNumerator, denominator)), c)) as Scalar;
  });
}

/**
 * Fused LS_MARGIN_LOSS, same value and gradient as `lsMarginLoss`:
 * `ℓ_k = S_{k+1,k}`, `num_k = exp(ℓ_{k+1}/τ) + exp(ℓ_k/τ)` (`k = 0..N−3`),
 * `E_ij = exp(γ/τ·(−(1−v_j)·½S_ij² + v_j·½·max(0, m − S_ij)²))` (i ≠ j),
 * `den_k = (Σ_i E_ik − exp(ℓ_k/τ)) + (Σ_i E_{i,k+1} − num_k)`,
 * `L = −mean_k log(num_k/(den_k + num_k))`.
 *
 * Shapes: `z [N, D]`, `s [N]` (or a length that broadcasts as in torch) → scalar.
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 2, D]` or `s` does not broadcast against N columns.
 */
export function fusedLsMarginLoss(
  z: Tensor2D,
  s: Tensor1D,
  options: FusedLsMarginOptions,
): Scalar {
  checkEmbeddings(z);
  const n = z.shape[0];
  const { temperature, margin, gamma = REFERENCE_GAMMA } = options;
  checkTemperature(temperature);
  checkMargin(margin);
  checkGamma(gamma);
  return tf.tidy(() => {
    const v = columnVector(s, n, n, "N");
    const [c, lower] = statistics(
      z,
      v,
      { kind: "lsMargin", temperature, margin, gamma },
      options.tileRows,
    );
    const expLeft = tf.exp(tf.div(part(lower, 0, n - 2), temperature));
    const expRight = tf.exp(tf.div(part(lower, 1, n - 2), temperature));
    const expNumerator = tf.add(expRight, expLeft);
    const denominator = tf.add(
      tf.sub(part(c, 0, n - 2), expLeft),
      tf.sub(part(c, 1, n - 2), expNumerator),
    );
    return tf.neg(
      torchMean(tf.log(tf.div(expNumerator, tf.add(denominator, expNumerator))), c),
    ) as Scalar;
  });
}
