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
 * wasm backend past its memory).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import { matMul } from "../ops/mod.ts";

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

/**
 * `Linear(F·P → F)` of `[cls; patch(x̃)]` → `[B, T, F]` (CLS first), from the
 * padded normalised input `x̃_pad [B, T + 8, F]`, `cls [1, 1, F·P]`, the
 * torch-layout weight `[F, F·P]` and bias `[F]`.
 */
export function patchEmbed(
  xPad: Tensor3D,
  cls: Tensor,
  weight: Tensor2D,
  bias: Tensor1D,
): Tensor3D {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1;
  const out = weight.shape[0];
  // [F_out, F_in·P] → [P, F_in, F_out]: slice p is W_pᵀ
  const taps = tf.transpose(tf.reshape(weight, [out, f, TIMEDRL_PATCH]), [2, 1, 0]);
  let frames: Tensor2D = tf.zeros([b * n, out]);
  for (let p = 0; p < TIMEDRL_PATCH; p++) {
    const wp = tf.reshape(tf.slice(taps, [p, 0, 0], [1, f, out]), [f, out]) as Tensor2D;
    frames = tf.add(frames, matMul(shifted(xPad, p, n), wp)) as Tensor2D;
  }
  frames = tf.add(frames, bias) as Tensor2D;
  const clsRow = tf.add(
    tf.reshape(matMul(weight, tf.reshape(cls, [-1, 1]) as Tensor2D), [1, 1, out]),
    tf.reshape(bias, [1, 1, out]),
  );
  return tf.concat([tf.tile(clsRow, [b, 1, 1]), tf.reshape(frames, [b, n, out])], 1) as Tensor3D;
}

/**
 * `MSE(Linear(D → F·P)(h), patch(x))` from `h [B·(T−1), D]`, the
 * torch-layout weight `[F·P, D]`, bias `[F·P]` and the padded raw input
 * `x_pad [B, T + 8, F]`.
 */
export function patchMse(h: Tensor2D, weight: Tensor2D, bias: Tensor1D, xPad: Tensor3D): Scalar {
  const [b, tp, f] = xPad.shape;
  const n = tp - TIMEDRL_PAD_END - 1, d = h.shape[1];
  // [F·P, D] → [P, D, F]: slice p is V_pᵀ; bias [F·P] → [P, F]
  const taps = tf.transpose(tf.reshape(weight, [f, TIMEDRL_PATCH, d]), [1, 2, 0]);
  const biases = tf.transpose(tf.reshape(bias, [f, TIMEDRL_PATCH]));
  let total: Scalar = tf.scalar(0);
  for (let p = 0; p < TIMEDRL_PATCH; p++) {
    const vp = tf.reshape(tf.slice(taps, [p, 0, 0], [1, d, f]), [d, f]) as Tensor2D;
    const pred = tf.add(matMul(h, vp), tf.slice(biases, [p, 0], [1, f]));
    total = tf.add(total, tf.sum(tf.square(tf.sub(pred, shifted(xPad, p, n)))));
  }
  return tf.div(total, b * n * f * TIMEDRL_PATCH) as Scalar;
}
