/**
 * emargin-deno: margin-based contrastive learning for time series on
 * TensorFlow.js. Each area is a namespace; import a folder's `mod.ts`
 * directly for unqualified names.
 *
 * ```ts
 * import { initBackend, losses, tf } from "./lib/mod.ts";
 * await initBackend();
 * const z = tf.randomNormal([16, 8]) as tf.Tensor2D;
 * losses.lsHatclLoss(z, { temperature: 0.1 }).print();
 * ```
 *
 * @module
 */
export * from "./backend.ts";
export { tf } from "./tf.ts";
export * from "./errors.ts";
export * as data from "./data/mod.ts";
export * as encoders from "./encoders/mod.ts";
export * as experiments from "./experiments/mod.ts";
export * as features from "./features/mod.ts";
export * as losses from "./losses/mod.ts";
export * as metrics from "./metrics/mod.ts";
export * as notebook from "./notebook/mod.ts";
export * as ops from "./ops/mod.ts";
export * as optim from "./optim/mod.ts";
export * as random from "./random.ts";
export * as report from "./report/mod.ts";
export * as train from "./train/mod.ts";
export * as ts2vec from "./ts2vec/mod.ts";
