/**
 * `y = a · w` for a short, wide `a [M, K]` (M ≪ K) and a weight `w [K, N]`
 * that changes every step, as CoST's trend convolutions multiply the tap
 * window `[B, k·320]` by a trained `[k·320, 160]` weight.
 *
 * ```
 * y  = (wᵀ aᵀ)ᵀ          [M, N]
 * da = (w dyᵀ)ᵀ          [M, K]
 * dw = aᵀ dy             [K, N]
 * ```
 *
 * The wasm backend's 2-D product packs its right operand anew whenever that
 * tensor is new, as a trained weight is every step: `a · w` with `w`
 * `[40960, 160]` took ≈ 140 ms against ≈ 4 ms for `wᵀ aᵀ` (the small `aᵀ`
 * packed), and autodiff's `dy wᵀ` packs `w` again. Every product here packs
 * only an `[K, M]` or `[M, N]` operand; each output element sums the same
 * products in the same order as `a · w`, so the values and gradients are
 * those of `tf.matMul(a, w)` (bit-identical on cpu and wasm in the tests).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { wideProduct } from "./cost_product.ts";
 *
 * const y = wideProduct(tf.ones([2, 3]), tf.ones([3, 4]));
 * // y: [2, 4], every entry 3
 * ```
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D } from "../tf.ts";
import { ShapeError } from "../errors.ts";

type Saver = (ts: Tensor[]) => void;

const product = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [a, w, save] = args as [Tensor2D, Tensor2D, Saver];
  const aT = tf.transpose(a) as Tensor2D;
  const value = tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(w) as Tensor2D, aT)));
  save([w, aT]);
  aT.dispose();
  return {
    value,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sw, saT] = saved as Tensor2D[];
      return tf.tidy(() => [
        tf.transpose(tf.matMul(sw, tf.transpose(dy) as Tensor2D)),
        tf.matMul(saT, dy as Tensor2D),
      ]);
    },
  };
}) as (a: Tensor2D, w: Tensor2D) => Tensor2D;

/**
 * `a [M, K] · w [K, N]` → `[M, N]`, with the products arranged for a wide `a`
 * and a weight that changes every step (see the module doc).
 */
export function wideProduct(a: Tensor2D, w: Tensor2D): Tensor2D {
  if (a.rank !== 2 || w.rank !== 2 || a.shape[1] !== w.shape[0]) {
    throw new ShapeError(
      `cost_product: a [${a.shape}] · w [${w.shape}] needs a [M, K] and w [K, N]`,
    );
  }
  return product(a, w);
}

/** `mᵀ` of a row-major `m [k, n]`, row-major `[n, k]`. */
function transposed(m: Float32Array, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = m[i * n + j];
  return out;
}

/**
 * `x [M, K] · basis [K, N]` for a constant `basis` (row-major host values,
 * such as CoST's Fourier bases), with `dx = dy · basisᵀ` taken as a product
 * with the transposed basis built on the host: autodiff's `tf.matMul(dy,
 * basis, false, true)` takes the wasm backend's slow path for transposed
 * operands (≈ 1 GFLOP/s against ≈ 25). The sums run in the same order, so
 * the value and the gradient are `tf.matMul(x, basis)`'s.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { basisProduct } from "./cost_product.ts";
 *
 * const y = basisProduct(tf.ones([2, 3]), new Float32Array(12).fill(1), [3, 4]);
 * // y: [2, 4], every entry 3
 * ```
 */
export function basisProduct(
  x: Tensor2D,
  basis: Float32Array,
  [k, n]: [number, number],
): Tensor2D {
  if (x.rank !== 2 || x.shape[1] !== k || basis.length !== k * n) {
    throw new ShapeError(
      `cost_product: x [${x.shape}] · basis of ${basis.length} values needs x [M, ${k}] and ${
        k * n
      } values (basis [${k}, ${n}])`,
    );
  }
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const value = tf.tidy(() => tf.matMul(args[0] as Tensor2D, tf.tensor2d(basis, [k, n])));
    return {
      value,
      gradFunc: (dy: Tensor) =>
        tf.tidy(() => tf.matMul(dy as Tensor2D, tf.tensor2d(transposed(basis, k, n), [n, k]))),
    };
  }) as (x: Tensor2D) => Tensor2D;
  return op(x);
}
