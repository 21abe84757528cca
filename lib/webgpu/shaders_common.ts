/**
 * Pieces shared by the WGSL programs of the fused step: the workgroup size,
 * a finiteness test and the per-step uniform block.
 *
 * @module
 */
/** Threads per workgroup of the element-wise and reduction programs. */
export const WG = 64;

/** `true` when `x` is NaN or ±Inf (WGSL has no isnan/isinf builtins). */
export const NON_FINITE = `
fn nonFinite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}
fn makeNan() -> f32 { return bitcast<f32>(0x7fc00000u); }`;

/** The per-step uniform shared by the programs that need it. */
export const STEP = `
struct Step { slot : u32, lrOverBc1 : f32, sqrtBc2 : f32, pad : u32 };`;
