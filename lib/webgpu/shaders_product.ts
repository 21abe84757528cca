/**
 * WGSL of the fused step's two large products, `S = U·Uᵀ` and `∂U = A·U`
 * (`2·N²·D` multiply-adds, nearly all of the step's arithmetic at the
 * study's sizes), as one register-blocked matrix product: each thread
 * computes a 4 × 4 block of the output, so every operand value it loads
 * serves four multiply-adds (one per output entry in the untiled loop).
 * No workgroup memory and no barriers: Mesa's llvmpipe, which runs a
 * workgroup's threads as a loop, measured a 16 × 16 shared-memory tiling 3×
 * slower than the untiled loop. Sums run over `k` in order, as the untiled
 * loops did.
 *
 * @module
 */

/** Output entries per thread along each axis. */
export const BLOCK = 4;

/** Threads per workgroup of the product (each computing a BLOCK × BLOCK block). */
export const PRODUCT_WG = 64;

/**
 * `C = A·op(B)`, `A [M, K]` (row stride `lda`), `op(B) [K, Ncols]`: `B [K, Ncols]`
 * (row stride `ldb`), or with `transB = 1` `Bᵀ` of `B [Ncols, K]`. Output
 * `C [M, Ncols]` row-major. Threads: one per 4 × 4 block, `⌈M/4⌉·⌈Ncols/4⌉`,
 * block index `gid.x + gid.y·(groups.x·64)`.
 */
export const BLOCKED_PRODUCT = `
struct U { m : u32, n : u32, k : u32, lda : u32, ldb : u32, transB : u32 };
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> A : array<f32>;
@group(0) @binding(2) var<storage, read> B : array<f32>;
@group(0) @binding(3) var<storage, read_write> C : array<f32>;
fn loadA(r : u32, k : u32) -> f32 {
  if (r >= u.m) { return 0.0; }
  return A[r * u.lda + k];
}
fn loadB(k : u32, c : u32) -> f32 {
  if (c >= u.n) { return 0.0; }
  if (u.transB == 1u) { return B[c * u.ldb + k]; }
  return B[k * u.ldb + c];
}
@compute @workgroup_size(${PRODUCT_WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>) {
  let block = gid.x + gid.y * nwg.x * ${PRODUCT_WG}u;
  let colBlocks = (u.n + 3u) / 4u;
  if (block >= colBlocks * ((u.m + 3u) / 4u)) { return; }
  let r0 = (block / colBlocks) * 4u;
  let c0 = (block % colBlocks) * 4u;
  var acc : array<vec4<f32>, 4>;
  for (var k = 0u; k < u.k; k = k + 1u) {
    let b = vec4<f32>(loadB(k, c0), loadB(k, c0 + 1u), loadB(k, c0 + 2u), loadB(k, c0 + 3u));
    acc[0] = acc[0] + loadA(r0, k) * b;
    acc[1] = acc[1] + loadA(r0 + 1u, k) * b;
    acc[2] = acc[2] + loadA(r0 + 2u, k) * b;
    acc[3] = acc[3] + loadA(r0 + 3u, k) * b;
  }
  for (var i = 0u; i < 4u; i = i + 1u) {
    let r = r0 + i;
    if (r < u.m) {
      for (var j = 0u; j < 4u; j = j + 1u) {
        if (c0 + j < u.n) { C[r * u.n + c0 + j] = acc[i][j]; }
      }
    }
  }
}`;
