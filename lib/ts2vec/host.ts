/**
 * Whether a TS2Vec op may read its tensors back to cut them on the host.
 *
 * On wasm (and cpu) reading a tensor is one copy, while every `tf.slice`,
 * `tf.split` and `tf.gather` copies its whole input or goes element by
 * element; on WebGPU a synchronous read stalls the queue (and needs a canvas
 * Deno lacks), so there the device ops stay.
 *
 * @module
 */
import { tf } from "../tf.ts";

/** True off the GPU: the current backend is not WebGPU. */
export function hostReadable(): boolean {
  return tf.getBackend() !== "webgpu";
}
