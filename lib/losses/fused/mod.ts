/**
 * Fused and tiled forms of the reference contrastive losses: the same values
 * and gradients as lib/losses, with the N×N work done in one element-wise
 * pass per row block and an analytic backward pass.
 *
 * @module
 */
export * from "./losses.ts";
export { columnSums, DEFAULT_TILE_ROWS, resolveTileRows, UNTILED_MAX_ROWS } from "./column_sums.ts";
export type { ColumnTermKind, ColumnTermOptions } from "./column_terms.ts";
export {
  COLUMN_GRADIENTS_KERNEL,
  COLUMN_SUMS_KERNEL,
  registerColumnKernels,
  usesColumnKernels,
} from "./webgpu_kernels.ts";
export * from "./stable.ts";
