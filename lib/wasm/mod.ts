/**
 * WebAssembly kernels assembled at load time: the binary emitter
 * (`emit.ts`) and the f32x4 GEMM that replaces the wasm backend's
 * `BatchMatMul` (`gemm.ts`, its kernels in `gemm_kernels.ts`).
 *
 * @module
 */
export * from "./emit.ts";
export * from "./gemm.ts";
export * from "./gemm_kernels.ts";
export * from "./gelu.ts";
export * from "./rows.ts";
