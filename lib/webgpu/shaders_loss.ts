/**
 * WGSL of LS_MARGIN in the fused step: column sums and positives, the O(N)
 * tail (loss and its gradient to the column sums and positives), the
 * coefficient matrix of `∂L/∂U`, a plain product and the normalisation's
 * backward pass.
 *
 * @module
 */
import { NON_FINITE, STEP, WG } from "./shaders_common.ts";

/** LS_MARGIN's column function, its slope and the diagonal rule. */
const LS_MARGIN_TERMS = `
fn coefficients(v : f32) -> vec2<f32> {
  return vec2<f32>((1.0 - v) * 0.5 * -1.0 * u.scale, v * 0.5 * u.scale);
}
fn term(s : f32, c : vec2<f32>) -> f32 {
  let h = max(u.margin - s, 0.0);
  return exp(c.x * (s * s) + c.y * (h * h));
}
fn slope(s : f32, e : f32, c : vec2<f32>) -> f32 {
  let h = max(u.margin - s, 0.0);
  return e * (2.0 * c.x * s - 2.0 * c.y * h);
}`;

/**
 * Column sums (one workgroup per column `j`): `c_j = Σ_{i≠j} E_ij`,
 * `E_ij = exp(γ/τ·(−(1−v_j)·½S_ij² + v_j·½·max(0, m − S_ij)²))`, the diagonal
 * 0 (NaN where it overflowed, as the reference's `Inf·0`); and the positives
 * `ℓ_j = S_{j+1, j}`. Output `cs = [c (N); ℓ (N − 1)]`.
 * Column j is read as row j (`S` is exactly symmetric: the product sums
 * `u_i·u_j` and `u_j·u_i` in the same order), contiguous in memory.
 */
export const COLUMN_SUMS = `
struct U { rows : u32, margin : f32, scale : f32, invTemperature : f32 };
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> S : array<f32>;
@group(0) @binding(2) var<storage, read> V : array<f32>;
@group(0) @binding(3) var<storage, read_write> cs : array<f32>;
var<workgroup> part : array<f32, ${WG}>;
${NON_FINITE}
${LS_MARGIN_TERMS}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_id) lid : vec3<u32>) {
  let j = wid.x;
  let t = lid.x;
  let n = u.rows;
  let c = coefficients(V[j]);
  var acc = 0.0;
  for (var i = t; i < n; i = i + ${WG}u) {
    var e = term(S[j * n + i], c);
    if (i == j) { e = select(0.0, makeNan(), nonFinite(e)); }
    acc = acc + e;
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
 * LS_MARGIN's O(N) tail in one workgroup: with `eL_k = exp(ℓ_k/τ)`,
 * `eR_k = exp(ℓ_{k+1}/τ)`, `num_k = eR_k + eL_k`, `Q_k = (c_k − eL_k) +
 * (c_{k+1} − num_k) + num_k` (`k = 0..K−1`, `K = N − 2`):
 * `L = −(1/K)·Σ_k log(num_k/Q_k)`, written to `losses[slot]`;
 * `w_j = ∂L/∂c_j = (1/Q_j + 1/Q_{j−1})/K` (terms that exist) and
 * `g_k = ∂L/∂ℓ_k = −(1/K)·((1/num_k + 1/Q_k)·eL_k + eR_{k−1}/num_{k−1})/τ`.
 * Output `wg = [w (N); g (N − 1)]`.
 */
export const LOSS_TAIL = `
struct U { rows : u32, margin : f32, scale : f32, invTemperature : f32 };
${STEP}
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<uniform> step : Step;
@group(0) @binding(2) var<storage, read> cs : array<f32>;
@group(0) @binding(3) var<storage, read_write> wg : array<f32>;
@group(0) @binding(4) var<storage, read_write> losses : array<f32>;
var<workgroup> part : array<f32, 256>;
fn eL(k : u32) -> f32 { return exp(cs[u.rows + k] * u.invTemperature); }
fn eR(k : u32) -> f32 { return exp(cs[u.rows + k + 1u] * u.invTemperature); }
fn q(k : u32) -> f32 {
  let l = eL(k);
  let num = eR(k) + l;
  return ((cs[k] - l) + (cs[k + 1u] - num)) + num;
}
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  let n = u.rows;
  let count = n - 2u;
  let inv = 1.0 / f32(count);
  var acc = 0.0;
  for (var k = t; k < count; k = k + 256u) {
    let l = eL(k);
    let num = eR(k) + l;
    acc = acc + log(num / q(k));
  }
  for (var j = t; j < n; j = j + 256u) {
    var w = 0.0;
    if (j < count) { w = w + 1.0 / q(j); }
    if (j >= 1u && j - 1u < count) { w = w + 1.0 / q(j - 1u); }
    wg[j] = w * inv;
    if (j + 1u < n) {
      var g = 0.0;
      if (j < count) { g = g + (1.0 / (eR(j) + eL(j)) + 1.0 / q(j)) * eL(j); }
      if (j >= 1u && j - 1u < count) { g = g + eR(j - 1u) / (eR(j - 1u) + eL(j - 1u)); }
      wg[n + j] = -inv * g * u.invTemperature;
    }
  }
  part[t] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s / 2u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }
  if (t == 0u) { losses[step.slot] = -(part[0] * inv); }
}`;

/**
 * The coefficients of `∂L/∂U = A·U`: `A_rj = w_j·f'_j(S_rj) + w_r·f'_r(S_rj)`
 * (r ≠ j), plus `g_k` at `(k+1, k)` and `(k, k+1)` (the positives); the
 * diagonal 0, NaN where its slope term is non-finite. One thread per entry.
 */
export const COEFFICIENTS = `
struct U { rows : u32, margin : f32, scale : f32, invTemperature : f32 };
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> S : array<f32>;
@group(0) @binding(2) var<storage, read> V : array<f32>;
@group(0) @binding(3) var<storage, read> wg : array<f32>;
@group(0) @binding(4) var<storage, read_write> A : array<f32>;
${NON_FINITE}
${LS_MARGIN_TERMS}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>) {
  let index = gid.x + gid.y * nwg.x * ${WG}u;
  let n = u.rows;
  if (index >= n * n) { return; }
  let r = index / n;
  let j = index - r * n;
  let s = S[index];
  let cj = coefficients(V[j]);
  let a = wg[j] * slope(s, term(s, cj), cj);
  if (r == j) {
    A[index] = select(0.0, makeNan(), nonFinite(a));
    return;
  }
  let cr = coefficients(V[r]);
  var total = a + wg[r] * slope(s, term(s, cr), cr);
  if (r == j + 1u) { total = total + wg[n + j]; }
  if (j == r + 1u) { total = total + wg[n + r]; }
  A[index] = total;
}`;

/**
 * torch `F.normalize`'s backward: `∂Z_n = (∂U_n − U_n·(U_n·∂U_n)·1[‖Z_n‖ > ε]) / max(‖Z_n‖, ε)`;
 * one thread per row.
 */
export const NORMALIZE_BACK = `
struct U { rows : u32, cols : u32 };
@group(0) @binding(0) var<uniform> u : U;
@group(0) @binding(1) var<storage, read> Un : array<f32>;
@group(0) @binding(2) var<storage, read> norms : array<f32>;
@group(0) @binding(3) var<storage, read> dU : array<f32>;
@group(0) @binding(4) var<storage, read_write> dZ : array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let n = gid.x;
  if (n >= u.rows) { return; }
  var dot = 0.0;
  for (var c = 0u; c < u.cols; c = c + 1u) { dot = dot + Un[n * u.cols + c] * dU[n * u.cols + c]; }
  let inside = select(0.0, 1.0, norms[n] > 1e-12);
  let denom = max(norms[n], 1e-12);
  for (var c = 0u; c < u.cols; c = c + 1u) {
    let i = n * u.cols + c;
    dZ[i] = (dU[i] - Un[i] * dot * inside) / denom;
  }
}`;
