/**
 * SimMTM's similarity aggregation in row blocks, holding one `[R, R]`
 * matrix (the logits, as row blocks): with `X = û ûᵀ/τ` and its diagonal
 * excluded,
 *
 * ```
 * lse_r = logsumexp_{j≠r} X_rj               [R]
 * ẑ     = softmax_{j≠r}(X) · z                [R, D]
 * ```
 *
 * At the Sleep/ECG configurations `R = 4·8·200 = 6400`, and autodiff kept
 * about ten `[R, R]` float32 tensors (164 MB each) for the backward pass,
 * past the wasm backend's memory. This op keeps one: the logits blocks
 * `X_b` (with `û`, `z`, `lse`), so the backward pass neither recomputes
 * `û_b ûᵀ` nor the diagonal mask (one product of the seven a block saved);
 * tfjs has no such op, so it is written here.
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
  return tf.sub(tf.div(tf.matMul(ub, uT), tau), tf.mul(diagonal, 1e12)) as Tensor2D;
}

/** Forward pass: per block, the logits `X_b` (kept), `lse_b` and `ẑ_b`. */
function forwardBlocks(u: Tensor2D, z: Tensor2D, tau: number) {
  const r = z.shape[0];
  const uT = tf.transpose(u) as Tensor2D;
  const logits: Tensor2D[] = [], lse: Tensor[] = [], rebuilt: Tensor[] = [];
  for (let start = 0; start < r; start += SIMMTM_BLOCK) {
    const rows = Math.min(SIMMTM_BLOCK, r - start);
    const [x, l, zb] = tf.tidy(() => {
      const x = logitsBlock(u, uT, start, rows, tau);
      const m = tf.max(x, 1, true);
      const e = tf.exp(tf.sub(x, m));
      const total = tf.sum(e, 1, true);
      return [x, tf.add(m, tf.log(total)), tf.matMul(tf.div(e, total), z)];
    });
    logits.push(x as Tensor2D);
    lse.push(l);
    rebuilt.push(zb);
  }
  const lseAll = tf.concat(lse, 0) as Tensor2D;
  const rebuiltAll = tf.concat(rebuilt, 0);
  tf.dispose([uT, ...lse, ...rebuilt]);
  return { logits, lseAll, rebuiltAll };
}

/**
 * Backward pass from the kept logits blocks; `dû` and `dz` accumulate
 * transposed (`[D, R]`), so that `dX_bᵀ û_b` and `W_bᵀ dẑ_b` are products
 * `û_bᵀ dX_b`, `dẑ_bᵀ W_b` with no `[R, rows]` transpose.
 */
function backwardBlocks(dy: Tensor, saved: Tensor2D[], tau: number): Tensor2D[] {
  const [su, sz, sl, ...logits] = saved;
  const [r, d] = sz.shape;
  const dZhat = tf.slice(dy, [0, 0], [r, d]) as Tensor2D;
  const dLse = tf.slice(dy, [0, d], [r, 1]);
  const suT = tf.transpose(su) as Tensor2D, szT = tf.transpose(sz) as Tensor2D;
  let duT = tf.zeros([d, r]) as Tensor2D, dzT = tf.zeros([d, r]) as Tensor2D;
  logits.forEach((x, block) => {
    const start = block * SIMMTM_BLOCK, rows = x.shape[0];
    const [nextDu, nextDz] = tf.tidy(() => {
      const w = tf.exp(tf.sub(x, tf.slice(sl, [start, 0], [rows, 1])));
      const dzb = tf.slice(dZhat, [start, 0], [rows, d]) as Tensor2D;
      const dW = tf.matMul(dzb, szT);
      const inner = tf.sum(tf.mul(dW, w), 1, true);
      const dlb = tf.slice(dLse, [start, 0], [rows, 1]);
      const dS = tf.div(tf.mul(w, tf.add(tf.sub(dW, inner), dlb)), tau) as Tensor2D;
      const rowsGrad = tf.transpose(tf.matMul(dS, su)) as Tensor2D; // into columns start..
      const padded = tf.pad(rowsGrad, [[0, 0], [start, r - start - rows]]);
      const ubT = tf.slice(suT, [0, start], [d, rows]) as Tensor2D;
      const colsGrad = tf.matMul(ubT, dS);
      return [
        tf.add(duT, tf.add(padded, colsGrad)) as Tensor2D,
        tf.add(dzT, tf.matMul(tf.transpose(dzb) as Tensor2D, w)) as Tensor2D,
      ];
    });
    tf.dispose([duT, dzT]);
    duT = nextDu;
    dzT = nextDz;
  });
  const grads = [tf.transpose(duT) as Tensor2D, tf.transpose(dzT) as Tensor2D];
  tf.dispose([suT, szT, dZhat, dLse, duT, dzT]);
  return grads;
}

function makeOp(tau: number) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [u, z, save] = args as [Tensor2D, Tensor2D, Saver];
    const { logits, lseAll, rebuiltAll } = forwardBlocks(u, z, tau);
    // `save` keeps clones only while a gradient tape records; the blocks are freed here.
    save([u, z, lseAll, ...logits]);
    const value = tf.concat([rebuiltAll, lseAll], 1);
    tf.dispose([rebuiltAll, ...logits]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => backwardBlocks(dy, saved as Tensor2D[], tau),
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
