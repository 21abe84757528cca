/**
 * Symmetric products from their lower block triangle, and the band-free
 * exponentials of a symmetric logit matrix: `L = (U/τ)·Uᵀ` is symmetric,
 * so of the `K × K` blocks `L_ab = (U_a/τ)·U_bᵀ` (rows of `U` cut into `K`
 * runs) only those with
 * `b ≤ a` are multiplied, `(K + 1)/(2K)` of the product's work (5/8 at
 * `K = 4`), and `exp` runs on them alone. With `T = exp(L)`, zero on the band
 * `|i − j| ≤ 1`:
 *
 * ```
 * R_i = Σ_j T_ij = Σ_{b ≤ a} (T_ab·1)_i  +  Σ_{a > b} (1ᵀ·T_ab)_i   (i in run a, resp. b)
 * ```
 *
 * and `T` itself is assembled from the blocks and their transposes for the
 * backward pass. The positive logits `b_k = L_{k+1,k}` are read from the
 * diagonal blocks and from the corner `(start_a, start_a − 1)` of each block
 * below them. The column-sum losses take `S = U·Uᵀ` the same way
 * ({@linkcode symmetricGram}); the flat band offsets of both live here.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { columnSum } from "../../ops/mod.ts";
import { wasmGramActive, wasmSymmetricGram } from "../../wasm/mod.ts";

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

/** Runs per side; 1 when N is below {@linkcode BLOCKED_MIN_ROWS}. */
export const SYMMETRIC_BLOCKS = 4;

/** Smallest N whose logits are computed by blocks (below it one product is as fast). */
export const BLOCKED_MIN_ROWS = 256;

/** Row starts and lengths of `blocks` runs over `n` rows. */
function runsOf(n: number, blocks: number): { starts: number[]; runs: number[] } {
  const size = Math.ceil(n / blocks);
  const starts: number[] = [];
  for (let s = 0; s < n; s += size) starts.push(s);
  return { starts, runs: starts.map((s) => Math.min(size, n - s)) };
}

/** The `[N, N]` matrix whose lower blocks are `lower[a][b]` (`b ≤ a`), the upper ones their transposes. */
function assemble(lower: Tensor2D[][]): Tensor2D {
  const rows = lower.map((_, a) =>
    tf.concat(lower.map((_, b) => (b <= a ? lower[a][b] : tf.transpose(lower[b][a]))), 1)
  );
  return tf.concat(rows, 0) as Tensor2D;
}

/**
 * `S = U·Uᵀ [N, N]` from its lower block triangle (see the module
 * documentation): `(K + 1)/(2K)` of the product, then the blocks and their
 * transposes assembled (S exactly symmetric); on wasm `lib/wasm/gram.ts`
 * writes its lower triangle in place instead. Shapes: `u [N, D]` → `[N, N]`.
 */
export function symmetricGram(u: Tensor2D, blocks: number = SYMMETRIC_BLOCKS): Tensor2D {
  if (wasmGramActive()) return wasmSymmetricGram(u);
  const { starts, runs } = runsOf(u.shape[0], blocks);
  const rows = starts.map((s, a) => tf.slice(u, [s, 0], [runs[a], -1]) as Tensor2D);
  const columns = rows.map((r) => tf.transpose(r) as Tensor2D);
  return assemble(rows.map((r, a) => columns.slice(0, a + 1).map((c) => tf.matMul(r, c))));
}

/** The pieces of {@linkcode blockedExpTerms}. */
export interface BlockedExpTerms {
  /** `T [N, N]`, band cleared, assembled from the blocks. */
  t: Tensor2D;
  /** Row sums `R [N]` of `T`. */
  r: Tensor1D;
  /** `b_k = L_{k+1,k}`, `[N − 1]`. */
  lower: Tensor1D;
}

/** `x` with the flat entries `at` set to 0 (`scatter` keeps `x` itself unchanged on every backend). */
type Scatter = (x: Tensor, at: Tensor, updates: Tensor) => Tensor;

/**
 * {@linkcode BlockedExpTerms} of `u [N, D]` (N ≥ 4) at temperature τ, by
 * `blocks` runs of rows. `scatter` is the caller's copy-safe
 * `tensorScatterUpdate`.
 */
export function blockedExpTerms(
  u: Tensor2D,
  temperature: number,
  blocks: number,
  scatter: Scatter,
): BlockedExpTerms {
  const { starts, runs } = runsOf(u.shape[0], blocks);
  const scaled = tf.mul(u, 1 / temperature) as Tensor2D;
  const left = starts.map((s, a) => tf.slice(scaled, [s, 0], [runs[a], -1]) as Tensor2D);
  const right = starts.map((s, b) => tf.transpose(tf.slice(u, [s, 0], [runs[b], -1])) as Tensor2D);
  const t: Tensor2D[][] = starts.map(() => []);
  const rowParts: Tensor1D[][] = starts.map(() => []);
  const lower: Tensor1D[] = [];
  for (let a = 0; a < starts.length; a++) {
    for (let b = 0; b <= a; b++) {
      const logits = tf.matMul(left[a], right[b]) as Tensor2D;
      const flat = tf.reshape(logits, [runs[a] * runs[b]]);
      // The band: inside a diagonal block, and the corner (start_a, start_a − 1) below it.
      const band = a === b
        ? bandOffsets(runs[a])
        : b === a - 1
        ? tf.tensor2d([runs[b] - 1], [1, 1], "int32")
        : null;
      if (a === b) lower.push(tf.gatherND(flat, bandOffsets(runs[a], [1])) as Tensor1D);
      if (b === a - 1) lower.push(tf.gatherND(flat, band!) as Tensor1D);
      const e = tf.exp(flat);
      const cleared = band ? scatter(e, band, tf.zeros([band.shape[0]])) : e;
      const block = tf.reshape(cleared, [runs[a], runs[b]]) as Tensor2D;
      t[a][b] = block;
      rowParts[a].push(tf.sum(block, 1) as Tensor1D);
      if (b < a) rowParts[b].push(columnSum(block));
    }
  }
  // lower: block 0's sub-diagonal, corner 0→1, block 1's sub-diagonal, … (pushed as
  // corner (a, a − 1) then block a's sub-diagonal, i.e. already in order after block 0's).
  return {
    t: assemble(t),
    r: tf.concat(rowParts.map((parts) => tf.addN(parts))) as Tensor1D,
    lower: tf.concat(lower) as Tensor1D,
  };
}
