/**
 * The TS2Vec baseline (spec §3 variant 5): the original dilated-CNN encoder,
 * overlap cropping and the hierarchical contrastive loss.
 *
 * @module
 */
export * from "./encoder.ts";
export * from "./crop.ts";
export * from "./loss.ts";
export * from "./objective.ts";
export { tapKernelsActive } from "./taps_wasm.ts";
