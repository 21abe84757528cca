/**
 * SimMTM's similarity aggregation over the blocks of the lower triangle of
 * one `[R, R]` matrix. With unit rows `û [R, D]`, `X = û ûᵀ/τ` and its
 * diagonal excluded,
 *
 * ```
 * E_rj  = exp(X_rj)  (j ≠ r),  c_r = Σ_{j≠r} E_rj              [R, R], [R]
 * lse_r = log c_r                                              [R]
 * ẑ     = softmax_{j≠r}(X) · z = (E z) / c                     [R, D]
 * ```
 *
 * At the Sleep/ECG configurations `R = 4·8·200 = 6400`: autodiff kept about
 * ten `[R, R]` float32 tensors (164 MB each), past the wasm backend's
 * memory, and tfjs has no such op, so it is written here.
 *
 * - `E` is symmetric: only its blocks `E_bc`, `c ≤ b`, of
 *   {@linkcode SIMMTM_BLOCK} rows are formed, and kept for the backward
 *   pass (about half of `R²`); a block above the diagonal is the transpose
 *   of one below, which the products take as it is.
 * - No running maximum: unit rows bound `X` by `1/τ`, so `exp` cannot
 *   overflow for `τ ≥ 1/80` (checked).
 * - The diagonal is not masked in the blocks: `E` is formed with it, and
 *   its part, `exp(‖û_r‖²/τ)`, is taken off each row's sums afterwards
 *   (`[R]`, `[R, D]` corrections).
 * - Row sums ride on the aggregation product: `E · [z | 1]`.
 *
 * Backward, from `dẑ [R, D]` and `dlse [R]`, with `a = dẑ / c` and
 * `g = (dlse − rowsum(dẑ ⊙ ẑ)) / c`:
 *
 * ```
 * ∂L/∂X_rj = E_rj (a_r · z_j + g_r)                       (j ≠ r)
 * M = ∂X + ∂Xᵀ,  M_rj = E_rj ([a_r | z_r | g_r | 1] · [z_j | a_j | 1 | g_j])   (symmetric)
 * dû = M û / τ,   dz = Eᵀ a = E a
 * ```
 *
 * so `M` too is formed on the lower blocks only, by one product of width
 * `2D + 2` and one element-wise product with `E_bc`. The flops are
 * `≈ 4.5 · 2R²D` against `6 · 2R²D` over full rows.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { transposedProduct } from "../ops/mod.ts";
import { OptionError } from "../errors.ts";

/** Rows per block (`E_bc` is at most `[BLOCK, BLOCK]`). */
export const SIMMTM_BLOCK = 512;

/** `exp(x)` of float32 overflows past this; `X ≤ 1/τ` must stay below. */
const EXP_LIMIT = 80;

type Saver = (ts: Tensor[]) => void;

/** Row-wise dot products of `a, b [R, D]` → `[R, 1]`. */
const rowDot = (a: Tensor, b: Tensor) => tf.sum(tf.mul(a, b), 1, true);

/** `x [R, ·]` cut into row blocks of {@linkcode SIMMTM_BLOCK}. */
function rowBlocks(x: Tensor2D): Tensor2D[] {
  const [r, width] = x.shape;
  const out: Tensor2D[] = [];
  for (let start = 0; start < r; start += SIMMTM_BLOCK) {
    out.push(tf.slice(x, [start, 0], [Math.min(SIMMTM_BLOCK, r - start), width]));
  }
  return out;
}

/**
 * `Σ_c B_bc · Y_c` per row block `b` of a symmetric matrix held as its lower
 * blocks `lower[b][c]` (`c ≤ b`): `B_bc = lower[b][c]` below the diagonal,
 * `lower[c][b]ᵀ` above it. Returns `[R, width]`.
 */
function symmetricTimes(lower: Tensor2D[][], y: Tensor2D[]): Tensor2D {
  const sums: Tensor[][] = y.map(() => []);
  lower.forEach((row, b) =>
    row.forEach((block, c) => {
      sums[b].push(tf.matMul(block, y[c]));
      if (c < b) sums[c].push(transposedProduct(block, y[b]));
    })
  );
  return tf.concat(sums.map((parts) => tf.addN(parts)), 0) as Tensor2D;
}

/**
 * Forward pass: the lower blocks `E_bc = exp(û_b û_cᵀ/τ)` (kept, diagonal
 * included) and `E · [z | 1]`; then the diagonal taken off:
 * `self_r = exp(‖û_r‖²/τ)`, `c = rowsum − self`, `ẑ = (E z − self · z) / c`.
 */
function forwardBlocks(u: Tensor2D, z: Tensor2D, tau: number) {
  const [r, d] = z.shape;
  const lower: Tensor2D[][] = [];
  const [zHat, c, self] = tf.tidy(() => {
    const scaled = tf.div(u, tau) as Tensor2D;
    const left = rowBlocks(scaled);
    const rightT = rowBlocks(u).map((block) => tf.transpose(block) as Tensor2D);
    left.forEach((lb, b) =>
      lower.push(
        rightT.slice(0, b + 1).map((rc) => tf.keep(tf.tidy(() => tf.exp(tf.matMul(lb, rc))))),
      )
    );
    const all = symmetricTimes(lower, rowBlocks(tf.concat([z, tf.ones([r, 1])], 1) as Tensor2D));
    const self = tf.exp(rowDot(scaled, u));
    const c = tf.sub(tf.slice(all, [0, d], [r, 1]), self);
    const zHat = tf.div(tf.sub(tf.slice(all, [0, 0], [r, d]), tf.mul(self, z)), c);
    return [zHat, c, self] as Tensor2D[];
  });
  return { lower, zHat, c, self };
}

/** Backward pass from the kept lower blocks of `E` (see the module doc). */
function backwardBlocks(dy: Tensor, saved: Tensor2D[], tau: number): Tensor2D[] {
  const [u, z, zHat, c, self, ...flat] = saved;
  const [r, d] = z.shape;
  const lowerE: Tensor2D[][] = [];
  for (let b = 0, i = 0; i < flat.length; b++) lowerE.push(flat.slice(i, i += b + 1));
  return tf.tidy(() => {
    const dZhat = tf.slice(dy, [0, 0], [r, d]) as Tensor2D;
    const dLse = tf.slice(dy, [0, d], [r, 1]);
    const a = tf.div(dZhat, c) as Tensor2D;
    const g = tf.div(tf.sub(dLse, rowDot(dZhat, zHat)), c);
    const ones = tf.ones([r, 1]);
    const left = rowBlocks(tf.concat([a, z, g, ones], 1) as Tensor2D);
    const rightT = rowBlocks(tf.concat([z, a, ones, g], 1) as Tensor2D)
      .map((block) => tf.transpose(block) as Tensor2D);
    const lowerM = lowerE.map((row, b) =>
      row.map((e, col) => tf.tidy(() => tf.mul(e, tf.matMul(left[b], rightT[col])) as Tensor2D))
    );
    const mu = symmetricTimes(lowerM, rowBlocks(u));
    const ea = symmetricTimes(lowerE, rowBlocks(a));
    // the diagonal's part of both: M_rr = 2·self_r·(a_r · z_r + g_r), E_rr = self_r
    const mDiag = tf.mul(tf.mul(self, 2), tf.add(rowDot(a, z), g));
    const du = tf.div(tf.sub(mu, tf.mul(mDiag, u)), tau);
    const dz = tf.sub(ea, tf.mul(self, a));
    return [du, dz] as Tensor2D[];
  });
}

function makeOp(tau: number) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, z, save] = args as [Tensor2D, Tensor2D, Saver];
    const { lower, zHat, c, self } = forwardBlocks(u, z, tau);
    const blocks = lower.flat();
    // `save` keeps clones only while a gradient tape records; the blocks are freed here.
    save([u, z, zHat, c, self, ...blocks]);
    const value = tf.concat([zHat, tf.log(c)], 1);
    tf.dispose([zHat, c, self, ...blocks]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => backwardBlocks(dy, saved as Tensor2D[], tau),
    };
  }) as (u: Tensor2D, z: Tensor2D) => Tensor2D;
}

/**
 * `[lse, ẑ]` of the self-excluded similarity softmax of unit rows
 * `u [R, D]` at temperature `tau`, aggregating `z [R, D]` (see the module doc).
 *
 * @example
 * ```ts
 * const z = tf.randomNormal([1100, 6]) as Tensor2D;
 * const u = tf.div(z, tf.norm(z, "euclidean", 1, true)) as Tensor2D;
 * const { lse, rebuilt } = similarityAggregate(u, z, 0.2); // [1100], [1100, 6]
 * ```
 */
export function similarityAggregate(
  u: Tensor2D,
  z: Tensor2D,
  tau: number,
): { lse: Tensor1D; rebuilt: Tensor2D } {
  if (!(tau >= 1 / EXP_LIMIT)) {
    throw new OptionError(
      `simmtm: temperature ${tau} is below 1/${EXP_LIMIT}; exp(1/τ) would overflow float32`,
    );
  }
  const [r, d] = z.shape;
  const both = makeOp(tau)(u, z);
  return {
    lse: tf.reshape(tf.slice(both, [0, d], [r, 1]), [r]) as Tensor1D,
    rebuilt: tf.slice(both, [0, 0], [r, d]) as Tensor2D,
  };
}
