/**
 * The TS2Vec encoder's input cleaning: NaN entries of `x [B, T, F]` zeroed
 * and the rows that held one (and, in training, the timestamps not kept)
 * masked after input_fc. Two equal versions: on the device, and from one
 * host read off the GPU (`host.ts`).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { wasmHasNaN } from "../wasm/mod.ts";
import type { Tensor, Tensor3D } from "../tf.ts";

/** `x` as float32 with NaN entries zeroed, and the row mask `[B, T, 1]` (null: every row stays). */
export interface CleanInput {
  clean: Tensor3D;
  rows: Tensor | null;
}

/**
 * On the device: NaN entries zeroed in place (no `[B, T, 1] → [B, T, F]`
 * broadcast of the row mask), rows that held a NaN or, in training, were not
 * kept (`keep [B·T]`) masked.
 */
export function deviceClean(x: Tensor3D, keep: Float32Array | null): CleanInput {
  const [b, t] = x.shape;
  const xf = tf.cast(x, "float32");
  const isNan = tf.isNaN(xf);
  let rowMask: Tensor = tf.logicalNot(tf.any(isNan, 2, true));
  if (keep) {
    rowMask = tf.logicalAnd(rowMask, tf.cast(tf.tensor3d(keep, [b, t, 1]), "bool"));
  }
  return { clean: tf.where(isNan, tf.zerosLike(xf), xf), rows: tf.cast(rowMask, "float32") };
}

/**
 * The same from one host read of `x` (off the GPU): the values are scanned
 * for NaN in JavaScript, and copied only when one is found. On wasm the
 * device version's isNaN/any/where/cast passes cost ≈ 15 ms of an ECG step
 * (8 × ~150 × 1502 values per view); the scan ≈ 2.
 */
export function hostClean(x: Tensor3D, keep: Float32Array | null): CleanInput {
  const [b, t, f] = x.shape;
  if (wasmHasNaN(x) === false) {
    // nothing to clean: no read-back
    return {
      clean: tf.cast(x, "float32"),
      rows: keep ? tf.tensor3d(keep.slice(), [b, t, 1]) : null,
    };
  }
  const values = x.dataSync();
  let copy: Float32Array | null = null;
  let rows: Float32Array | null = keep ? keep.slice() : null;
  for (let r = 0; r < b * t; r++) {
    for (let j = r * f; j < (r + 1) * f; j++) {
      if (!Number.isNaN(values[j])) continue;
      copy ??= Float32Array.from(values);
      rows ??= new Float32Array(b * t).fill(1);
      copy[j] = 0;
      rows[r] = 0;
    }
  }
  const clean = copy ? tf.tensor3d(copy, [b, t, f]) : tf.cast(x, "float32");
  return { clean, rows: rows ? tf.tensor3d(rows, [b, t, 1]) : null };
}
