/**
 * WebGPU-specific training: counters of what a step asks of the GPU device
 * (dispatches, allocations, submissions, read-backs), and the fused
 * FeatureProjector + loss (LS_MARGIN, emargin-stable, InfoNCE) + AdamW step
 * with its loop (≤ 30 dispatches a step on preallocated buffers, losses read
 * every 50 steps).
 *
 * @module
 */
export * from "./counters.ts";
export * from "./projector_step.ts";
export * from "./train_fused.ts";
export * from "./loss_program.ts";
export * from "./ts2vec_step.ts";
