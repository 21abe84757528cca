/**
 * TimeDRL's patch embedding and predictive loss without materialising the
 * patches. With `P = 10` and patch feature `c·P + p` reading frame `n + p`:
 *
 * ```
 * Linear(F·P → F)(patch(x̃))_n = b + Σ_p x̃_pad[n + p] · W_pᵀ,   W_p = W[:, p::P]   [F, F]
 * MSE(Linear(320 → F·P)(h), patch(x)) = Σ_p ‖h·V_pᵀ + c_p − x_pad[n + p]‖² / (N·F·P),
 *                                        V_p = V[p::P, :]   [F, 320]
 * ```
 *
 * The same products as the dense form, but no `[B, T−1, F·P]` tensor (at
 * the ECG configuration, F·P = 15 020: 24 M floats per copy, which took the
 * wasm backend past its memory). Both are custom-gradient ops (tfjs would
 * keep every per-offset intermediate for the backward pass). The per-offset
 * operands (`W_pᵀ`, `V_p`, `c_p`, the shifted frames of the constant input)
 * are cut from host copies, and `dW`'s columns interleaved on the host: on
 * wasm each `tf.slice` copies its whole input first (at ECG, 22.5 M floats
 * per `W_p`) and `tf.stack` along the last axis was as slow.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import { dataSyncOrThrow } from "../backend.ts";
import { transposedProduct } from "../ops/mod.ts";

/** Patch length `P` and the frames replicated at the end. */
export const TIMEDRL_PATCH = 10;
/** Frames replicated after the last one before patching. */
export const TIMEDRL_PAD_END = 8;

/** `x [B, T, F]` with its last frame repeated 8 more times → `[B, T + 8, F]`. */
export function padEnd(x: Tensor3D): Tensor3D {
  const [b, t, f] = x.shape;
  return tf.tidy(() =>
    tf.concat([x, tf.tile(tf.slice(x, [0, t - 1, 0], [b, 1, f]), [1, TIMEDRL_PAD_END, 1])], 1)
  );
}

/**
 * The host values of a constant `xPad [B, ·, F]`, cut on the host: frames
 * `[p, p + n)` of every sequence as rows `[B·n, F]` (a `tf.slice` per
 * offset would copy the whole input on wasm each time).
 */
function shiftedFrames(xPad: Tensor3D, n: number): (p: number) => Tensor2D {
  const [b, tp, f] = xPad.shape;
  const data = dataSyncOrThrow(xPad, "timedrl xPad") as Float32Array;
  return (p) => {
    const rows = new Float32Array(b * n * f);
    for (let s = 0; s < b; s++) {
      rows.set(data.subarray((s * tp + p) * f, (s * tp + p + n) * f), s * n * f);
    }
    return tf.tensor2d(rows, [b * n, f]);
  };
}

/** `W_pᵀ [F_in, F_out]` from the host values of the weight `[F_out, F_in·P]`. */
function tapOf(w: Float32Array, out: number, f: number, p: number): Tensor2D {
  const tap = new Float32Array(f * out);
  for (let o = 0; o < out; o++) {
    const row = o * f * TIMEDRL_PATCH + p;
    for (let i = 0; i < f; i++) tap[i * out + o] = w[row + i * TIMEDRL_PATCH];
  }
  return tf.tensor2d(tap, [f, out]);
}

/** `[F_out, F_in·P]` with column `i·P + p` from `pieces[p] [F_out, F_in]`, on the host. */
function interleave(pieces: Tensor[], out: number, f: number): Tensor2D {
  const joined = new Float32Array(out * f * TIMEDRL_PATCH);
  pieces.forEach((piece, p) => {
    const values = dataSyncOrThrow(piece, "timedrl dW") as Float32Array;
    for (let k = 0; k < out * f; k++) joined[k * TIMEDRL_PATCH + p] = values[k];
  });
  return tf.tensor2d(joined, [out, f * TIMEDRL_PATCH]);
}

/** Rows `p::P` of the host values of `v [F·P, D]` → `V_p [F, D]`. */
function rowsOf(v: Float32Array, f: number, d: number, p: number): Tensor2D {
  const rows = new Float32Array(f * d);
  for (let c = 0; c < f; c++) {
    rows.set(v.subarray((c * TIMEDRL_PATCH + p) * d, (c * TIMEDRL_PATCH + p + 1) * d), c * d);
  }
  return tf.tensor2d(rows, [f, d]);
}

type Saver = (ts: Tensor[]) => void;

/**
 * `Linear(F·P → F)` of `[cls; patch(x̃)]` → `[B, T, F]` (CLS first), from the
 * padded normalised input `x̃_pad [B, T + 8, F]` (a constant), `cls [1, 1, F·P]`,
 * the torch-layout weight `[F, F·P]` and bias `[F]`. Its gradient is written
 * out (per offset `p`), so the tape keeps only the inputs.
 */
export function patchEmbed(
  xPad: Tensor3D,
  cls: Tensor,
  weight: Tensor2D,
  bias: Tensor1D,
): Tensor3D {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1, out = weight.shape[0], width = f * TIMEDRL_PATCH;
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [xp, c, w, bb, save] = args as [Tensor3D, Tensor, Tensor2D, Tensor1D, Saver];
    save([xp, c, w]);
    const value = tf.tidy(() => {
      const shifted = shiftedFrames(xp, n), wData = dataSyncOrThrow(w, "timedrl W") as Float32Array;
      let frames: Tensor = tf.zeros([b * n, out]);
      for (let p = 0; p < TIMEDRL_PATCH; p++) {
        frames = tf.add(frames, tf.matMul(shifted(p), tapOf(wData, out, f, p)));
      }
      const clsRow = tf.reshape(tf.matMul(w, tf.reshape(c, [width, 1])), [1, 1, out]);
      return tf.add(
        tf.concat([tf.tile(clsRow, [b, 1, 1]), tf.reshape(frames, [b, n, out])], 1),
        bb,
      );
    });
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sc, sw] = saved as [Tensor3D, Tensor, Tensor2D];
        const dClsRow = tf.sum(tf.slice(dy, [0, 0, 0], [b, 1, out]), 0); // [1, F_out]
        const dFrames = tf.reshape(tf.slice(dy, [0, 1, 0], [b, n, out]), [b * n, out]);
        const dFramesT = tf.transpose(dFrames) as Tensor2D;
        const shifted = shiftedFrames(sx, n);
        const pieces = Array.from(
          { length: TIMEDRL_PATCH },
          (_, p) => tf.tidy(() => tf.matMul(dFramesT, shifted(p))), // [F_out, F_in]
        );
        const dW = tf.add(
          interleave(pieces, out, f),
          tf.matMul(tf.reshape(dClsRow, [out, 1]), tf.reshape(sc, [1, width])),
        );
        const dCls = tf.reshape(tf.matMul(tf.reshape(dClsRow, [1, out]), sw), [1, 1, width]);
        const dBias = tf.sum(tf.reshape(dy, [b * (n + 1), out]), 0);
        return [tf.zerosLike(sx), dCls, dW, dBias];
      },
    };
  }) as (xp: Tensor3D, c: Tensor, w: Tensor2D, bb: Tensor1D) => Tensor3D;
  // the input is an argument so the tape keeps it for the backward pass
  return op(xPad, cls, weight, bias);
}

/**
 * The mean over passes `k` of `MSE(Linear(D → F·P)(h_k), patch(x))`, from
 * `hs[k] [N = B·(T−1), D]`, the torch-layout weight `V [F·P, D]`, bias
 * `c [F·P]` and the padded raw input `x_pad [B, T + 8, F]` (a constant),
 * expanded so that no `[N, F·P]` prediction or residual is formed and the
 * passes share the products with the data. With `X_p = x_pad[n + p]` as rows
 * `[N, F]`, `V_p = V[p::P]`, `A = VᵀV [D, D]` and `XV = Σ_p X_p V_p [N, D]`:
 *
 * ```
 * Σ_p ‖h V_pᵀ + c_p − X_p‖² = Σ_n h_n A h_nᵀ − 2 Σ_n h_n·(XV_n − Vᵀc)
 *                            + N‖c‖² − 2 c·colsum(X) + ‖X‖²
 * ∂/∂h = 2 (h A + 1 (Vᵀc)ᵀ − XV)
 * ∂/∂V = 2 (V hᵀh + c colsum(h)ᵀ − [X_pᵀ h]_p),   ∂/∂c = 2 (V colsum(h) + N c − colsum(X))
 * ```
 *
 * The two big products, `XV` and `X_pᵀ Σ_k h_k`, are made once for all
 * passes (2·N·F·P·D flops each); the dense form makes three of that size
 * per pass. The data's terms (`‖X‖²`, `colsum(X)`) are summed in float64
 * on the host. The value is a difference of sums, so its rounding is
 * relative to `‖X‖²` rather than to the residual's square.
 */
export function patchMse(
  hs: Tensor2D[],
  weight: Tensor2D,
  bias: Tensor1D,
  xPad: Tensor3D,
): Scalar {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1, rows = b * n, width = f * TIMEDRL_PATCH;
  const passes = hs.length, count = rows * width;
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const save = args[args.length - 1] as Saver;
    const [xp, v, c, ...hh] = args.slice(0, -1) as [Tensor3D, Tensor2D, Tensor1D, ...Tensor2D[]];
    const { value, products } = tf.tidy(() => {
      const data = dataTerms(xp, n);
      const xv = perOffset(xp, v, n, (x, vp) => tf.matMul(x, vp));
      const gram = transposedProduct(v, v); // A = VᵀV
      const vc = tf.reshape(transposedProduct(v, tf.reshape(c, [width, 1])), [1, -1]); // (Vᵀc)ᵀ
      const cross = tf.sub(xv, vc); // XV − 1(Vᵀc)ᵀ
      const fit = hh.map((h) =>
        tf.sub(tf.sum(tf.mul(h, tf.matMul(h, gram))), tf.mul(tf.sum(tf.mul(h, cross)), 2))
      );
      const bias = tf.sub(
        tf.mul(tf.sum(tf.square(c)), rows),
        tf.mul(tf.sum(tf.mul(c, data.colSums)), 2),
      );
      const total = tf.add(tf.add(tf.div(tf.addN(fit), passes), bias), data.squares);
      return { value: tf.div(total, count) as Scalar, products: [gram, cross, data.colSums] };
    });
    save([xp, v, c, ...products, ...hh]);
    tf.dispose(products);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const sx = saved[0] as Tensor3D;
        const [sv, sc, gram, cross, colSums, ...sh] = saved.slice(1) as Tensor2D[];
        return tf.tidy(() => {
          const scale = tf.div(tf.mul(dy, 2), count * passes);
          const dh = sh.map((h) => tf.mul(tf.sub(tf.matMul(h, gram), cross), scale));
          const hSum = tf.addN(sh) as Tensor2D;
          const hGram = tf.addN(sh.map((h) => transposedProduct(h, h))) as Tensor2D;
          const hCol = tf.reshape(tf.sum(hSum, 0), [1, -1]);
          const xh = perOffset(sx, hSum, n, (x, hs) => transposedProduct(x, hs), width);
          const dV = tf.sub(
            tf.add(tf.matMul(sv, hGram), tf.matMul(tf.reshape(sc, [width, 1]), hCol)),
            xh,
          );
          const dC = tf.sub(
            tf.add(
              tf.reshape(tf.matMul(sv, tf.reshape(hCol, [-1, 1])), [width]),
              tf.mul(sc, rows * passes),
            ),
            tf.mul(colSums, passes),
          );
          return [tf.zerosLike(sx), tf.mul(dV, scale), tf.mul(dC, scale), ...dh];
        });
      },
    };
  }) as (xp: Tensor3D, v: Tensor2D, c: Tensor1D, ...hh: Tensor2D[]) => Scalar;
  return op(xPad, weight, bias, ...hs);
}

/**
 * The data's terms of {@linkcode patchMse}, summed in float64 on the host:
 * `‖X‖² = Σ_p ‖X_p‖²` and `colsum(X) [F·P]` (entry `c·P + p` sums frame
 * `n + p`'s feature `c` over every sequence and `n`).
 */
function dataTerms(xPad: Tensor3D, n: number): { squares: Scalar; colSums: Tensor1D } {
  const [b, tp, f] = xPad.shape;
  const x = dataSyncOrThrow(xPad, "timedrl xPad") as Float32Array;
  const sums = new Float64Array(f * TIMEDRL_PATCH);
  let squares = 0;
  for (let s = 0; s < b; s++) {
    for (let p = 0; p < TIMEDRL_PATCH; p++) {
      for (let frame = p; frame < p + n; frame++) {
        const row = (s * tp + frame) * f;
        for (let c = 0; c < f; c++) {
          const value = x[row + c];
          sums[c * TIMEDRL_PATCH + p] += value;
          squares += value * value;
        }
      }
    }
  }
  return { squares: tf.scalar(squares), colSums: tf.tensor1d(Float32Array.from(sums)) };
}

/**
 * Per offset `p`, `product(X_p [N, F], V_p [F, D])` with `V_p = rows p::P of
 * v`: summed to `[N, D]` when `interleaveRows` is not given; with
 * `interleaveRows` (`F·P`), each result `[F, D]` fills rows `c·P + p` of a
 * `[F·P, D]` matrix.
 */
function perOffset(
  xPad: Tensor3D,
  v: Tensor2D,
  n: number,
  product: (x: Tensor2D, other: Tensor2D) => Tensor2D,
  interleaveRows?: number,
): Tensor2D {
  const f = xPad.shape[2], d = v.shape[1];
  const shifted = shiftedFrames(xPad, n);
  if (interleaveRows === undefined) {
    const vData = dataSyncOrThrow(v, "timedrl V") as Float32Array;
    return tf.tidy(() =>
      tf.addN(
        Array.from(
          { length: TIMEDRL_PATCH },
          (_, p) => product(shifted(p), rowsOf(vData, f, d, p)),
        ),
      )
    ) as Tensor2D;
  }
  return tf.tidy(() => {
    const pieces = Array.from({ length: TIMEDRL_PATCH }, (_, p) => product(shifted(p), v));
    return tf.reshape(tf.stack(pieces, 1), [interleaveRows, d]) as Tensor2D;
  });
}
