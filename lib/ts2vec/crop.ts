/**
 * TS2Vec's contextual-consistency cropping (yuezhihan/ts2vec ts2vec.py
 * `fit`): two overlapping random crops of every sequence whose common
 * segment `[left, right)` is compared after encoding.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor3D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { randint } from "../random.ts";
import type { Rng } from "../random.ts";
import { hostReadable } from "./host.ts";
import { wasmTakeWindows, wasmTakeWindowsActive } from "../wasm/mod.ts";

/** One draw of the crop positions for a batch of `B` sequences of length `T`. */
export interface Crop {
  /** Length of the overlap, `crop_l ∈ [2, T]`. */
  length: number;
  /** Overlap `[left, right)`, `right = left + length`. */
  left: number;
  right: number;
  /** View 1 is `[eleft, right)`, `eleft ∈ [0, left]`. */
  eleft: number;
  /** View 2 is `[left, eright)`, `eright ∈ [right, T]`. */
  eright: number;
  /** Per-sequence shift, `offset_b ∈ [−eleft, T − eright]`. */
  offsets: Int32Array;
}

/**
 * Draws crop positions exactly as TS2Vec (`temporal_unit = 0`):
 * `crop_l ~ U[2, T]`, `left ~ U[0, T − crop_l]`, `eleft ~ U[0, left]`,
 * `eright ~ U[right, T]`, `offset_b ~ U[−eleft, T − eright]` (bounds inclusive).
 */
export function drawCrop(batchSize: number, T: number, rng: Rng): Crop {
  if (T < 2) throw new OptionError(`drawCrop: sequences need T ≥ 2 frames, got ${T}`);
  const length = randint(rng, 2, T + 1);
  const left = randint(rng, 0, T - length + 1);
  const right = left + length;
  const eleft = randint(rng, 0, left + 1);
  const eright = randint(rng, right, T + 1);
  const offsets = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) offsets[b] = randint(rng, -eleft, T - eright + 1);
  return { length, left, right, eleft, eright, offsets };
}

/**
 * `take_per_row` on host values: `out[b, i] = x[b, starts[b] + i]` for
 * `i < length`, `values` being `x [B, T, F]` row-major.
 */
function takeRows(
  values: Float32Array,
  [b, t, f]: [number, number, number],
  starts: Int32Array,
  length: number,
): Tensor3D {
  const out = new Float32Array(b * length * f);
  checkStarts(starts, length, t);
  for (let row = 0; row < b; row++) {
    const from = (row * t + starts[row]) * f;
    out.set(values.subarray(from, from + length * f), row * length * f);
  }
  return tf.tensor3d(out, [b, length, f]);
}

/** Every row's window `[starts[b], starts[b] + length)` lies inside `0..T`. */
function checkStarts(starts: Int32Array, length: number, t: number): void {
  starts.forEach((start, row) => {
    if (!(start >= 0 && start + length <= t)) {
      throw new ShapeError(
        `takePerRow: row ${row} takes [${start}, ${start + length}) of ${t} frames`,
      );
    }
  });
}

/** `take_per_row` on the device: one gather of frame indices of `x` as `[B·T, F]`. */
function gatherRows(x: Tensor3D, starts: Int32Array, length: number): Tensor3D {
  const [b, t, f] = x.shape;
  checkStarts(starts, length, t);
  const index = new Int32Array(b * length);
  for (let row = 0; row < b; row++) {
    for (let i = 0; i < length; i++) index[row * length + i] = row * t + starts[row] + i;
  }
  return tf.tidy(() =>
    tf.reshape(tf.gather(tf.reshape(x, [b * t, f]), tf.tensor1d(index, "int32")), [
      b,
      length,
      f,
    ]) as Tensor3D
  );
}

/**
 * `take_per_row`: `out[b, i] = x[b, starts[b] + i]` for `i < length`.
 * Shapes: `x [B, T, F]` (float32 data: no gradient) → `[B, length, F]`.
 *
 * On wasm copied inside the backend's memory (`lib/wasm/windows.ts`); on
 * cpu cut on the host from one read of `x` (`host.ts`): on wasm `tf.gather`
 * of frames copies element by element and every `tf.slice` copies its whole
 * input (≈ 75 ms and ≈ 25 ms for the ECG views of 8 × 200 × 1502 frames).
 */
export function takePerRow(x: Tensor3D, starts: Int32Array, length: number): Tensor3D {
  if (wasmTakeWindowsActive(x)) {
    checkStarts(starts, length, x.shape[1]);
    return wasmTakeWindows(x, starts, length);
  }
  if (!hostReadable()) return gatherRows(x, starts, length);
  return takeRows(x.dataSync() as Float32Array, x.shape, starts, length);
}

/**
 * The two views of a crop: `[offset + eleft, offset + right)` and
 * `[offset + left, offset + eright)` of every sequence of `x [B, T, F]`
 * (float32 data, read once off the GPU).
 */
export function cropViews(x: Tensor3D, crop: Crop): [Tensor3D, Tensor3D] {
  const starts1 = crop.offsets.map((o) => o + crop.eleft);
  const starts2 = crop.offsets.map((o) => o + crop.left);
  const length1 = crop.right - crop.eleft, length2 = crop.eright - crop.left;
  if (wasmTakeWindowsActive(x) || !hostReadable()) {
    return [takePerRow(x, starts1, length1), takePerRow(x, starts2, length2)];
  }
  const values = x.dataSync() as Float32Array;
  return [
    takeRows(values, x.shape, starts1, length1),
    takeRows(values, x.shape, starts2, length2),
  ];
}
