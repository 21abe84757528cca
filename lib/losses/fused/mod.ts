/**
 * Fused and tiled forms of the contrastive losses: the same values and
 * gradients as lib/losses (the four reference losses bug-for-bug, and
 * emargin-stable), with the N×N work done in one element-wise pass per row
 * block, an analytic backward pass, and WGSL kernels on WebGPU.
 *
 * @module
 */
export * from "./losses.ts";
export * from "./stable.ts";
export { columnSums, DEFAULT_TILE_ROWS, resolveTileRows, UNTILED_MAX_ROWS } from "./column_sums.ts";
export type { ColumnTermKind, ColumnTermOptions } from "./column_terms.ts";
export {
  COLUMN_GRADIENTS_KERNEL,
  COLUMN_SUMS_KERNEL,
  hingeTermSource,
  registerColumnKernels,
  usesColumnKernels,
} from "./webgpu_kernels.ts";
export * from "./infonce.ts";
export { vrnsClosedForm } from "./vrns_closed_form.ts";
export { BLOCKED_MIN_ROWS, SYMMETRIC_BLOCKS, symmetricGram } from "./symmetric_blocks.ts";
