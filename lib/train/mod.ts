/**
 * Pretraining: sequence batches, the training loop and batched encoding.
 *
 * @module
 */
export * from "./batches.ts";
export * from "./pretrain.ts";
export * from "./encode.ts";
