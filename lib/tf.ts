/**
 * The one TensorFlow.js instance of the project, with every backend registered.
 *
 * Import `tf` from here (never from `@tensorflow/tfjs` directly) so that every
 * module shares one engine and one kernel registry.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import "@tensorflow/tfjs-backend-wasm";

// tfjs believes it runs in Node under Deno and prints a banner advising
// tfjs-node when the cpu backend starts; the flag only gates that banner and
// the Node platform was already chosen at import time.
tf.env().set("IS_NODE", false);
// The threaded wasm build spawns Node workers from a relative path, which
// Deno's worker_threads rejects; the SIMD single-threaded build works.
tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);

/**
 * On wasm, `Identity` (through which a gradient tape keeps every tensor a
 * backward pass needs) and a cast to the same dtype copy their input. They
 * share its buffer instead, as the cpu backend's `Identity` and every
 * backend's `Reshape` do: no kernel writes into an input, and a buffer is
 * freed with its last reference. Values are unchanged; a training step copies
 * a few hundred kilobytes to tens of megabytes less.
 */
function shareOnWasm(kernelName: "Identity" | "Cast"): void {
  const copying = tf.getKernel(kernelName, "wasm");
  if (!copying) return;
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({
    ...copying,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      const dtype = (args.attrs as { dtype?: tf.DataType } | undefined)?.dtype ?? x.dtype;
      if (x.dtype === "string" || dtype !== x.dtype) return copying.kernelFunc(args);
      (args.backend as tf.KernelBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
shareOnWasm("Identity");
shareOnWasm("Cast");

export { tf };
export type {
  Rank,
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor3D,
  Variable,
} from "@tensorflow/tfjs";
