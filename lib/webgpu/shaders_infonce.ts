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
import {
  coefficientsProgram,
  columnSumsProgram,
  PAIR_WEIGHTS,
  tailProgram,
} from "./shaders_common.ts";

/** Column sums `R_j` (one workgroup per column) and positives `ℓ_j`: `cs = [R (N); ℓ (N − 1)]`. */
export const INFONCE_COLUMN_SUMS: string = columnSumsProgram({
  inputs: "read_write cs",
  functions: "",
  prelude: "",
  body: `if (i + 1u < j || i > j + 1u) { acc = acc + exp(S[j * n + i] * u.invTemperature); }`,
  extra: "",
});

/** `e(m) = exp(ℓ_m/τ)` and `X_k = e(k − 1)` (`X_0 = 0`), then the tail's `q`. */
function positives(q: string): string {
  return `
fn e(m : u32) -> f32 { return exp(cs[u.rows + m] * u.invTemperature); }
fn x(k : u32) -> f32 {
  if (k == 0u) { return 0.0; }
  return e(k - 1u);
}
fn q(k : u32) -> f32 { return ${q}; }`;
}

/**
 * The O(N) tail in one workgroup: `L` to `losses[slot]`, and `wg = [w; g]`
 * with `w_j = ∂L/∂R_j = (1/Q_j + 1/Q_{j−1})/K` (terms that exist,
 * `Q_k = R_k + X_k + R_{k+1}`) and `g_m = ∂L/∂ℓ_m = (1/(Kτ))·(X_{m+1}/Q_{m+1}
 * − e^{b_m}/(e^{b_m} + e^{b_{m+1}}) − e^{b_m}/(e^{b_{m−1}} + e^{b_m}))`.
 */
export const INFONCE_TAIL: string = tailProgram({
  sim: false,
  functions: positives("cs[k] + x(k) + cs[k + 1u]"),
  band: 2,
  loss: `
    acc = acc + (log(q(k)) - log(e(k) + e(k + 1u)));`,
  gradient: `
    ${PAIR_WEIGHTS}
    if (j + 1u < n) {
      var g = 0.0;
      if (j + 1u < count) { g = g + x(j + 1u) / q(j + 1u); }
      if (j < count) { g = g - e(j) / (e(j) + e(j + 1u)); }
      if (j >= 1u && j - 1u < count) { g = g - e(j) / (e(j - 1u) + e(j)); }
      wg[n + j] = g * inv * u.invTemperature;
    }`,
  result: "part[0] * inv",
});

/**
 * The coefficients of `∂L/∂U = A·U`: `A_rj = (w_j + w_r)·T_rj/τ` off the band,
 * 0 on it, plus `g_k` at `(k+1, k)` and `(k, k+1)`. One thread per entry.
 */
export const INFONCE_COEFFICIENTS: string = coefficientsProgram({
  sim: false,
  functions: "",
  body: `
  var total = 0.0;
  if (r + 1u < j || r > j + 1u) {
    total = (wg[j] + wg[r]) * (exp(S[index] * u.invTemperature) * u.invTemperature);
  }`,
});

/**
 * The "single" form's tail (anchor `k = 0..K−1`, `K = N − 1`):
 * `ℓ_k = −b_k + log(R_k + X_k)`; `w_k = 1/(K·(R_k + X_k))`,
 * `g_m = (1/(Kτ))·(X_{m+1}/(R_{m+1} + X_{m+1}) − 1)` (the first term where `m + 1 < K`).
 */
export const INFONCE_SINGLE_TAIL: string = tailProgram({
  sim: false,
  functions: positives("cs[k] + x(k)"),
  band: 1,
  loss: `
    acc = acc + (log(q(k)) - cs[n + k] * u.invTemperature);`,
  gradient: `
    var w = 0.0;
    if (j < count) { w = 1.0 / q(j); }
    wg[j] = w * inv;
    if (j + 1u < n) {
      var g = -1.0;
      if (j + 1u < count) { g = g + x(j + 1u) / q(j + 1u); }
      wg[n + j] = g * inv * u.invTemperature;
    }`,
  result: "part[0] * inv",
});
