/**
 * The similarity ("sim") vector of the reference (baselines/emargin.py,
 * `check_next_two_elements_tensor_single` / `_double`), computed on the raw
 * encoder input, and the indicator it was evidently meant to be.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { l2Normalize } from "./similarity.ts";
import { wasmAdjacentCosine, wasmAdjacentCosineActive } from "../wasm/mod.ts";

/**
 * "reference": the reference's two in-place assignments (defect D1: all ones
 * for every θ ≥ 0); "intended": one comparison, `v = 1[cos < θ]`.
 */
export type SimVariant = "reference" | "intended";

/** "single": `N − 1` entries (MARGIN_LOSS); "double": `N` entries, wrap pair included (LS_MARGIN_LOSS). */
export type SimLength = "single" | "double";

/** Options of {@linkcode simVector}. */
export interface SimVectorOptions {
  /** θ, the reference's `margin_thresh`. */
  threshold: number;
  variant: SimVariant;
  length: SimLength;
}

/**
 * Cosine of each row with the next one, wrapping around:
 * `r_n = cos(x_n, x_{(n+1) mod N})`, rows normalised as torch `F.normalize`
 * (an all-zero row has cosine 0 with everything; a NaN row gives NaN).
 *
 * Shapes: `x [B, T, F]` or `[N, F]` → `[N]`, `N = B·T` (sequence-major rows,
 * neighbours taken across sequence boundaries as in the reference).
 */
export function adjacentCosine(x: Tensor): Tensor1D {
  return tf.tidy(() => {
    const rows = flattenRows(x);
    if (rows.dtype === "float32" && wasmAdjacentCosineActive()) return wasmAdjacentCosine(rows);
    const n = rows.shape[0];
    const u = l2Normalize(rows);
    const next = n > 1
      ? tf.concat([tf.slice(u, [1, 0], [n - 1, -1]), tf.slice(u, [0, 0], [1, -1])], 0)
      : u;
    return tf.sum(tf.mul(u, next), 1) as Tensor1D;
  });
}

/**
 * The sim vector `v`, applied anchor-wise (column-wise) by the margin losses.
 *
 * - reference: `r[r ≥ θ] = 0`, then `r[r ≤ θ] = 1` on the modified vector, so
 *   `v ≡ 1` for θ ≥ 0 and `v = 1[r < θ]` for θ < 0; NaN cosines stay NaN.
 * - intended: `v_n = 1[r_n < θ]` (adjacent raw frames dissimilar); NaN → 0.
 *
 * Shapes: `x [B, T, F]` or `[N, F]` → `[N − 1]` ("single") or `[N]` ("double").
 * Computed without gradient significance (the input is data, not parameters).
 *
 * @throws {ShapeError} when `x` is not 2-D or 3-D, or has fewer than 2 rows.
 * @throws {OptionError} on an unknown variant or length.
 */
export function simVector(x: Tensor, options: SimVectorOptions): Tensor1D {
  const { threshold, variant, length } = options;
  if (variant !== "reference" && variant !== "intended") {
    throw new OptionError(`simVector: variant must be "reference" or "intended", got ${variant}`);
  }
  if (length !== "single" && length !== "double") {
    throw new OptionError(`simVector: length must be "single" or "double", got ${length}`);
  }
  return dataOnly(x, (data) => {
    const r = adjacentCosine(data);
    const n = r.shape[0];
    let v: Tensor1D;
    if (variant === "reference") {
      const zeroed = tf.where(tf.greaterEqual(r, threshold), tf.zerosLike(r), r);
      v = tf.where(tf.lessEqual(zeroed, threshold), tf.onesLike(r), zeroed) as Tensor1D;
    } else {
      v = tf.cast(tf.less(r, threshold), "float32") as Tensor1D;
    }
    return length === "double" ? v : tf.slice(v, [0], [n - 1]);
  });
}

type Saver = (tensors: Tensor[]) => void;

/**
 * `f(x)` run as one op with a zero gradient: inside a training step's tape
 * its operations are not recorded one by one, so nothing is kept (copied)
 * for a backward pass that the data never needs.
 */
function dataOnly(x: Tensor, f: (data: Tensor) => Tensor1D): Tensor1D {
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const data = args[0] as Tensor;
    return { value: f(data), gradFunc: () => [tf.zerosLike(data)] };
  }) as (data: Tensor) => Tensor1D;
  return op(x);
}

function flattenRows(x: Tensor): Tensor2D {
  if (x.rank !== 2 && x.rank !== 3) {
    throw new ShapeError(
      `x: expected raw inputs [B, T, F] or [N, F], got shape [${x.shape.join(", ")}]`,
    );
  }
  const f = x.shape[x.rank - 1];
  const n = x.size / Math.max(f, 1);
  if (n < 2) {
    throw new ShapeError(
      `x: expected at least 2 rows (N = B·T ≥ 2), got shape [${x.shape.join(", ")}]`,
    );
  }
  return tf.reshape(x.dtype === "float32" ? x : tf.cast(x, "float32"), [n, f]) as Tensor2D;
}
