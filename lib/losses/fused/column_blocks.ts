/**
 * The row blocks of the fused column sums (see column_sums.ts for the
 * formulas): one block `S_R = U_R·Uᵀ` with its values, row sums and
 * positives, and its contribution to `∂L/∂U`, on tfjs ops, the WGSL kernels
 * of webgpu_kernels.ts or, for a single block on wasm, those of
 * wasm_kernels.ts.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor1D, Tensor2D } from "../../tf.ts";
import { columnGradients, columnValues } from "./column_terms.ts";
import type { ColumnTermOptions, ColumnValues } from "./column_terms.ts";
import { columnGradientsKernel, columnSumsKernel, usesColumnKernels } from "./webgpu_kernels.ts";
import { BLOCKED_MIN_ROWS, symmetricGram } from "./symmetric_blocks.ts";
import {
  wasmColumnKernelsActive,
  wasmColumnValues,
  wasmSymmetricGradients,
} from "./wasm_kernels.ts";

/** Flat offsets `r·N + r0 + r + shift` of block row `r`, for the rows where the column exists. */
function blockOffsets(r0: number, rows: number, n: number, shift: number): Tensor2D {
  const first = Math.max(0, -shift - r0);
  const end = Math.max(first, Math.min(rows, n - r0 - shift));
  const index = new Int32Array(end - first);
  for (let r = first; r < end; r++) index[r - first] = r * n + r0 + r + shift;
  return tf.tensor2d(index, [end - first, 1], "int32");
}

/**
 * `x` with the entries at `at` (disjoint offset sets) replaced by `x·0` (0,
 * or NaN where `x` is not finite), in one scatter: each one copies `x`.
 */
function clearEntries(x: Tensor2D, at: Tensor2D[]): Tensor2D {
  const [rows, n] = x.shape;
  const flat = tf.reshape(x, [rows * n]);
  const index = at.length === 1 ? at[0] : tf.concat(at);
  const cleared = tf.tensorScatterUpdate(flat, index, tf.mul(tf.gatherND(flat, index), 0));
  return tf.reshape(cleared, [rows, n]);
}

/** One row block `S_R` and what the loss needs from it. */
export interface Block {
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

/**
 * The whole matrix on wasm: one pass forms `F` (kept for the backward
 * pass), the diagonal rule and the row sums (wasm_kernels.ts); the
 * positives are read off `F` ("exp") or `S`.
 */
function wasmBlock(s: Tensor2D, v: Tensor2D, positiveAt: Tensor2D, o: ColumnTermOptions): Block {
  const n = s.shape[0];
  // "stable" leaves the band i ∈ {j−1, j, j+1} out and returns x_k = f_{k+1}(S_{k+1,k}) apart
  const stable = o.kind === "stable";
  const [sums, value] = wasmColumnValues(s, v, o, stable ? 1 : 0);
  const source = o.kind === "exp" ? value : s;
  const flat = tf.reshape(s, [n * n]);
  const neighbours = stable
    ? tf.reshape(
      columnValues(
        tf.reshape(tf.gatherND(flat, blockOffsets(0, n, n, -1)), [n - 1, 1]),
        tf.slice(v, [1, 0], [n - 1, 1]),
        o,
      ).value,
      [n - 1],
    ) as Tensor1D
    : null;
  return {
    s,
    values: { value, hinge: null },
    sums,
    positives: tf.gatherND(tf.reshape(source, [s.size]), positiveAt) as Tensor1D,
    neighbours,
    diagonal: null,
  };
}

/**
 * Row block `R = r0..r0+rows−1`: `S_R = U_R·Uᵀ [rows, N]`, `f` on it with the
 * diagonal rule of `o.kind` (see column_sums.ts), its row sums `[rows]`, the
 * positives of its columns and, for "stable", the left-out neighbours.
 * `uT` is `Uᵀ [D, N]`, `v [N, 1]`.
 */
export function computeBlock(
  u: Tensor2D,
  uT: Tensor2D,
  v: Tensor2D,
  r0: number,
  rows: number,
  o: ColumnTermOptions,
): Block {
  const n = u.shape[0];
  // The whole matrix, from N = 256 on tfjs' kernels: its lower block triangle only.
  const s = rows === n && n >= BLOCKED_MIN_ROWS && !usesColumnKernels()
    ? symmetricGram(u)
    : tf.matMul(tf.slice(u, [r0, 0], [rows, -1]), uT) as Tensor2D;
  const vBlock = tf.slice(v, [r0, 0], [rows, 1]);
  const diagonalAt = blockOffsets(r0, rows, n, 0);
  const positiveAt = blockOffsets(r0, rows, n, 1);
  if (wasmColumnKernelsActive(rows, n)) return wasmBlock(s, vBlock, positiveAt, o);
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
export function blockGradient(
  u: Tensor2D,
  block: Block,
  v: Tensor2D,
  w: Tensor2D,
  r0: number,
  o: ColumnTermOptions,
): { rows: Tensor2D; all: Tensor2D | null } {
  const rows = block.s.shape[0];
  const n = u.shape[0];
  if (wasmColumnKernelsActive(rows, n)) {
    const m = wasmSymmetricGradients(block.s, block.values.value as Tensor2D, v, w, o);
    return { rows: tf.matMul(m, u) as Tensor2D, all: null };
  }
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
