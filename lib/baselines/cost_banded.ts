/**
 * CoST's banded Fourier products: one `[B, K] · [K, N]` product per
 * frequency, `y[f] = x[f] · w[f]` for `x [nf, B, K]`, `w [nf, K, N]`.
 *
 * ```
 * y[f]  = x[f] · w[f]        [B, N]
 * dx[f] = dy[f] · w[f]ᵀ      [B, K]
 * dw[f] = x[f]ᵀ · dy[f]      [K, N]
 * ```
 *
 * tfjs' batched `matMul` (rank 3) takes the wasm backend's slow path
 * (≈ 1 GFLOP/s: ≈ 80 ms for `[101, 8, 320] · [101, 320, 160]`), as do the
 * transposed products of its gradient. Here each frequency is a 2-D product
 * (≈ 25 GFLOP/s), its operands cut on the host (a `tf.slice` per frequency
 * would copy the whole input each time), `dx[f]` taken as `(w[f] dy[f]ᵀ)ᵀ`
 * so that only the small `dy[f]ᵀ` is packed, and `x[f]ᵀ` transposed on the
 * host. Each output element sums the same
 * products in the same order as the batched product, so the values and
 * gradients are `tf.matMul(x, w)`'s (bit-identical on cpu in the tests).
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import type { Tensor3D } from "../tf.ts";
 * import { bandedProduct } from "./cost_banded.ts";
 *
 * const y = bandedProduct(tf.ones([2, 1, 3]) as Tensor3D, tf.ones([2, 3, 4]) as Tensor3D);
 * // y: [2, 1, 4], every entry 3
 * ```
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor3D } from "../tf.ts";
import { dataSyncOrThrow } from "../backend.ts";
import { ShapeError } from "../errors.ts";

type Saver = (ts: Tensor[]) => void;

/** The `[rows, cols]` matrices along the first axis of `t [n, rows, cols]`, as host views. */
function pieces(t: Tensor, what: string): Float32Array[] {
  const [n, rows, cols] = t.shape;
  const data = dataSyncOrThrow(t, what) as Float32Array;
  return Array.from({ length: n }, (_, f) => data.subarray(f * rows * cols, (f + 1) * rows * cols));
}

/** `mᵀ` of a row-major `m [rows, cols]`. */
function hostTranspose(m: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = m[i * cols + j];
  return out;
}

/** `[a_f · b_f]` stacked along the first axis → `[n, m, p]`. */
function products(
  as: Float32Array[],
  bs: Float32Array[],
  [m, k, p]: [number, number, number],
): Tensor3D {
  return tf.tidy(() => {
    const out = as.map((a, f) => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(bs[f], [k, p])));
    return tf.reshape(tf.concat(out, 0), [as.length, m, p]) as Tensor3D;
  });
}

const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [x, w, save] = args as [Tensor3D, Tensor3D, Saver];
  const [, b, k] = x.shape, n = w.shape[2];
  const value = products(pieces(x, "banded x"), pieces(w, "banded w"), [b, k, n]);
  save([x, w]);
  return {
    value,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [xs, ws, dys] = [
        pieces(saved[0], "banded x"),
        pieces(saved[1], "banded w"),
        pieces(dy, "banded dy"),
      ];
      // dx[f]ᵀ = w[f] · dy[f]ᵀ: only the small [N, B] operand is packed
      const dxT = products(ws, dys.map((d) => hostTranspose(d, b, n)), [k, n, b]);
      const dx = tf.transpose(dxT, [0, 2, 1]);
      dxT.dispose();
      const dw = products(xs.map((xf) => hostTranspose(xf, b, k)), dys, [k, b, n]);
      return [dx, dw];
    },
  };
}) as (x: Tensor3D, w: Tensor3D) => Tensor3D;

/**
 * `x [nf, B, K] · w [nf, K, N]` → `[nf, B, N]`, one 2-D product per
 * frequency (see the module doc).
 */
export function bandedProduct(x: Tensor3D, w: Tensor3D): Tensor3D {
  if (x.rank !== 3 || w.rank !== 3 || x.shape[0] !== w.shape[0] || x.shape[2] !== w.shape[1]) {
    throw new ShapeError(
      `cost_banded: x [${x.shape}] · w [${w.shape}] needs x [nf, B, K] and w [nf, K, N]`,
    );
  }
  return op(x, w);
}
