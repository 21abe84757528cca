/**
 * WebGPU-specific training: counters of what a step asks of the GPU device
 * (dispatches, allocations, submissions, read-backs), and the fused
 * FeatureProjector + loss (LS_MARGIN, emargin-stable, InfoNCE) + AdamW step
 * with its loop (≤ 30 dispatches a step on preallocated buffers, losses read
 * every 50 steps), and the fused TS2Vec step (dilated-CNN encoder on both
 * crops, hierarchical contrastive loss, AdamW: 104 dispatches a SleepEEG-shaped
 * step) with the same loop (`trainFusedTs2vec`).
 *
 * @module
 */
export * from "./counters.ts";
export * from "./projector_step.ts";
export * from "./train_fused.ts";
export * from "./loss_program.ts";
export * from "./ts2vec_step.ts";
