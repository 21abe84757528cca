/**
 * emargin-deno: margin-based contrastive learning for time series on TensorFlow.js.
 *
 * @module
 */
export * from "./backend.ts";
export { tf } from "./tf.ts";
