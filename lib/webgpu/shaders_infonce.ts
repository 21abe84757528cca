/**
 * WGSL of decoupled log-space InfoNCE, "ls" form (lib/losses `infoNceLoss`
 * without the §6 options), in the fused step. With `T_ij = exp(S_ij/τ)` off
 * the band `|i − j| ≤ 1` (0 on it), `R_j = Σ_i T_ij`, `b_k = ℓ_k/τ`
 * (`ℓ_k = S_{k+1,k}`) and `X_k = exp(b_{k−1})` (`X_0 = 0`), anchor
 * `k = 0..K−1` (`K = N − 2`, centre `c = k + 1`) has
 * `ℓ_k = log(R_k + X_k + R_{k+1}) − log(e^{b_k} + e^{b_{k+1}})` and
 * `L = mean_k ℓ_k`: column `c − 1` without `{c − 1, c}` and column `c`
 * without its band are the two negative sets. No shift is needed for
 * `1/τ ≤ 40` (the fused tfjs loss's own limit; see lib/losses/fused/infonce.ts).
 * The uniform block is LS_MARGIN's (`margin`, `scale` unused).
 *
 * @module
 */
import { STEP, WG } from "./shaders_common.ts";

const UNIFORM = `struct U { rows : u32, margin : f32, scale : f32, invTemperature : f32 };`;

/** Column sums `R_j` (one workgroup per column) and positives `ℓ_j`: `cs = [R (N); ℓ (N − 1)]`. * Column j is read as row j (`S` is exactly symmetric: the product sums
 * `u_i·u_j` and `u_j·u_i` in the same order), contiguous in memory.
 */
export const INFONCE_COLUMN_SUMS = `
${UNIFORM}
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> S : array<f32>;
@group(0) @binding(2) var<storage, read_write> cs : array<f32>;
var<workgroup> part : array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_id) lid : vec3<u32>) {
  let j = wid.x;
  let t = lid.x;
  let n = u.rows;
  var acc = 0.0;
  for (var i = t; i < n; i = i + ${WG}u) {
    if (i + 1u < j || i > j + 1u) { acc = acc + exp(S[j * n + i] * u.invTemperature); }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = ${WG / 2}u; s > 0u; s = s / 2u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    cs[j] = part[0];
    if (j + 1u < n) { cs[n + j] = S[(j + 1u) * n + j]; }
  }
}`;

/**
 * The O(N) tail in one workgroup: `L` to `losses[slot]`, and `wg = [w; g]`
 * with `w_j = ∂L/∂R_j = (1/Q_j + 1/Q_{j−1})/K` (terms that exist,
 * `Q_k = R_k + X_k + R_{k+1}`) and `g_m = ∂L/∂ℓ_m = (1/(Kτ))·(X_{m+1}/Q_{m+1}
 * − e^{b_m}/(e^{b_m} + e^{b_{m+1}}) − e^{b_m}/(e^{b_{m−1}} + e^{b_m}))`.
 */
export const INFONCE_TAIL = `
${UNIFORM}
${STEP}
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<uniform> step : Step;
@group(0) @binding(2) var<storage, read> cs : array<f32>;
@group(0) @binding(3) var<storage, read_write> wg : array<f32>;
@group(0) @binding(4) var<storage, read_write> losses : array<f32>;
var<workgroup> part : array<f32, 256>;
fn e(m : u32) -> f32 { return exp(cs[u.rows + m] * u.invTemperature); }
fn x(k : u32) -> f32 {
  if (k == 0u) { return 0.0; }
  return e(k - 1u);
}
fn q(k : u32) -> f32 { return cs[k] + x(k) + cs[k + 1u]; }
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  let n = u.rows;
  let count = n - 2u;
  let inv = 1.0 / f32(count);
  var acc = 0.0;
  for (var k = t; k < count; k = k + 256u) {
    acc = acc + (log(q(k)) - log(e(k) + e(k + 1u)));
  }
  for (var j = t; j < n; j = j + 256u) {
    var w = 0.0;
    if (j < count) { w = w + 1.0 / q(j); }
    if (j >= 1u && j - 1u < count) { w = w + 1.0 / q(j - 1u); }
    wg[j] = w * inv;
    if (j + 1u < n) {
      var g = 0.0;
      if (j + 1u < count) { g = g + x(j + 1u) / q(j + 1u); }
      if (j < count) { g = g - e(j) / (e(j) + e(j + 1u)); }
      if (j >= 1u && j - 1u < count) { g = g - e(j) / (e(j - 1u) + e(j)); }
      wg[n + j] = g * inv * u.invTemperature;
    }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s / 2u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[step.slot] = part[0] * inv; }
}`;

/**
 * The coefficients of `∂L/∂U = A·U`: `A_rj = (w_j + w_r)·T_rj/τ` off the band,
 * 0 on it, plus `g_k` at `(k+1, k)` and `(k, k+1)`. One thread per entry.
 */
export const INFONCE_COEFFICIENTS = `
${UNIFORM}
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> S : array<f32>;
@group(0) @binding(2) var<storage, read> wg : array<f32>;
@group(0) @binding(3) var<storage, read_write> A : array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>) {
  let index = gid.x + gid.y * nwg.x * ${WG}u;
  let n = u.rows;
  if (index >= n * n) { return; }
  let r = index / n;
  let j = index - r * n;
  var total = 0.0;
  if (r + 1u < j || r > j + 1u) {
    total = (wg[j] + wg[r]) * (exp(S[index] * u.invTemperature) * u.invTemperature);
  }
  if (r == j + 1u) { total = total + wg[n + j]; }
  if (j == r + 1u) { total = total + wg[n + r]; }
  A[index] = total;
}`;

/**
 * The "single" form's tail (anchor `k = 0..K−1`, `K = N − 1`):
 * `ℓ_k = −b_k + log(R_k + X_k)`; `w_k = 1/(K·(R_k + X_k))`,
 * `g_m = (1/(Kτ))·(X_{m+1}/(R_{m+1} + X_{m+1}) − 1)` (the first term where `m + 1 < K`).
 */
export const INFONCE_SINGLE_TAIL = `
${UNIFORM}
${STEP}
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<uniform> step : Step;
@group(0) @binding(2) var<storage, read> cs : array<f32>;
@group(0) @binding(3) var<storage, read_write> wg : array<f32>;
@group(0) @binding(4) var<storage, read_write> losses : array<f32>;
var<workgroup> part : array<f32, 256>;
fn e(m : u32) -> f32 { return exp(cs[u.rows + m] * u.invTemperature); }
fn x(k : u32) -> f32 {
  if (k == 0u) { return 0.0; }
  return e(k - 1u);
}
fn q(k : u32) -> f32 { return cs[k] + x(k); }
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  let n = u.rows;
  let count = n - 1u;
  let inv = 1.0 / f32(count);
  var acc = 0.0;
  for (var k = t; k < count; k = k + 256u) {
    acc = acc + (log(q(k)) - cs[n + k] * u.invTemperature);
  }
  for (var j = t; j < n; j = j + 256u) {
    var w = 0.0;
    if (j < count) { w = 1.0 / q(j); }
    wg[j] = w * inv;
    if (j + 1u < n) {
      var g = -1.0;
      if (j + 1u < count) { g = g + x(j + 1u) / q(j + 1u); }
      wg[n + j] = g * inv * u.invTemperature;
    }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s / 2u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[step.slot] = part[0] * inv; }
}`;
