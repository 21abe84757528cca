/**
 * Cosines of adjacent rows on the wasm backend, in one f32x4 pass over the
 * rows (the eMargin sim vector's `r_n`, spec §2):
 *
 * ```
 * r_n = (x_n · x_{n+1}) / (max(‖x_n‖, 1e−12) · max(‖x_{n+1}‖, 1e−12)),  x_N ≡ x_0
 * x [N, F] → r [N]
 * ```
 *
 * The same cosine as normalising the rows first (`F.normalize`) and taking
 * the dot product, up to float32 rounding.
 *
 * Why by hand: as tfjs ops it is a normalisation (four passes), a rolled
 * copy of the rows and a product and a sum, each a pass over `[N, F]`: on
 * ECG's 1600 × 1502 frames about 20 ms a step, against about 1 ms here.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor1D, Tensor2D } from "../tf.ts";
import { assemble, assembleModule, I32, V128 } from "./emit.ts";
import { floatOffset, onWasmModule, scratchSpace } from "./backend_memory.ts";

/** The tfjs kernel name (registered for the wasm backend only). */
export const ADJACENT_COSINE_KERNEL = "AdjacentCosine";

/**
 * `dots(x, out, rows, groups, rowBytes)`: for each row `r` (rows `rowBytes`
 * apart) and its first `4·groups` columns, `out[2r] = Σ x_r²` and
 * `out[2r + 1] = Σ x_r·x_{r+1}` (byte offsets).
 */
function dotsText(): { text: string; locals: string[]; v128: string[] } {
  const params = ["x", "out", "rows", "groups", "rowBytes"];
  const i32 = ["p", "q", "g"];
  const v128 = ["a", "squares", "dots"];
  const sum = (v: string) =>
    `local.get ${v} f32x4.extract_lane 0 local.get ${v} f32x4.extract_lane 1 f32.add
     local.get ${v} f32x4.extract_lane 2 local.get ${v} f32x4.extract_lane 3 f32.add f32.add`;
  const text = `
  loop
    v128.zero local.set squares
    v128.zero local.set dots
    local.get x local.set p
    local.get x local.get rowBytes i32.add local.set q
    local.get groups local.set g
    local.get g
    if
      loop
        local.get p v128.load 0 local.set a
        local.get squares local.get a local.get a f32x4.mul f32x4.add local.set squares
        local.get dots local.get a local.get q v128.load 0 f32x4.mul f32x4.add local.set dots
        local.get p i32.const 16 i32.add local.set p
        local.get q i32.const 16 i32.add local.set q
        local.get g i32.const 1 i32.sub local.tee g br_if 0
      end
    end
    local.get out ${sum("squares")} f32.store 0
    local.get out ${sum("dots")} f32.store 4
    local.get out i32.const 8 i32.add local.set out
    local.get x local.get rowBytes i32.add local.set x
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/** The module exporting `dots`. */
export function adjacentModuleBytes(): Uint8Array {
  const { text, locals, v128 } = dotsText();
  return assembleModule([{
    name: "dots",
    params: 5,
    locals: locals.slice(5).map((l) => (v128.includes(l) ? V128 : I32)),
    body: assemble(text, locals),
  }]);
}

const register = onWasmModule(adjacentModuleBytes, (backend, exports) => {
  const dots = exports.dots as (...args: number[]) => void;
  const reserve = scratchSpace(backend);
  const f32 = Math.fround;
  tf.registerKernel({
    kernelName: ADJACENT_COSINE_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => {
      const x = inputs.x as tf.TensorInfo;
      const [n, f] = x.shape;
      const out = backend.makeOutput([n], "float32");
      const ps = reserve(2 * n);
      const [px, po] = [x, out].map((t) => floatOffset(backend, t));
      const groups = Math.floor(f / 4);
      if (n > 1) dots(4 * px, 4 * ps, n - 1, groups, 4 * f);
      const heap = backend.wasm.HEAPF32;
      // the last row against the first, and the columns past the groups
      heap[ps + 2 * (n - 1)] = 0;
      heap[ps + 2 * (n - 1) + 1] = 0;
      for (let r = 0; r < n; r++) {
        const next = (r + 1) % n;
        const from = r === n - 1 ? 0 : 4 * groups;
        let squares = heap[ps + 2 * r], product = heap[ps + 2 * r + 1];
        for (let j = from; j < f; j++) {
          const a = heap[px + r * f + j];
          squares = f32(squares + f32(a * a));
          product = f32(product + f32(a * heap[px + next * f + j]));
        }
        heap[ps + 2 * r] = squares;
        heap[ps + 2 * r + 1] = product;
      }
      const norm = (r: number) => Math.max(f32(Math.sqrt(heap[ps + 2 * r])), 1e-12);
      for (let r = 0; r < n; r++) {
        heap[po + r] = f32(heap[ps + 2 * r + 1] / f32(norm(r) * norm((r + 1) % n)));
      }
      return out;
    },
  });
  return true;
});

/** Whether {@linkcode wasmAdjacentCosine} runs here: on the wasm backend. */
export function wasmAdjacentCosineActive(): boolean {
  return tf.getBackend() === "wasm" && register() !== null;
}

/**
 * `r_n = cos(x_n, x_{n+1})` with `x_N ≡ x_0` (see the module documentation);
 * call where {@linkcode wasmAdjacentCosineActive}. No gradient.
 * Shapes: `x [N, F]` (N ≥ 2) → `[N]`.
 *
 * @example
 * ```ts
 * const r = wasmAdjacentCosineActive() ? wasmAdjacentCosine(frames) : adjacentCosine(frames);
 * ```
 */
export function wasmAdjacentCosine(x: Tensor2D): Tensor1D {
  return tf.engine().runKernel(ADJACENT_COSINE_KERNEL, { x }) as Tensor1D;
}
