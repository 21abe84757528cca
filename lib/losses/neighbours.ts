/**
 * Index masks of the temporal-neighbour structure of a flattened batch
 * (row `n = b·T + t`, neighbours across sequence boundaries as in the
 * reference). All masks are float32 0/1 and carry no gradient.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";

/**
 * `mask_ij = 1` unless `i − j − offset ∈ excluded`, for rows `i = 0..rows−1`
 * and columns `j = 0..cols−1` (column j stands for anchor `j + offset`).
 *
 * Shapes: → `[rows, cols]`.
 */
export function bandExclusionMask(
  rows: number,
  cols: number,
  excluded: number[],
  offset = 0,
): Tensor2D {
  // Filled on the host: a few band entries per column, whereas the same mask
  // from broadcast int32 comparisons costs ~1 s per call at N = 1600 on wasm.
  const values = new Float32Array(rows * cols).fill(1);
  for (let j = 0; j < cols; j++) {
    for (const d of excluded) {
      const i = j + offset + d;
      if (i >= 0 && i < rows) values[i * cols + j] = 0;
    }
  }
  return tf.tensor2d(values, [rows, cols]);
}

/**
 * Negative pairs of the study: `i ≠ j` and `|i − j| ≠ 1` (temporal positives).
 *
 * Shapes: → `[N, N]`.
 */
export function negativePairMask(n: number): Tensor2D {
  return bandExclusionMask(n, n, [-1, 0, 1]);
}
