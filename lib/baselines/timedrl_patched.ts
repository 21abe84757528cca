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
        const perOffset = Array.from(
          { length: TIMEDRL_PATCH },
          (_, p) => tf.tidy(() => tf.matMul(dFramesT, shifted(p))), // [F_out, F_in]
        );
        const dW = tf.add(
          interleave(perOffset, out, f),
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

/** {@linkcode patchMse}'s per-offset operands, cut on the host. */
interface MseParts {
  /** Frames `[p, p + n)` as rows `[B·n, F]`. */
  shifted(p: number): Tensor2D;
  /** `V_pᵀ [D, F]`. */
  rowsT(p: number): Tensor2D;
  /** `c_p [F]`. */
  bias(p: number): Tensor1D;
}

function mseParts(xPad: Tensor3D, v: Tensor2D, c: Tensor1D, n: number): MseParts {
  const f = xPad.shape[2], d = v.shape[1];
  const vData = dataSyncOrThrow(v, "timedrl V") as Float32Array;
  const cData = dataSyncOrThrow(c, "timedrl c") as Float32Array;
  const rowsT = (p: number) => {
    const out = new Float32Array(d * f);
    for (let k = 0; k < f; k++) {
      const row = (k * TIMEDRL_PATCH + p) * d;
      for (let j = 0; j < d; j++) out[j * f + k] = vData[row + j];
    }
    return tf.tensor2d(out, [d, f]);
  };
  return {
    shifted: shiftedFrames(xPad, n),
    rowsT,
    bias: (p) =>
      tf.tensor1d(Float32Array.from({ length: f }, (_, k) => cData[k * TIMEDRL_PATCH + p])),
  };
}

/**
 * `MSE(Linear(D → F·P)(h), patch(x))` from `h [B·(T−1), D]`, the
 * torch-layout weight `[F·P, D]`, bias `[F·P]` and the padded raw input
 * `x_pad [B, T + 8, F]` (a constant). The forward pass keeps the
 * residuals (`P` × `[B·(T−1), F]`, as much as one dense patch tensor) for
 * the backward pass, which would otherwise recompute their products.
 */
export function patchMse(h: Tensor2D, weight: Tensor2D, bias: Tensor1D, xPad: Tensor3D): Scalar {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1, d = h.shape[1], count = b * n * f * TIMEDRL_PATCH;
  // residual_p = h·V_pᵀ + c_p − x_pad[n + p], V_p = rows p::P of the weight
  const residual = (parts: MseParts, hh: Tensor2D, p: number) =>
    tf.sub(tf.add(tf.matMul(hh, parts.rowsT(p)), parts.bias(p)), parts.shifted(p)) as Tensor2D;
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [xp, hh, v, c, save] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor1D, Saver];
    const [value, ...residuals] = tf.tidy(() => {
      const parts = mseParts(xp, v, c, n);
      const rs = Array.from({ length: TIMEDRL_PATCH }, (_, p) => residual(parts, hh, p));
      let total: Tensor = tf.scalar(0);
      for (const r of rs) total = tf.add(total, tf.sum(tf.square(r)));
      return [tf.div(total, count), ...rs];
    });
    // `save` keeps clones only while a gradient tape records; the residuals are freed here.
    save([xp, hh, v, ...residuals]);
    tf.dispose(residuals);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sh, sv, ...rs] = saved as Tensor2D[];
        const vData = dataSyncOrThrow(sv, "timedrl V") as Float32Array;
        const scale = tf.mul(dy, 2 / count);
        let dh: Tensor = tf.zeros(sh.shape);
        const dV: Tensor[] = [], dC: Tensor[] = [];
        for (let p = 0; p < TIMEDRL_PATCH; p++) {
          const [nextDh, dv, dc] = tf.tidy(() => {
            const r = tf.mul(rs[p], scale) as Tensor2D; // [N, F]
            const vp = rowsOf(vData, f, d, p);
            return [tf.add(dh, tf.matMul(r, vp)), tf.matMul(tf.transpose(r), sh), tf.sum(r, 0)];
          });
          dh.dispose();
          dh = nextDh;
          dV.push(dv);
          dC.push(dc);
        }
        return [
          tf.zerosLike(sx),
          dh,
          tf.reshape(tf.stack(dV, 1), [f * TIMEDRL_PATCH, d]),
          tf.reshape(tf.stack(dC, 1), [f * TIMEDRL_PATCH]),
        ];
      },
    };
  }) as (xp: Tensor3D, hh: Tensor2D, v: Tensor2D, c: Tensor1D) => Scalar;
  return op(xPad, h, weight, bias);
}
