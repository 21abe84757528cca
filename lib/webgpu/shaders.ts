/**
 * WGSL of the fused FeatureProjector + LS_MARGIN + AdamW training step (see
 * projector_step.ts for the sequence and the buffers). Each program is a
 * plain compute shader over storage buffers with one uniform block of
 * constants; every constant that is fixed for a training run (sizes, offsets,
 * τ, m, γ) is a uniform written once, and the per-step values (the loss
 * slot, AdamW's bias corrections) live in one small `step` uniform.
 *
 * Shapes: `N` frames (rows), layer widths `F → 128 → 64 → D`, row-major.
 *
 * @module
 */
export { WG } from "./shaders_common.ts";
export * from "./shaders_forward.ts";
export * from "./shaders_loss.ts";
export * from "./shaders_backward.ts";
export * from "./shaders_product.ts";
export * from "./shaders_infonce.ts";
export * from "./shaders_stable.ts";
