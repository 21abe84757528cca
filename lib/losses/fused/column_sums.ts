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
import { columnGradients, columnValues } from "./column_terms.ts";
import type { ColumnTermOptions, ColumnValues } from "./column_terms.ts";
import { columnGradientsKernel, columnSumsKernel, usesColumnKernels } from "./webgpu_kernels.ts";

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

/** Flat offsets `r·N + r0 + r + shift` of block row `r`, for the rows where the column exists. */
function blockOffsets(r0: number, rows: number, n: number, shift: number): Tensor2D {
  const first = Math.max(0, -shift - r0);
  const end = Math.max(first, Math.min(rows, n - r0 - shift));
  const index = new Int32Array(end - first);
  for (let r = first; r < end; r++) index[r - first] = r * n + r0 + r + shift;
  return tf.tensor2d(index, [end - first, 1], "int32");
}

/**
 * Flat offsets `i·N + j` of the entries of an `[N, N]` matrix with
 * `i − j ∈ shifts` (default: the band `|i − j| ≤ 1`), as `[count, 1]` int32
 * indices for `gatherND` / `tensorScatterUpdate`.
 */
export function bandOffsets(n: number, shifts: number[] = [-1, 0, 1]): Tensor2D {
  const index: number[] = [];
  for (const shift of shifts) {
    for (let j = Math.max(0, -shift); j < Math.min(n, n - shift); j++) {
      index.push((j + shift) * n + j);
    }
  }
  return tf.tensor2d(Int32Array.from(index), [index.length, 1], "int32");
}

/** `x` with the entries at `at` replaced by `x·0` (0, or NaN where `x` is not finite). */
function clearEntries(x: Tensor2D, at: Tensor2D[]): Tensor2D {
  const [rows, n] = x.shape;
  let flat = tf.reshape(x, [rows * n]);
  for (const index of at) {
    flat = tf.tensorScatterUpdate(flat, index, tf.mul(tf.gatherND(flat, index), 0));
  }
  return tf.reshape(flat, [rows, n]);
}

/** One row block `S_R` and what the loss needs from it. */
interface Block {
  /** `S_R = U_R·Uᵀ`, `[B, N]`. */
  s: Tensor2D;
  /** `f` on the block, diagonal already handled for "exp". */
  values: ColumnValues;
  /** Row sums with the diagonal rule applied, `[B]`. */
  sums: Tensor1D;
  /** Positives of the block's columns, `[min(B, N − 1 − r0)]`. */
  positives: Tensor1D;
  /** "stable": `f_j(S_{j−1,j})`, the term left out of `c_j` that column j's LS set N₁ keeps. */
  neighbours: Tensor1D | null;
  /** "margin", "lsMargin": `S_jj` of the block's columns, `[B, 1]`. */
  diagonal: Tensor2D | null;
}

function computeBlock(
  u: Tensor2D,
  uT: Tensor2D,
  v: Tensor2D,
  r0: number,
  rows: number,
  o: ColumnTermOptions,
): Block {
  const n = u.shape[0];
  const s = tf.matMul(tf.slice(u, [r0, 0], [rows, -1]), uT) as Tensor2D;
  const vBlock = tf.slice(v, [r0, 0], [rows, 1]);
  const diagonalAt = blockOffsets(r0, rows, n, 0);
  const positiveAt = blockOffsets(r0, rows, n, 1);
  if (o.kind === "stable") {
    // c_j leaves out i ∈ {j−1, j, j+1}; the i = j−1 term is returned separately.
    const values = columnValues(s, vBlock, o);
    const neighbourAt = blockOffsets(r0, rows, n, -1);
    const neighbours = tf.gatherND(tf.reshape(values.value, [rows * n]), neighbourAt) as Tensor1D;
    const cleared = clearEntries(values.value as Tensor2D, [neighbourAt, diagonalAt, positiveAt]);
    return {
      s,
      values: { value: cleared, hinge: values.hinge },
      sums: tf.sum(cleared, 1) as Tensor1D,
      positives: tf.gatherND(tf.reshape(s, [rows * n]), positiveAt) as Tensor1D,
      neighbours,
      diagonal: null,
    };
  }
  if (usesColumnKernels()) {
    // One WGSL dispatch does f, the diagonal rule and the row sum.
    const atPositives = tf.gatherND(tf.reshape(s, [rows * n]), positiveAt) as Tensor1D;
    return {
      s,
      values: { value: tf.zeros([0]), hinge: null },
      sums: columnSumsKernel(s, vBlock, o, r0),
      positives: o.kind === "exp" ? tf.exp(tf.mul(atPositives, 1 / o.temperature)) : atPositives,
      neighbours: null,
      diagonal: null,
    };
  }
  let values = columnValues(s, vBlock, o);
  let sums: Tensor1D;
  let positives: Tensor1D;
  let diagonal: Tensor2D | null = null;
  if (o.kind === "exp") {
    // E_jj ← E_jj·0: 0, or NaN where exp overflowed, as the reference's E − diag(diag(E)).
    const flat = tf.reshape(values.value, [rows * n]);
    const onDiagonal = tf.gatherND(flat, diagonalAt) as Tensor1D;
    const cleared = tf.reshape(
      tf.tensorScatterUpdate(flat, diagonalAt, tf.mul(onDiagonal, 0)),
      [rows, n],
    );
    values = { value: cleared, hinge: null };
    sums = tf.sum(cleared, 1) as Tensor1D;
    positives = tf.gatherND(tf.reshape(cleared, [rows * n]), positiveAt) as Tensor1D;
  } else {
    const flat = tf.reshape(s, [rows * n]);
    diagonal = tf.reshape(tf.gatherND(flat, diagonalAt), [rows, 1]) as Tensor2D;
    positives = tf.gatherND(flat, positiveAt) as Tensor1D;
    const onDiagonal = columnValues(diagonal, vBlock, o).value;
    const rowSums = tf.sum(values.value, 1, true);
    if (o.kind === "lsMargin") {
      sums = tf.reshape(tf.sub(rowSums, onDiagonal), [rows]) as Tensor1D;
    } else {
      // MARGIN_LOSS zeroes S_jj first, so the diagonal term is f_j(0). Where both
      // overflow the reference's column sum is Inf (not NaN): keep it.
      const atZero = columnValues(tf.zerosLike(diagonal), vBlock, o).value;
      const change = tf.sub(atZero, onDiagonal);
      const finiteChange = tf.where(tf.isFinite(change), change, tf.zerosLike(change));
      sums = tf.reshape(tf.add(rowSums, finiteChange), [rows]) as Tensor1D;
    }
  }
  return { s, values, sums, positives, neighbours: null, diagonal };
}

/**
 * ∂L/∂U contribution of one block: `H_R·U` to rows R and `H_Rᵀ·U_R` to all
 * rows (returned as a pair), or `(H + Hᵀ)·U` when the block is the whole
 * matrix. Hinge kinds subtract the diagonal's `2·h_jj·u_j` afterwards.
 */
function blockGradient(
  u: Tensor2D,
  block: Block,
  v: Tensor2D,
  w: Tensor2D,
  r0: number,
  o: ColumnTermOptions,
): { rows: Tensor2D; all: Tensor2D | null } {
  const rows = block.s.shape[0];
  const n = u.shape[0];
  const vBlock = tf.slice(v, [r0, 0], [rows, 1]);
  const wBlock = tf.slice(w, [r0, 0], [rows, 1]);
  const h = usesColumnKernels() && o.kind !== "stable"
    ? columnGradientsKernel(block.s, vBlock, wBlock, o, r0)
    : columnGradients(block.s, block.values, vBlock, wBlock, o);
  let diagonalTerm: Tensor2D | null = null;
  if (block.diagonal) {
    const onDiagonal = columnValues(block.diagonal, vBlock, o);
    const hjj = columnGradients(block.diagonal, onDiagonal, vBlock, wBlock, o);
    diagonalTerm = tf.mul(tf.mul(hjj, 2), tf.slice(u, [r0, 0], [rows, -1])) as Tensor2D;
  }
  if (rows === n) {
    const both = tf.matMul(tf.add(h, tf.transpose(h)) as Tensor2D, u) as Tensor2D;
    return { rows: diagonalTerm ? tf.sub(both, diagonalTerm) as Tensor2D : both, all: null };
  }
  if (usesColumnKernels() && o.kind !== "stable") {
    const own = tf.matMul(h, u) as Tensor2D;
    const spread = tf.matMul(tf.transpose(h), tf.slice(u, [r0, 0], [rows, -1])) as Tensor2D;
    return { rows: diagonalTerm ? tf.sub(own, diagonalTerm) as Tensor2D : own, all: spread };
  }
  // Rows R of G + Gᵀ from the same block: (Gᵀ)_R = H (row parameters) and
  // G_R = w_i·f'_i(S_ri) (column parameters), so one product gives ∂L/∂U_R.
  const both = tf.matMul(tf.add(h, rowsOfColumnGradient(block, v, w, r0, o)) as Tensor2D, u);
  return { rows: (diagonalTerm ? tf.sub(both, diagonalTerm) : both) as Tensor2D, all: null };
}

/** `G_R`, rows R of `G_ri = w_i·f'_i(S_ri)` with each column's own parameters. Shapes: → `[B, N]`. */
function rowsOfColumnGradient(
  block: Block,
  v: Tensor2D,
  w: Tensor2D,
  r0: number,
  o: ColumnTermOptions,
): Tensor2D {
  const [rows, n] = block.s.shape;
  const vColumns = tf.reshape(v, [1, n]);
  const wColumns = tf.reshape(w, [1, n]);
  if (o.kind === "exp") return columnGradients(block.s, block.values, vColumns, wColumns, o);
  let values = columnValues(block.s, vColumns, o);
  if (o.kind === "stable") {
    const band = [-1, 0, 1].map((shift) => blockOffsets(r0, rows, n, shift));
    values = { value: clearEntries(values.value as Tensor2D, band), hinge: values.hinge };
  }
  return columnGradients(block.s, values, vColumns, wColumns, o);
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

function columnSumsOp(o: ColumnTermOptions, tileRows: number) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, v, save] = args as [Tensor2D, Tensor2D, Saver];
    const n = u.shape[0];
    const uT = tf.transpose(u);
    const starts = blockStarts(n, tileRows);
    const sums: Tensor1D[] = [];
    const positives: Tensor1D[] = [];
    const neighbours: Tensor1D[] = [];
    // A single block is kept for the backward pass; smaller blocks are recomputed there.
    let whole: Tensor[] = [];
    for (const r0 of starts) {
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
    const c = sums.length === 1 ? sums[0] : tf.concat(sums);
    const p = positives.length === 1 ? positives[0] : tf.concat(positives);
    const x = neighbours.length === 1 ? neighbours[0] : tf.concat(neighbours);
    const value = tf.concat(o.kind === "stable" ? [c, p, x] : [c, p]) as Tensor1D;
    const saved: Tensor[] = [u, v, p, x, ...whole];
    save(saved);
    return {
      value,
      gradFunc: (dy: Tensor, kept: Tensor[]) => {
        const [su, sv, sp, sx] = kept as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        const w = tf.reshape(tf.slice(dy, [0], [n]), [n, 1]) as Tensor2D;
        const g = tf.slice(dy, [n], [n - 1]) as Tensor1D;
        // "exp": p_k = f_k(S_{k+1,k}) and f' = f/τ; other kinds: p_k = S_{k+1,k}.
        let q = o.kind === "exp" ? tf.mul(g, tf.mul(sp, 1 / o.temperature)) as Tensor1D : g;
        if (o.kind === "stable") {
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
          q = tf.add(q, tf.reshape(slopes, [n - 1])) as Tensor1D;
        }
        let grad = subDiagonalGradient(su, q);
        if (kept.length > 4) {
          const [s, value, hinge, diagonal] = kept.slice(4) as Tensor2D[];
          const block: Block = {
            s,
            values: { value, hinge: hinge.size > 0 ? hinge : null },
            sums: tf.zeros([n]),
            positives: sp,
            neighbours: null,
            diagonal: diagonal.size > 0 ? diagonal : null,
          };
          return [tf.add(grad, blockGradient(su, block, sv, w, 0, o).rows), tf.zerosLike(sv)];
        }
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
        return [tf.add(grad, own), tf.zerosLike(sv)];
      },
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
