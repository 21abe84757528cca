/**
 * SimMTM's similarity aggregation in row blocks, never holding an `[R, R]`
 * matrix: with `X = û ûᵀ/τ` and its diagonal excluded,
 *
 * ```
 * lse_r = logsumexp_{j≠r} X_rj               [R]
 * ẑ     = softmax_{j≠r}(X) · z                [R, D]
 * ```
 *
 * At the Sleep/ECG configurations `R = 4·8·200 = 6400`, and autodiff kept
 * about ten `[R, R]` float32 tensors (164 MB each) for the backward pass,
 * past the wasm backend's memory. This op saves only `û`, `z` and `lse`
 * and recomputes each block of `X` in the backward pass (gradient
 * checkpointing); tfjs has no such op, so it is written here.
 *
 * Backward, per block `b` of rows: `W_b = exp(X_b − lse_b)`,
 * `dX_b = W_b ⊙ (dẑ_b zᵀ − rowsum(W_b ⊙ dẑ_b zᵀ) + dlse_b)`,
 * `dû_b += dX_b û/τ`, `dû += dX_bᵀ û_b/τ`, `dz += W_bᵀ dẑ_b`.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";

/** Rows per block (a block of `X` is `[BLOCK, R]`). */
export const SIMMTM_BLOCK = 512;

type Saver = (ts: Tensor[]) => void;

/** `X_b = û_b ûᵀ/τ − 10¹²` on the diagonal, for rows `[start, start + rows)`. */
function logitsBlock(u: Tensor2D, uT: Tensor2D, start: number, rows: number, tau: number) {
  const r = u.shape[0];
  const ub = tf.slice(u, [start, 0], [rows, -1]) as Tensor2D;
  const diagonal = tf.oneHot(tf.range(start, start + rows, 1, "int32"), r);
  return { ub, x: tf.sub(tf.div(tf.matMul(ub, uT), tau), tf.mul(diagonal, 1e12)) as Tensor2D };
}

function makeOp(tau: number) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, z, save] = args as [Tensor2D, Tensor2D, Saver];
    const [r, d] = z.shape;
    const uT = tf.transpose(u) as Tensor2D;
    const lse: Tensor[] = [], rebuilt: Tensor[] = [];
    for (let start = 0; start < r; start += SIMMTM_BLOCK) {
      const rows = Math.min(SIMMTM_BLOCK, r - start);
      const [l, zb] = tf.tidy(() => {
        const { x } = logitsBlock(u, uT, start, rows, tau);
        const m = tf.max(x, 1, true);
        const e = tf.exp(tf.sub(x, m));
        const total = tf.sum(e, 1, true);
        return [tf.add(m, tf.log(total)), tf.matMul(tf.div(e, total), z)];
      });
      lse.push(l);
      rebuilt.push(zb);
    }
    const lseAll = tf.concat(lse, 0) as Tensor2D;
    save([u, z, lseAll]);
    const value = tf.concat([tf.concat(rebuilt, 0), lseAll], 1);
    tf.dispose([uT, ...lse, ...rebuilt]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [su, sz, sl] = saved as Tensor2D[];
        const dZhat = tf.slice(dy, [0, 0], [r, d]) as Tensor2D;
        const dLse = tf.slice(dy, [0, d], [r, 1]);
        const suT = tf.transpose(su) as Tensor2D, szT = tf.transpose(sz) as Tensor2D;
        let du = tf.zeros([r, d]) as Tensor2D, dz = tf.zeros([r, d]) as Tensor2D;
        for (let start = 0; start < r; start += SIMMTM_BLOCK) {
          const rows = Math.min(SIMMTM_BLOCK, r - start);
          const [nextDu, nextDz] = tf.tidy(() => {
            const { ub, x } = logitsBlock(su, suT, start, rows, tau);
            const w = tf.exp(tf.sub(x, tf.slice(sl, [start, 0], [rows, 1])));
            const dzb = tf.slice(dZhat, [start, 0], [rows, d]) as Tensor2D;
            const dW = tf.matMul(dzb, szT);
            const inner = tf.sum(tf.mul(dW, w), 1, true);
            const dlb = tf.slice(dLse, [start, 0], [rows, 1]);
            const dS = tf.div(tf.mul(w, tf.add(tf.sub(dW, inner), dlb)), tau) as Tensor2D;
            const rowsGrad = tf.matMul(dS, su); // [rows, D], into rows start..start+rows
            const padded = tf.pad(rowsGrad, [[start, r - start - rows], [0, 0]]);
            const colsGrad = tf.matMul(tf.transpose(dS) as Tensor2D, ub);
            return [
              tf.add(du, tf.add(padded, colsGrad)) as Tensor2D,
              tf.add(dz, tf.matMul(tf.transpose(w) as Tensor2D, dzb)) as Tensor2D,
            ];
          });
          tf.dispose([du, dz]);
          du = nextDu;
          dz = nextDz;
        }
        tf.dispose([suT, szT, dZhat, dLse]);
        return [du, dz];
      },
    };
  }) as (u: Tensor2D, z: Tensor2D) => Tensor2D;
}

/**
 * `[lse, ẑ]` of the self-excluded similarity softmax of unit rows
 * `u [R, D]` at temperature `tau`, aggregating `z [R, D]` (see the module doc).
 */
export function similarityAggregate(
  u: Tensor2D,
  z: Tensor2D,
  tau: number,
): { lse: Tensor1D; rebuilt: Tensor2D } {
  const [r, d] = z.shape;
  const both = makeOp(tau)(u, z);
  return {
    lse: tf.reshape(tf.slice(both, [0, d], [r, 1]), [r]) as Tensor1D,
    rebuilt: tf.slice(both, [0, 0], [r, d]) as Tensor2D,
  };
}
