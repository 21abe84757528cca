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
  return tf.tidy(() => {
    const diff = tf.sub(
      tf.reshape(tf.range(0, rows, 1, "int32"), [rows, 1]),
      tf.reshape(tf.range(offset, offset + cols, 1, "int32"), [1, cols]),
    );
    let keep = tf.onesLike(diff).cast("bool");
    for (const d of excluded) keep = tf.logicalAnd(keep, tf.notEqual(diff, d));
    return tf.cast(keep, "float32") as Tensor2D;
  });
}

/**
 * Negative pairs of the study: `i ≠ j` and `|i − j| ≠ 1` (temporal positives).
 *
 * Shapes: → `[N, N]`.
 */
export function negativePairMask(n: number): Tensor2D {
  return bandExclusionMask(n, n, [-1, 0, 1]);
}
