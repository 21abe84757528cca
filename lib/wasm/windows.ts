/**
 * Windows of sequences copied inside the wasm backend's memory:
 *
 * ```
 * out[b, i, :] = x[b, starts[b] + i, :]     x [B, T, F] → out [B, length, F]
 * ```
 *
 * (TS2Vec's `take_per_row`.) Each sequence's window is one contiguous run
 * of `length·F` floats, moved by one `copyWithin`.
 *
 * Why by hand: tfjs' `gather` of frames copies element by element and a
 * slice copies its whole input; reading `x` back to cut it on the host and
 * uploading the windows copies everything twice more (ECG's two views of
 * 8 × 200 × 1502 frames: 9.6 MB out and about 14 MB back a step).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor3D } from "../tf.ts";
import { floatOffset, onWasmBackend } from "./backend_memory.ts";

/** The tfjs kernel name (registered for the wasm backend only). */
export const TAKE_WINDOWS_KERNEL = "TakeWindows";

const register = onWasmBackend((backend) => {
  tf.registerKernel({
    kernelName: TAKE_WINDOWS_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { starts, length } = attrs as unknown as { starts: number[]; length: number };
      const [b, t, f] = x.shape;
      const out = backend.makeOutput([b, length, f], "float32");
      const px = floatOffset(backend, x), po = floatOffset(backend, out);
      const heap = backend.wasm.HEAPF32;
      for (let row = 0; row < b; row++) {
        const from = px + (row * t + starts[row]) * f;
        heap.copyWithin(po + row * length * f, from, from + length * f);
      }
      return out;
    },
  });
  return true;
});

/** Whether {@linkcode wasmTakeWindows} runs here: on the wasm backend, for float32 `x`. */
export function wasmTakeWindowsActive(x: Tensor3D): boolean {
  return tf.getBackend() === "wasm" && x.dtype === "float32" && register() !== null;
}

/**
 * `out[b] = x[b, starts[b] : starts[b] + length]` (see the module
 * documentation); the caller checks that every window lies inside `0..T`.
 * No gradient. Shapes: `x [B, T, F]` → `[B, length, F]`.
 *
 * @example
 * ```ts
 * const view = wasmTakeWindowsActive(x) ? wasmTakeWindows(x, starts, 150) : takeOnHost(x, starts, 150);
 * ```
 */
export function wasmTakeWindows(x: Tensor3D, starts: Int32Array, length: number): Tensor3D {
  const attrs = { starts: Array.from(starts), length } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(TAKE_WINDOWS_KERNEL, { x }, attrs) as Tensor3D;
}
