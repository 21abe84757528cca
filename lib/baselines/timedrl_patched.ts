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
 * keep every per-offset intermediate for the backward pass).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";

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

/** Frames `[p, p + n)` of every sequence of `xPad [B, ·, F]` as rows `[B·n, F]`. */
function shifted(xPad: Tensor3D, p: number, n: number): Tensor2D {
  const [b, , f] = xPad.shape;
  return tf.reshape(tf.slice(xPad, [0, p, 0], [b, n, f]), [b * n, f]) as Tensor2D;
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
      // [F_out, F_in·P] → [P, F_in, F_out]: slice p is W_pᵀ
      const taps = tf.transpose(tf.reshape(w, [out, f, TIMEDRL_PATCH]), [2, 1, 0]);
      let frames: Tensor = tf.zeros([b * n, out]);
      for (let p = 0; p < TIMEDRL_PATCH; p++) {
        const wp = tf.reshape(tf.slice(taps, [p, 0, 0], [1, f, out]), [f, out]) as Tensor2D;
        frames = tf.add(frames, tf.matMul(shifted(xp, p, n), wp));
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
        const perOffset = Array.from(
          { length: TIMEDRL_PATCH },
          (_, p) => tf.matMul(dFramesT, shifted(sx, p, n)), // [F_out, F_in]
        );
        const dW = tf.add(
          tf.reshape(tf.stack(perOffset, 2), [out, width]),
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
 * `MSE(Linear(D → F·P)(h), patch(x))` from `h [B·(T−1), D]`, the
 * torch-layout weight `[F·P, D]`, bias `[F·P]` and the padded raw input
 * `x_pad [B, T + 8, F]` (a constant). The backward pass recomputes each
 * offset's residual instead of keeping them.
 */
export function patchMse(h: Tensor2D, weight: Tensor2D, bias: Tensor1D, xPad: Tensor3D): Scalar {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1, d = h.shape[1], count = b * n * f * TIMEDRL_PATCH;
  // residual_p = h·V_pᵀ + c_p − x_pad[n + p], V_p = rows p::P of the weight
  const residual = (xp: Tensor3D, hh: Tensor2D, v3: Tensor, c2: Tensor, p: number) => {
    const vp = tf.reshape(tf.slice(v3, [0, p, 0], [f, 1, d]), [f, d]);
    const cp = tf.reshape(tf.slice(c2, [0, p], [f, 1]), [f]);
    return tf.sub(tf.add(tf.matMul(hh, tf.transpose(vp)), cp), shifted(xp, p, n));
  };
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [xp, hh, v, c, save] = args as [Tensor3D, Tensor2D, Tensor2D, Tensor1D, Saver];
    save([xp, hh, v, c]);
    const value = tf.tidy(() => {
      const v3 = tf.reshape(v, [f, TIMEDRL_PATCH, d]), c2 = tf.reshape(c, [f, TIMEDRL_PATCH]);
      let total: Tensor = tf.scalar(0);
      for (let p = 0; p < TIMEDRL_PATCH; p++) {
        total = tf.add(total, tf.sum(tf.square(residual(xp, hh, v3, c2, p))));
      }
      return tf.div(total, count);
    });
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sh, sv, sc] = saved as [Tensor3D, Tensor2D, Tensor2D, Tensor1D];
        const v3 = tf.reshape(sv, [f, TIMEDRL_PATCH, d]), c2 = tf.reshape(sc, [f, TIMEDRL_PATCH]);
        const scale = tf.mul(dy, 2 / count);
        let dh: Tensor = tf.zeros(sh.shape);
        const dV: Tensor[] = [], dC: Tensor[] = [];
        for (let p = 0; p < TIMEDRL_PATCH; p++) {
          const [nextDh, dv, dc] = tf.tidy(() => {
            const r = tf.mul(residual(sx, sh, v3, c2, p), scale) as Tensor2D; // [N, F]
            const vp = tf.reshape(tf.slice(v3, [0, p, 0], [f, 1, d]), [f, d]) as Tensor2D;
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
