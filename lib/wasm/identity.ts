/**
 * The wasm backend's `Identity`, and its `Cast` of a tensor to its own
 * dtype, as a shared reference instead of a copy, as tfjs' `Reshape` on wasm
 * and `Identity` on WebGL already are: the output takes the input's buffer
 * and raises its reference count.
 *
 * tfjs clones every tensor that a `tf.customGrad` op saves for its backward
 * pass (`Engine.saveTensorsForBackwardMode` → `Identity`), and the wasm
 * kernel copies the data: on a TS2Vec step that is 132 copies of the
 * activations (≈ 40 MB), on a fused loss the kept `N × N` blocks; and
 * `tf.cast(x, "float32")` of float32 data copied it too (a 9.6 MB ECG batch
 * a step in the FeatureProjector, twice more in TS2Vec's views). Tensors
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

/** The kernels replaced: `Identity`, and `Cast` (to the input's own dtype). */
const SHARED = ["Identity", "Cast"] as const;

let originals: KernelConfig[] | null = null;

/**
 * Replaces the wasm backend's `Identity`, and its `Cast` to the input's own
 * dtype, by the shared reference (strings, other casts, and data the backend
 * does not hold keep tfjs' kernels; the cpu backend's `Cast` shares likewise).
 * Call after the backend has started; idempotent. Returns whether they are
 * in place.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { installSharedIdentity } from "./identity.ts";
 * await tf.setBackend("wasm");
 * installSharedIdentity(); // tf.clone(x) and tf.cast(x, x.dtype) now share x's buffer
 * ```
 */
export function installSharedIdentity(): boolean {
  if (originals) return true;
  const kernels = SHARED.map((name) => tf.getKernel(name, "wasm") as KernelConfig | undefined);
  if (kernels.some((k) => !k)) return false;
  for (const kernel of kernels as KernelConfig[]) {
    const copy = kernel.kernelFunc;
    tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const x = args.inputs.x as tf.TensorInfo;
        const backend = args.backend as WasmBackendMemory;
        const dtype = (args.attrs as { dtype?: string } | undefined)?.dtype ?? x.dtype;
        // strings, real casts, data held by another backend (moved by the copy) and freed data (its error) copy
        if (x.dtype === "string" || dtype !== x.dtype || !backend.dataIdMap.has(x.dataId)) {
          return copy(args);
        }
        backend.incRef(x.dataId);
        return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
      },
    } as KernelConfig);
  }
  originals = kernels as KernelConfig[];
  return true;
}

/** Puts tfjs' copying kernels back (for A/B timings and tests); idempotent. */
export function uninstallSharedIdentity(): void {
  if (!originals) return;
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, "wasm");
    tf.registerKernel(kernel);
  }
  originals = null;
}
