/**
 * Column sums of an element-wise function of the cosine-similarity matrix,
 * with an analytic gradient, computed whole or in row blocks.
 *
 * For `U [N, D]` (unit rows), `S = U·Uᵀ` and a column function `f_j`
 * (see {@linkcode columnValues}) the op returns
 *
 * ```
 * c_j = Σ_{i≠j} f_j(S_ij)            (j = 0..N−1; "margin": the diagonal term is f_j(0))
 * p_k = E_{k+1,k} = f_k(S_{k+1,k})   ("exp": the positives, bit-identical to the summed terms)
 * p_k = S_{k+1,k}                     (hinge kinds: the positive similarities)
 * ```
 *
 * concatenated as `[c; p]` (length `2N − 1`). With upstream gradients
 * `w = ∂L/∂c` and `g = ∂L/∂p`, the gradient is
 *
 * ```
 * H_ji = w_j·f'_j(S_ij)  (i ≠ j)      ∂L/∂U = (H + Hᵀ)·U + sub-diagonal terms
 * q_k  = g_k·f'_k(S_{k+1,k}) ("exp") or g_k (hinge kinds)
 * ∂L/∂u_{k+1} += q_k·u_k,   ∂L/∂u_k += q_k·u_{k+1}
 * ```
 *
 * so neither `S` nor any mask is materialised beyond one row block
 * `S_R = U_R·Uᵀ [B, N]`. A single block (the default up to N = 2048) is kept
 * for the backward pass, which is then one product `(H + Hᵀ)·U`. With
 * `tileRows < N` the backward pass recomputes each block and forms rows R of
 * `G + Gᵀ` from it (`G_ri = w_i·f'_i(S_ri)` with the column's parameters), so
 * `∂L/∂U_R` is one product as well; the working set is O(B·N + N·D). The
 * diagonal is handled per kind:
 * - "exp": it is the largest term of its column, so it is overwritten in the
 *   block (a B-element scatter) rather than subtracted afterwards;
 * - "margin", "lsMargin": it is the smallest term of its column (`S_jj = 1`
 *   is the largest similarity and `f_j` decreases there), so it is subtracted
 *   from the row sum as a length-N vector without cancellation;
 * - "stable": the band `i ∈ {j−1, j, j+1}` is overwritten, and the `i = j−1`
 *   term is returned as a third vector `x` (LS keeps it in column j's N₁ set).
 * Non-finite terms propagate as in the reference: an overflowing diagonal
 * gives `Inf − Inf = NaN`, as the reference's `Inf·0` does. On the WebGPU
 * backend the element-wise work of each block runs in the WGSL kernels of
 * webgpu_kernels.ts ("exp", "margin", "lsMargin").
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { columnGradients } from "./column_terms.ts";
import type { ColumnTermOptions } from "./column_terms.ts";
import { blockGradient, computeBlock } from "./column_blocks.ts";
import type { Block } from "./column_blocks.ts";

export { bandOffsets } from "./symmetric_blocks.ts";

type Saver = (tensors: Tensor[]) => void;

/** Rows per block when a loss is called without `tileRows`. */
export const DEFAULT_TILE_ROWS = 512;

/** Largest N computed as a single block when a loss is called without `tileRows`. */
export const UNTILED_MAX_ROWS = 2048;

/** Rows per block: `tileRows` if given, else untiled up to {@linkcode UNTILED_MAX_ROWS}. */
export function resolveTileRows(n: number, tileRows?: number): number {
  if (tileRows === undefined) return n <= UNTILED_MAX_ROWS ? n : DEFAULT_TILE_ROWS;
  return Math.max(1, Math.min(n, Math.floor(tileRows)));
}

/** `q_k·u_k` added to row k+1 and `q_k·u_{k+1}` to row k. Shapes: `q [N−1]`, `u [N, D]`. */
export function subDiagonalGradient(u: Tensor2D, q: Tensor1D): Tensor2D {
  const n = u.shape[0];
  const qq = tf.reshape(q, [n - 1, 1]);
  const down = tf.mul(qq, tf.slice(u, [0, 0], [n - 1, -1]));
  const up = tf.mul(qq, tf.slice(u, [1, 0], [n - 1, -1]));
  return tf.add(tf.pad(down, [[1, 0], [0, 0]]), tf.pad(up, [[0, 1], [0, 0]])) as Tensor2D;
}

function blockStarts(n: number, tileRows: number): number[] {
  const starts: number[] = [];
  for (let r0 = 0; r0 < n; r0 += tileRows) starts.push(r0);
  return starts;
}

/** The first `n` entries of a concatenation of per-block parts (one part: itself). */
function joined(parts: Tensor1D[]): Tensor1D {
  return parts.length === 1 ? parts[0] : tf.concat(parts) as Tensor1D;
}

/**
 * The forward pass: `[c; p]` (and `x` for "stable") block by block, and the
 * tensors the backward pass keeps, `[u, v, p, x]` followed, when there is a
 * single block, by its `S`, `f`, hinge and diagonal (empty tensors where absent).
 */
function columnSumsForward(
  u: Tensor2D,
  v: Tensor2D,
  o: ColumnTermOptions,
  tileRows: number,
): { value: Tensor1D; saved: Tensor[] } {
  const n = u.shape[0];
  const uT = tf.transpose(u);
  const sums: Tensor1D[] = [];
  const positives: Tensor1D[] = [];
  const neighbours: Tensor1D[] = [];
  // A single block is kept for the backward pass; smaller blocks are recomputed there.
  let whole: Tensor[] = [];
  for (const r0 of blockStarts(n, tileRows)) {
    const rows = Math.min(tileRows, n - r0);
    const [blockSums, blockPositives, blockNeighbours, ...rest] = tf.tidy(() => {
      const b = computeBlock(u, uT, v, r0, rows, o);
      const none = tf.zeros([0]);
      if (rows < n) return [b.sums, b.positives, b.neighbours ?? none];
      return [
        b.sums,
        b.positives,
        b.neighbours ?? none,
        b.s,
        b.values.value,
        b.values.hinge ?? none,
        b.diagonal ?? none,
      ];
    });
    sums.push(blockSums as Tensor1D);
    positives.push(blockPositives as Tensor1D);
    neighbours.push(blockNeighbours as Tensor1D);
    whole = rest;
  }
  const c = joined(sums);
  const p = joined(positives);
  const x = joined(neighbours);
  const value = tf.concat(o.kind === "stable" ? [c, p, x] : [c, p]) as Tensor1D;
  return { value, saved: [u, v, p, x, ...whole] };
}

/**
 * `q [N−1]`, the upstream gradient of each pair similarity `S_{k+1,k}`: from
 * `p` (`g_k·f'_k`, "exp"; `g_k`, other kinds) plus, for "stable", from `x`.
 */
function pairGradient(
  dy: Tensor,
  sp: Tensor1D,
  sx: Tensor1D,
  sv: Tensor2D,
  o: ColumnTermOptions,
): Tensor1D {
  const n = sv.shape[0];
  const g = tf.slice(dy, [n], [n - 1]) as Tensor1D;
  // "exp": p_k = f_k(S_{k+1,k}) and f' = f/τ; other kinds: p_k = S_{k+1,k}.
  const q = o.kind === "exp" ? tf.mul(g, tf.mul(sp, 1 / o.temperature)) as Tensor1D : g;
  if (o.kind !== "stable") return q;
  // x_k = f_{k+1}(S_{k+1,k}), a function of the same pair similarity.
  const h = tf.reshape(tf.slice(dy, [2 * n - 1], [n - 1]), [n - 1, 1]);
  const pairs = tf.reshape(sp, [n - 1, 1]);
  const slopes = columnGradients(
    pairs,
    { value: tf.reshape(sx, [n - 1, 1]), hinge: tf.relu(tf.add(pairs, o.margin - 1)) },
    tf.slice(sv, [1, 0], [n - 1, 1]),
    h,
    o,
  );
  return tf.add(q, tf.reshape(slopes, [n - 1])) as Tensor1D;
}

/** `∂L/∂U` from the single block kept by the forward pass (`kept[4..7]`), added to `grad`. */
function keptBlockGradient(
  grad: Tensor2D,
  kept: Tensor[],
  w: Tensor2D,
  o: ColumnTermOptions,
): Tensor {
  const [su, sv, sp] = kept as [Tensor2D, Tensor2D, Tensor1D];
  const n = su.shape[0];
  const [s, value, hinge, diagonal] = kept.slice(4) as Tensor2D[];
  const block: Block = {
    s,
    values: { value, hinge: hinge.size > 0 ? hinge : null },
    sums: tf.zeros([n]),
    positives: sp,
    neighbours: null,
    diagonal: diagonal.size > 0 ? diagonal : null,
  };
  return tf.add(grad, blockGradient(su, block, sv, w, 0, o).rows);
}

/** `∂L/∂U` with every block recomputed, added to `grad` (which it disposes as it goes). */
function tiledGradient(
  grad: Tensor2D,
  su: Tensor2D,
  sv: Tensor2D,
  w: Tensor2D,
  o: ColumnTermOptions,
  tileRows: number,
): Tensor {
  const n = su.shape[0];
  const uT = tf.transpose(su);
  const ownRows: Tensor2D[] = [];
  for (const r0 of blockStarts(n, tileRows)) {
    const rows = Math.min(tileRows, n - r0);
    const [own, spread] = tf.tidy(() => {
      const block = computeBlock(su, uT, sv, r0, rows, o);
      const part = blockGradient(su, block, sv, w, r0, o);
      return part.all ? [part.rows, part.all] : [part.rows];
    });
    ownRows.push(own);
    if (spread) {
      const next = tf.add(grad, spread) as Tensor2D;
      tf.dispose([grad, spread]);
      grad = next;
    }
  }
  const own = tf.concat(ownRows, 0);
  return tf.add(grad, own);
}

/** The backward pass: `[∂L/∂U, 0]` from `dy [2N − 1]` (`[3N − 2]`, "stable") and the kept tensors. */
function columnSumsBackward(
  dy: Tensor,
  kept: Tensor[],
  o: ColumnTermOptions,
  tileRows: number,
): Tensor[] {
  const [su, sv, sp, sx] = kept as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
  const n = su.shape[0];
  const w = tf.reshape(tf.slice(dy, [0], [n]), [n, 1]) as Tensor2D;
  const grad = subDiagonalGradient(su, pairGradient(dy, sp, sx, sv, o));
  const du = kept.length > 4
    ? keptBlockGradient(grad, kept, w, o)
    : tiledGradient(grad, su, sv, w, o, tileRows);
  return [du, tf.zerosLike(sv)];
}

function columnSumsOp(o: ColumnTermOptions, tileRows: number) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, v, save] = args as [Tensor2D, Tensor2D, Saver];
    const { value, saved } = columnSumsForward(u, v, o, tileRows);
    save(saved);
    return {
      value,
      gradFunc: (dy: Tensor, kept: Tensor[]) => columnSumsBackward(dy, kept, o, tileRows),
    };
  }) as (u: Tensor2D, v: Tensor2D) => Tensor1D;
}

/**
 * Column sums and positives `[c; p]` of a column function over `S = U·Uᵀ`
 * (see the module documentation for the formulas and the gradient).
 *
 * Shapes: `u [N, D]` (unit rows, N ≥ 2), `v [N]` per-column sim vector
 * (ignored by "exp") → `[2N − 1]`: `c [N]` then `p [N − 1]`; "stable" appends
 * `x [N − 1]`, `x_k = f_{k+1}(S_{k+1,k})`, and its `c_j` leaves out
 * `i ∈ {j−1, j, j+1}` (→ `[3N − 2]`). `tileRows`
 * (default: see {@linkcode resolveTileRows}) bounds the block height.
 * `v` receives a zero gradient (it is data).
 */
export function columnSums(
  u: Tensor2D,
  v: Tensor1D,
  options: ColumnTermOptions,
  tileRows?: number,
): Tensor1D {
  const n = u.shape[0];
  return tf.tidy(() =>
    columnSumsOp(options, resolveTileRows(n, tileRows))(u, tf.reshape(v, [n, 1]) as Tensor2D)
  );
}
