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
