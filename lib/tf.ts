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
