/**
 * WGSL of LS_MARGIN in the fused step: column sums and positives, the O(N)
 * tail (loss and its gradient to the column sums and positives), the
 * coefficient matrix of `∂L/∂U`, a plain product and the normalisation's
 * backward pass.
 *
 * @module
 */
import {
  bindings,
  coefficientsProgram,
  columnSumsProgram,
  NON_FINITE,
  PAIR_WEIGHTS,
  ROW_MAIN,
  ROWS_UNIFORM,
  tailProgram,
} from "./shaders_common.ts";
import { hingeTermSource } from "../losses/mod.ts";

/** LS_MARGIN's column function and its slope (lib/losses' WGSL, uniform `u`). */
const LS_MARGIN_TERMS = hingeTermSource("-1.0", "u");

/**
 * Column sums (one workgroup per column `j`): `c_j = Σ_{i≠j} E_ij`,
 * `E_ij = exp(γ/τ·(−(1−v_j)·½S_ij² + v_j·½·max(0, m − S_ij)²))`, the diagonal
 * 0 (NaN where it overflowed, as the reference's `Inf·0`); and the positives
 * `ℓ_j = S_{j+1, j}`. Output `cs = [c (N); ℓ (N − 1)]`.
 */
export const COLUMN_SUMS: string = columnSumsProgram({
  inputs: "read V, read_write cs",
  functions: `${NON_FINITE}\n${LS_MARGIN_TERMS}`,
  prelude: `
  let c = coefficients(V[j]);`,
  body: `var e = term(S[j * n + i], c);
    if (i == j) { e = select(0.0, makeNan(), nonFinite(e)); }
    acc = acc + e;`,
  extra: "",
});

/**
 * LS_MARGIN's O(N) tail in one workgroup: with `eL_k = exp(ℓ_k/τ)`,
 * `eR_k = exp(ℓ_{k+1}/τ)`, `num_k = eR_k + eL_k`, `Q_k = (c_k − eL_k) +
 * (c_{k+1} − num_k) + num_k` (`k = 0..K−1`, `K = N − 2`):
 * `L = −(1/K)·Σ_k log(num_k/Q_k)`, written to `losses[slot]`;
 * `w_j = ∂L/∂c_j = (1/Q_j + 1/Q_{j−1})/K` (terms that exist) and
 * `g_k = ∂L/∂ℓ_k = −(1/K)·((1/num_k + 1/Q_k)·eL_k + eR_{k−1}/num_{k−1})/τ`.
 * Output `wg = [w (N); g (N − 1)]`.
 */
export const LOSS_TAIL: string = tailProgram({
  sim: false,
  functions: `
fn eL(k : u32) -> f32 { return exp(cs[u.rows + k] * u.invTemperature); }
fn eR(k : u32) -> f32 { return exp(cs[u.rows + k + 1u] * u.invTemperature); }
fn q(k : u32) -> f32 {
  let l = eL(k);
  let num = eR(k) + l;
  return ((cs[k] - l) + (cs[k + 1u] - num)) + num;
}`,
  band: 2,
  loss: `
    let l = eL(k);
    let num = eR(k) + l;
    acc = acc + log(num / q(k));`,
  gradient: `
    ${PAIR_WEIGHTS}
    if (j + 1u < n) {
      var g = 0.0;
      if (j < count) { g = g + (1.0 / (eR(j) + eL(j)) + 1.0 / q(j)) * eL(j); }
      if (j >= 1u && j - 1u < count) { g = g + eR(j - 1u) / (eR(j - 1u) + eL(j - 1u)); }
      wg[n + j] = -inv * g * u.invTemperature;
    }`,
  result: "-(part[0] * inv)",
});

/**
 * The coefficients of `∂L/∂U = A·U`: `A_rj = w_j·f'_j(S_rj) + w_r·f'_r(S_rj)`
 * (r ≠ j), plus `g_k` at `(k+1, k)` and `(k, k+1)` (the positives); the
 * diagonal 0, NaN where its slope term is non-finite. One thread per entry.
 */
export const COEFFICIENTS: string = coefficientsProgram({
  sim: true,
  functions: `${NON_FINITE}\n${LS_MARGIN_TERMS}`,
  body: `
  let s = S[index];
  let cj = coefficients(V[j]);
  let a = wg[j] * slope(s, term(s, cj), cj);
  if (r == j) {
    A[index] = select(0.0, makeNan(), nonFinite(a));
    return;
  }
  let cr = coefficients(V[r]);
  var total = a + wg[r] * slope(s, term(s, cr), cr);`,
});

/**
 * torch `F.normalize`'s backward: `∂Z_n = (∂U_n − U_n·(U_n·∂U_n)·1[‖Z_n‖ > ε]) / max(‖Z_n‖, ε)`;
 * one thread per row.
 */
export const NORMALIZE_BACK = `${ROWS_UNIFORM}
${bindings("uniform u: U, read Un, read norms, read dU, read_write dZ")}
${ROW_MAIN}
  var dot = 0.0;
  for (var c = 0u; c < u.cols; c = c + 1u) { dot = dot + Un[n * u.cols + c] * dU[n * u.cols + c]; }
  let inside = select(0.0, 1.0, norms[n] > 1e-12);
  let denom = max(norms[n], 1e-12);
  for (var c = 0u; c < u.cols; c = c + 1u) {
    let i = n * u.cols + c;
    dZ[i] = (dU[i] - Un[i] * dot * inside) / denom;
  }
}`;
