/**
 * The wasm backend's `Identity` as a shared reference instead of a copy, as
 * tfjs' `Reshape` on wasm and `Identity` on WebGL already are: the output
 * takes the input's buffer and raises its reference count.
 *
 * tfjs clones every tensor that a `tf.customGrad` op saves for its backward
 * pass (`Engine.saveTensorsForBackwardMode` → `Identity`), and the wasm
 * kernel copies the data: on a TS2Vec step that is 132 copies of the
 * activations (≈ 40 MB), on a fused loss the kept `N × N` blocks. Tensors
 * are immutable (every kernel here, `lib/wasm/gemm.ts` and the other
 * kernels of this folder included, writes only its own outputs; a
 * variable's `assign` swaps buffers), so a shared buffer cannot be told
 * from a copy.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { WasmBackendMemory } from "./backend_memory.ts";

type KernelConfig = ReturnType<typeof tf.getKernel>;

let original: KernelConfig | null = null;

/**
 * Replaces the wasm backend's `Identity` by the shared reference (strings,
 * and data the backend does not hold, keep tfjs' kernel). Call after the backend has started; idempotent.
 * Returns whether it is in place.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
import type { WasmBackendMemory } from "./backend_memory.ts";
 * import { installSharedIdentity } from "./identity.ts";
 * await tf.setBackend("wasm");
 * installSharedIdentity(); // tf.clone(x) now shares x's buffer
 * ```
 */
export function installSharedIdentity(): boolean {
  if (original) return true;
  const kernel = tf.getKernel("Identity", "wasm") as KernelConfig | undefined;
  if (!kernel) return false;
  const copy = kernel.kernelFunc;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const backend = args.backend as WasmBackendMemory;
      // strings, data held by another backend (moved by the copy) and freed data (its error) copy
      if (x.dtype === "string" || !backend.dataIdMap.has(x.dataId)) return copy(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  } as KernelConfig);
  original = kernel;
  return true;
}

/** Puts tfjs' copying `Identity` back (for A/B timings and tests); idempotent. */
export function uninstallSharedIdentity(): void {
  if (!original) return;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel(original);
  original = null;
}
