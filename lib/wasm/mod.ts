/**
 * WebAssembly kernels assembled at load time: the binary emitter
 * (`emit.ts`) and the f32x4 GEMM that replaces the wasm backend's
 * `BatchMatMul` (`gemm.ts`, its kernels in `gemm_kernels.ts`), `U·Uᵀ` from
 * its lower block triangle in place (`gram.ts`), GELU with its
 * slope in one pass (`gelu.ts`), strided row passes and column sums
 * (`rows.ts`), `M + Mᵀ` and the mirrored lower triangle in 4 × 4 tiles
 * (`tiles.ts`), cosines of adjacent rows (`adjacent.ts`), BatchNorm + ReLU
 * (`batch_norm.ts`), a NaN scan in place (`nan_scan.ts`), windows of
 * sequences (`windows.ts`); and `Identity` as a shared buffer (`identity.ts`), all on
 * the backend's memory as `backend_memory.ts` describes it.
 *
 * @module
 */
export * from "./emit.ts";
export * from "./backend_memory.ts";
export * from "./gemm.ts";
export * from "./gemm_kernels.ts";
export * from "./gram.ts";
export * from "./gelu.ts";
export * from "./simd_exp.ts";
export * from "./rows.ts";
export * from "./identity.ts";
export * from "./tiles.ts";
export * from "./adjacent.ts";
export * from "./batch_norm.ts";
export * from "./nan_scan.ts";
export * from "./windows.ts";
