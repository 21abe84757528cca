/**
 * `S = U·Uᵀ` on the wasm backend from its lower triangle, written in place:
 * one product of `gemm.ts` over the tiles that meet `j ≤ i` (about
 * half the flops), then the upper triangle mirrored from the lower in 4 × 4
 * tiles (`tiles.ts`).
 *
 * ```
 * u [N, D] → S [N, N],  S_ij = S_ji bit for bit (each entry one sequential sum over D,
 * u_i·u_j and u_j·u_i multiply the same pairs in the same order), and equal to the
 * whole product tf.matMul(u, u, false, true) on the same GEMM bit for bit
 * ```
 *
 * Why by hand: as tfjs ops a triangle is assembled from blocks with
 * concatenations and transposes, two more passes over `S` that cost what the
 * saved product does (1600 × 320: 41–50 ms against 41 ms for the whole
 * product).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import { installedGemm } from "./gemm.ts";
import { floatOffset, onWasmBackend } from "./backend_memory.ts";
import { mirrorLowerInPlace } from "./tiles.ts";

/** The tfjs kernel name (registered for the wasm backend only). */
export const SYMMETRIC_GRAM_KERNEL = "SymmetricGram";

const register = onWasmBackend((backend) => {
  tf.registerKernel({
    kernelName: SYMMETRIC_GRAM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => {
      const gemm = installedGemm();
      if (!gemm) throw new Error("SymmetricGram: the wasm GEMM is not installed");
      const u = inputs.u as tf.TensorInfo, left = (inputs.left ?? inputs.u) as tf.TensorInfo;
      const [n, d] = u.shape;
      const out = backend.makeOutput([n, n], "float32");
      const [pu, pl, ps] = [u, left, out].map((t) => floatOffset(backend, t));
      const shape = { m: n, k: d, n, transposeA: false, transposeB: true, lower: true };
      gemm.run(pl, pu, ps, shape, 1, 0, 0);
      mirrorLowerInPlace(backend, ps, n);
      return out;
    },
  });
  return true;
});

/** Whether {@linkcode wasmSymmetricGram} runs here: the wasm backend with `gemm.ts` installed. */
export function wasmGramActive(): boolean {
  return tf.getBackend() === "wasm" && installedGemm() !== null && register() !== null;
}

/**
 * `S = U·Uᵀ` from its lower triangle (see the module documentation); call
 * where {@linkcode wasmGramActive}. With `left`, the lower triangle is
 * `left_i·u_j` (for a `left` that makes the product symmetric, such as
 * `U/τ`; the upper triangle is still its mirror). Shapes: `u, left [N, D]`
 * → `[N, N]`.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { wasmGramActive, wasmSymmetricGram } from "./gram.ts";
 * await tf.setBackend("wasm");
 * const u = tf.randomNormal([1600, 320]) as tf.Tensor2D;
 * const s = wasmGramActive() ? wasmSymmetricGram(u) : tf.matMul(u, u, false, true);
 * ```
 */
export function wasmSymmetricGram(u: Tensor2D, left?: Tensor2D): Tensor2D {
  const inputs: tf.NamedTensorMap = left ? { u, left } : { u };
  return tf.engine().runKernel(SYMMETRIC_GRAM_KERNEL, inputs, {}) as Tensor2D;
}
