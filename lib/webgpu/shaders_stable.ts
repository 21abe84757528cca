/**
 * WGSL of emargin-stable, "ls" form (lib/losses `stableMarginLoss` without
 * the §6 options; the fused tfjs form of lib/losses/fused/stable.ts), in the
 * fused step. With the intended sim vector `v` (length N), the negative
 * logits `a_j(s) = s/τ + c_j·max(0, s + m − 1)²` (`c_j = v_j·γ/(2τ)`), the
 * column shift `K_j = 1/τ + c_j·max(0, m)²` (the largest logit a column can
 * hold), `f_j(s) = exp(a_j(s) − K_j)`, the band-excluded sums
 * `R_j = Σ_{|i−j|>1} f_j(S_ij)`, `X_j = f_j(S_{j−1,j})` (`X_0 = 0`) and
 * `b_k = ℓ_k/τ` (`ℓ_k = S_{k+1,k}`), anchor `k = 0..K−1` (`K = N − 2`):
 * `ℓ_k = LSE(b_k, b_{k+1}, K_k + log(R_k + X_k), K_{k+1} + log R_{k+1}) − LSE(b_k, b_{k+1})`,
 * `L = mean_k ℓ_k`. The uniform block is LS_MARGIN's with `scale = γ/(2τ)`.
 *
 * @module
 */
import { coefficientsProgram, columnSumsProgram, tailProgram } from "./shaders_common.ts";

/** `c_j`, `K_j`, `f_j(s)` and `f_j'(s) = f_j(s)·(1/τ + 2c_j·max(0, s + m − 1))`. */
const TERMS = `
fn coefficient(v : f32) -> f32 { return v * u.scale; }
fn shift(c : f32) -> f32 {
  let m = max(u.margin, 0.0);
  return c * (m * m) + u.invTemperature;
}
fn term(s : f32, c : f32, k : f32) -> f32 {
  let h = max(s + (u.margin - 1.0), 0.0);
  return exp((s * u.invTemperature + c * (h * h)) - k);
}
fn slope(s : f32, f : f32, c : f32) -> f32 {
  let h = max(s + (u.margin - 1.0), 0.0);
  return f * (u.invTemperature + 2.0 * c * h);
}`;

/** `b(m) = ℓ_m/τ` and `xOf(k) = X_k` from `cs`. */
const POSITIVES = `
fn b(m : u32) -> f32 { return cs[u.rows + m] * u.invTemperature; }
fn xOf(k : u32) -> f32 { return cs[2u * u.rows - 1u + k]; }`;

/** What the "ls" and "single" stable tails fill in {@linkcode stableTail}. */
interface StableTailParts {
  /** `fn anchor(k)` and the helpers it needs beyond TERMS and POSITIVES. */
  anchor: string;
  /** Anchors: `count = N − band`. */
  band: number;
  /** Anchor `a`'s loss (an expression). */
  loss: string;
  /** Sets `w` for column `j` (`var w = 0.0` before). */
  weights: string;
  /** Declares `var g` for `j < N − 1` from the positives' softmax terms. */
  positives: string;
  /** Fields of the anchor value: its negatives' logit `n_k` and its LSE over all. */
  fields: [string, string];
}

/**
 * An emargin-stable tail: `L = mean_k loss(anchor(k))`, `wg[j] = w/K`,
 * `wg[N + j] = g/K` with `X_{j+1} = f_{j+1}(S_{j,j+1})`'s share of `g_j`
 * (`S_{j,j+1} = ℓ_j`) through the anchor `j + 1`.
 */
function stableTail(p: StableTailParts): string {
  const [n1, all] = p.fields;
  return tailProgram({
    sim: true,
    functions: `${TERMS}${POSITIVES}${p.anchor}
/** The softmax weight of anchor k's negatives over their sum \`R_k + X_k\`. */
fn weightOf(k : u32) -> f32 {
  let a = anchor(k);
  return exp(a.${n1} - a.${all}) / (cs[k] + xOf(k));
}`,
    band: p.band,
    loss: `
    let a = anchor(k);
    acc = acc + (${p.loss});`,
    gradient: `
    var w = 0.0;${p.weights}
    wg[j] = w * inv;
    if (j + 1u < n) {${p.positives}
      if (j + 1u < count) {
        // X_{j+1} = f_{j+1}(S_{j,j+1}), S_{j,j+1} = ℓ_j
        let dx = weightOf(j + 1u);
        let c = coefficient(V[j + 1u]);
        g = g + dx * slope(cs[n + j], xOf(j + 1u), c);
      }
      wg[n + j] = g * inv;
    }`,
    result: "part[0] * inv",
  });
}

/**
 * Per column `j` (one workgroup): `cs = [R (N); ℓ (N − 1); X (N)]`, `X_j` the
 * column's `i = j − 1` term.
 */
export const STABLE_COLUMN_SUMS: string = columnSumsProgram({
  inputs: "read V, read_write cs",
  functions: TERMS,
  prelude: `
  let c = coefficient(V[j]);
  let k = shift(c);`,
  body: `if (i + 1u < j || i > j + 1u) { acc = acc + term(S[j * n + i], c, k); }`,
  extra: `
    var x = 0.0;
    if (j >= 1u) { x = term(S[(j - 1u) * n + j], c, k); }
    cs[2u * n - 1u + j] = x;`,
});

/**
 * The O(N) tail in one workgroup: `L` to `losses[slot]`; `wg = [w (N); g (N − 1)]`
 * with `w_j = ∂L/∂R_j` (for `X_j` too: `∂L/∂X_j = ∂L/∂R_j` where `X_j` is used)
 * and `g_m = ∂L/∂ℓ_m`, the positives' softmax terms plus `X_{m+1}`'s slope.
 */
export const STABLE_TAIL: string = stableTail({
  anchor: `
fn kOf(j : u32) -> f32 { return shift(coefficient(V[j])); }
/** The four logits of anchor k and their LSE: (b_k, b_{k+1}, n1, n2, lse4, lse2). */
struct Anchor { b0 : f32, b1 : f32, n1 : f32, n2 : f32, all : f32, pos : f32 };
fn anchor(k : u32) -> Anchor {
  var a : Anchor;
  a.b0 = b(k);
  a.b1 = b(k + 1u);
  a.n1 = kOf(k) + log(cs[k] + xOf(k));
  a.n2 = kOf(k + 1u) + log(cs[k + 1u]);
  let top = max(max(a.b0, a.b1), max(a.n1, a.n2));
  a.all = top + log(exp(a.b0 - top) + exp(a.b1 - top) + exp(a.n1 - top) + exp(a.n2 - top));
  let pt = max(a.b0, a.b1);
  a.pos = pt + log(exp(a.b0 - pt) + exp(a.b1 - pt));
  return a;
}`,
  band: 2,
  loss: "a.all - a.pos",
  weights: `
    if (j < count) { w = w + weightOf(j); }
    if (j >= 1u && j - 1u < count) {
      let a = anchor(j - 1u);
      w = w + exp(a.n2 - a.all) / cs[j];
    }`,
  positives: `
      var g = 0.0;
      if (j < count) {
        let a = anchor(j);
        g = g + (exp(a.b0 - a.all) - exp(a.b0 - a.pos)) * u.invTemperature;
      }
      if (j >= 1u && j - 1u < count) {
        let a = anchor(j - 1u);
        g = g + (exp(a.b1 - a.all) - exp(a.b1 - a.pos)) * u.invTemperature;
      }`,
  fields: ["n1", "all"],
});

/**
 * The coefficients of `∂L/∂U = A·U`: `A_rj = w_j·f_j'(S_rj) + w_r·f_r'(S_rj)`
 * off the band, 0 on it, plus `g_k` at `(k+1, k)` and `(k, k+1)`. (The
 * `X` terms' dependence on `ℓ` is in `g`.) One thread per entry.
 */
export const STABLE_COEFFICIENTS: string = coefficientsProgram({
  sim: true,
  functions: TERMS,
  body: `
  let s = S[index];
  var total = 0.0;
  if (r + 1u < j || r > j + 1u) {
    let cj = coefficient(V[j]);
    let cr = coefficient(V[r]);
    total = wg[j] * slope(s, term(s, cj, shift(cj)), cj) + wg[r] * slope(s, term(s, cr, shift(cr)), cr);
  }`,
});

/**
 * The "single" form's tail (anchor `k = 0..K−1`, `K = N − 1`):
 * `ℓ_k = −b_k + LSE(b_k, n_k)`, `n_k = K_k + log(R_k + X_k)`; with `p_k` and
 * `1 − p_k` the softmax weights of `b_k` and `n_k`:
 * `w_k = (1 − p_k)/(K·(R_k + X_k))`, `g_m = ((p_m − 1)/τ + X_{m+1}`'s slope term`)/K`.
 */
export const STABLE_SINGLE_TAIL: string = stableTail({
  anchor: `
/** (b_k, n_k, LSE(b_k, n_k)). */
fn anchor(k : u32) -> vec3<f32> {
  let p = b(k);
  let n1 = shift(coefficient(V[k])) + log(cs[k] + xOf(k));
  let top = max(p, n1);
  return vec3<f32>(p, n1, top + log(exp(p - top) + exp(n1 - top)));
}`,
  band: 1,
  loss: "a.z - a.x",
  weights: `
    if (j < count) { w = weightOf(j); }`,
  positives: `
      let a = anchor(j);
      var g = (exp(a.x - a.z) - 1.0) * u.invTemperature;`,
  fields: ["y", "z"],
});
