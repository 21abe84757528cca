/**
 * `S = U·Uᵀ` on the wasm backend from its lower block triangle, written in
 * place: rows of `U` cut into `K` runs, each block `S_ab = U_a·U_bᵀ` with
 * `b ≤ a` one product of `gemm.ts` straight into its place in `S` (the
 * output's row stride), then every block above the diagonal copied from
 * its transpose. `(K + 1)/(2K)` of the product's flops and no assembly.
 *
 * ```
 * u [N, D] → S [N, N],  S_ij = S_ji bit for bit (each entry one sequential sum over D,
 * u_i·u_j and u_j·u_i multiply the same pairs in the same order), and equal to the
 * whole product tf.matMul(u, u, false, true) on the same GEMM bit for bit
 * ```
 *
 * Why by hand: as tfjs ops the lower blocks are assembled with concatenations
 * and transposes, two more passes over `S` that cost what the saved quarter
 * of the product does (1600 × 320: 41–50 ms against 41 ms for the whole
 * product).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import { installedGemm } from "./gemm.ts";
import { floatOffset, wasmBackendMemory } from "./backend_memory.ts";

/** The tfjs kernel name (registered for the wasm backend only). */
export const SYMMETRIC_GRAM_KERNEL = "SymmetricGram";

/** Side of the square tiles in which a block is copied to its transpose. */
const TILE = 32;

/** Copies the `rows × cols` block at `(r0, c0)` of the `[n, n]` matrix at `s` to `(c0, r0)`, transposed. */
function mirror(
  heap: Float32Array,
  s: number,
  n: number,
  r0: number,
  c0: number,
  rows: number,
  cols: number,
) {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const iEnd = Math.min(rows, i0 + TILE), jEnd = Math.min(cols, j0 + TILE);
      for (let i = i0; i < iEnd; i++) {
        const from = s + (r0 + i) * n + c0, to = s + c0 * n + r0 + i;
        for (let j = j0; j < jEnd; j++) heap[to + j * n] = heap[from + j];
      }
    }
  }
}

let registered = false;

function register(): boolean {
  if (registered) return true;
  const backend = wasmBackendMemory();
  if (!backend) return false;
  tf.registerKernel({
    kernelName: SYMMETRIC_GRAM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const gemm = installedGemm();
      if (!gemm) throw new Error("SymmetricGram: the wasm GEMM is not installed");
      const u = inputs.u as tf.TensorInfo, left = (inputs.left ?? inputs.u) as tf.TensorInfo;
      const [n, d] = u.shape;
      const blocks = (attrs as { blocks: number }).blocks;
      const out = backend.makeOutput([n, n], "float32");
      const [pu, pl, ps] = [u, left, out].map((t) => floatOffset(backend, t));
      const size = Math.ceil(n / blocks);
      const starts: number[] = [];
      for (let s = 0; s < n; s += size) starts.push(s);
      const run = (s: number) => Math.min(size, n - s);
      for (const [a, ra] of starts.entries()) {
        for (const rb of starts.slice(0, a + 1)) {
          gemm.run(
            pl + ra * d,
            pu + rb * d,
            ps + ra * n + rb,
            {
              m: run(ra),
              k: d,
              n: run(rb),
              transposeA: false,
              transposeB: true,
              ldc: n,
            },
            1,
            0,
            0,
          );
        }
      }
      const heap = backend.wasm.HEAPF32; // after the products' allocations
      for (const [a, ra] of starts.entries()) {
        for (const rb of starts.slice(0, a)) mirror(heap, ps, n, ra, rb, run(ra), run(rb));
      }
      return out;
    },
  });
  registered = true;
  return true;
}

/** Whether {@linkcode wasmSymmetricGram} runs here: the wasm backend with `gemm.ts` installed. */
export function wasmGramActive(): boolean {
  return tf.getBackend() === "wasm" && installedGemm() !== null && register();
}

/**
 * `S = U·Uᵀ` from `blocks` runs of rows (see the module documentation); call
 * where {@linkcode wasmGramActive}. With `left`, the blocks are
 * `S_ab = left_a·U_bᵀ` (for a `left` that makes the product symmetric, such
 * as `U/τ`; the blocks above the diagonal are still the transposes of those
 * below). Shapes: `u, left [N, D]` → `[N, N]`.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { wasmGramActive, wasmSymmetricGram } from "./gram.ts";
 * await tf.setBackend("wasm");
 * const u = tf.randomNormal([1600, 320]) as tf.Tensor2D;
 * const s = wasmGramActive() ? wasmSymmetricGram(u, 4) : tf.matMul(u, u, false, true);
 * ```
 */
export function wasmSymmetricGram(u: Tensor2D, blocks: number, left?: Tensor2D): Tensor2D {
  const inputs: tf.NamedTensorMap = left ? { u, left } : { u };
  return tf.engine().runKernel(SYMMETRIC_GRAM_KERNEL, inputs, { blocks }) as Tensor2D;
}
