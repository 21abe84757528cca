/**
 * WGSL of the fused TS2Vec step's encoder (lib/ts2vec/encoder.ts): the input
 * layer with the timestamp mask, the kernel-3 dilated `SamePadConv`s with
 * GELU, residuals and output dropout, and their backward programs.
 *
 * Layout: both views of a step are one batch of `2B` padded sequences
 * `[2B, T, C]` (view 1 in sequences `0..B−1`, view 2 in `B..2B−1`); the
 * per-step lengths, crop and starts live in the `dims` storage buffer
 * (written each step, see {@linkcode DIMS}); frames past a sequence's length
 * are zero and never read. Conv weights are `[out, 3·in]` tap-major as in
 * lib/ts2vec: column `k·in + c` is tap `k` (time offset `(k − 1)·d`).
 *
 * @module
 */
import { bindings, FLAT_MAIN } from "./shaders_common.ts";

/** Slots of the per-step `dims` vector (u32). */
export const DIMS = {
  /** Lengths of view 1 and view 2 (`right − eleft`, `eright − left`). */
  len1: 0,
  len2: 1,
  /** The overlap length `crop_l` (level 0 of the loss). */
  crop: 2,
  /** Where the overlap starts in view 1 (`left − eleft`). */
  z1Start: 3,
  /** Number of loss levels this step. */
  levels: 4,
  /** Level lengths start here (at most {@linkcode MAX_LEVELS}). */
  levelLengths: 8,
  /** Per padded sequence `s < 2B`: its first frame in the batch `x`. */
  starts: 40,
} as const;

/** Most loss levels (lengths up to 2³²). */
export const MAX_LEVELS = 32;

/**
 * The uniform of the encoder programs: `batch = B`, `frames = T` (padded
 * length), widths `cin → cout`, dilation, parameter offsets (conv weight,
 * bias, projector weight, bias), `flags` (1 projector residual, 2 write GELU
 * of the output, 4 dropout, 8 identity residual), projector input width `pin`
 * and the dropout scale `1/(1 − p)`.
 */
export const ENC_UNIFORM = `
struct U {
  batch : u32, frames : u32, cin : u32, cout : u32, dil : u32, wOff : u32,
  bOff : u32, pwOff : u32, pbOff : u32, flags : u32, pin : u32, scale : f32,
};
fn seqLen(s : u32) -> u32 { return select(dims[${DIMS.len2}], dims[${DIMS.len1}], s < u.batch); }`;

/**
 * Exact GELU with tfjs' erf (Abramowitz–Stegun 7.1.26, the webgpu backend's):
 * `gelu(x) = x·Φ(x)`, `Φ(x) = ½(1 + erf(x/√2))`, `gelu'(x) = Φ(x) + x·φ(x)`.
 */
export const GELU = `
fn erfAs(a : f32) -> f32 {
  let v = abs(a);
  let t = 1.0 / (1.0 + 0.3275911 * v);
  let poly = ((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592;
  return sign(a) * (1.0 - poly * t * exp(-v * v));
}
fn cdf(x : f32) -> f32 { return (1.0 + erfAs(x * 0.70710678118654752)) * 0.5; }
fn gelu(x : f32) -> f32 { return x * cdf(x); }
fn geluGrad(x : f32) -> f32 { return cdf(x) + x * (exp((x * x) * -0.5) * 0.3989422804014327); }`;

/** `true` for NaN (by bits: WGSL compilers may fold `x != x`). */
const IS_NAN = `
fn isNan(x : f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }`;

/** Decomposes `index` over `[2B, T, width]` into `s`, `t`, `o`; returns past the end. */
function entry(width: string): string {
  return `
  if (index >= 2u * u.batch * u.frames * u.${width}) { return; }
  let o = index % u.${width};
  let st = index / u.${width};
  let t = st % u.frames;
  let s = st / u.frames;
  let len = seqLen(s);`;
}

/**
 * input_fc with NaN rows and the mask: for frame `t` of sequence `s` (batch
 * row `s mod B`, frame `starts[s] + t`), `H = keep·(Σ_c x_c·W[o, c] + b_o)`,
 * 0 for a row holding a NaN or past the length; `G = gelu(H)`; the row's
 * factor (`keep`, or 0 for a NaN row) goes to `mask [2B, T]`.
 */
export const TS_INPUT = `${ENC_UNIFORM}
${
  bindings(
    "uniform u: U, read dims: array<u32>, read X, read P, read keep, read_write H, read_write G, read_write mask",
  )
}
${IS_NAN}
${GELU}
${FLAT_MAIN}${entry("cout")}
  var y = 0.0;
  if (t < len) {
    let row = ((s % u.batch) * u.frames + dims[${DIMS.starts}u + s] + t) * u.cin;
    var acc = 0.0;
    var hasNan = false;
    for (var c = 0u; c < u.cin; c = c + 1u) {
      let v = X[row + c];
      if (isNan(v)) { hasNan = true; } else { acc = acc + v * P[u.wOff + o * u.cin + c]; }
    }
    let m = select(keep[st], 0.0, hasNan);
    if (!hasNan) { y = (acc + P[u.bOff + o]) * m; }
    if (o == 0u) { mask[st] = m; }
  } else if (o == 0u) {
    mask[st] = 0.0;
  }
  H[index] = y;
  G[index] = gelu(y);
}`;

/** What differs between a kernel-3 dilated conv program and its transpose. */
interface TapProgram {
  /** Bindings after `uniform u: U, read dims: array<u32>`. */
  bindings: string;
  /** One thread per entry `(s, t, o)` of `[2B, T, width]`. */
  width: "cin" | "cout";
  /** Channels of one tap frame (its values start at `base`). */
  tapWidth: "cin" | "cout";
  /** The tap frames: `t + (k−1)·d` ("+", the conv) or `t − (k−1)·d` ("-", its transpose). */
  sign: "+" | "-";
  /** Adds tap `k` (frame values at `base`) to `acc`. */
  tap: string;
  /** Sets `v` from `acc`. */
  value: string;
  /** Adds the residual's term to `v`: flags 1 (projector) and flags 8 (identity). */
  projected: string;
  identity: string;
  /** Statements on `v` in a valid frame after the residual, and the writes. */
  after: string;
  store: string;
}

/**
 * The dilated `SamePadConv` skeleton shared by TS_CONV and TS_CONV_BACK: for a
 * frame inside its sequence, `acc = Σ_k tap(k)` over the taps inside the
 * sequence (zero padding), then `value`, the residual (flags 1 or 8) and
 * `after`; `v = 0` past the length; then `store`.
 */
function tapProgram(p: TapProgram): string {
  return `${ENC_UNIFORM}
${bindings(`uniform u: U, read dims: array<u32>, ${p.bindings}`)}
${GELU}
${FLAT_MAIN}${entry(p.width)}
  var v = 0.0;
  if (t < len) {
    var acc = 0.0;
    for (var k = 0u; k < 3u; k = k + 1u) {
      let tt = i32(t) ${p.sign} (i32(k) - 1) * i32(u.dil);
      if (tt >= 0 && tt < i32(len)) {
        let base = (s * u.frames + u32(tt)) * u.${p.tapWidth};${p.tap}
      }
    }
    ${p.value}
    if ((u.flags & 1u) != 0u) {${p.projected}
    } else if ((u.flags & 8u) != 0u) {
      v = v + ${p.identity};
    }${p.after}
  }
  ${p.store}
}`;
}

/**
 * One `SamePadConv` on `Gin` (the GELU of its input):
 * `Y = Σ_k Σ_c W[o, k·in + c]·Gin[t + (k−1)·d, c] + b_o` (zero padding at the
 * sequence's ends), plus the residual (flags 1: `R·Pwᵀ + pb`, 8: `R`), times
 * `drop·scale` (flags 4); `GY = gelu(Y)` (flags 2).
 */
export const TS_CONV = tapProgram({
  bindings: "read Gin, read P, read R, read drop, read_write Y, read_write GY",
  width: "cout",
  tapWidth: "cin",
  sign: "+",
  tap: `
        let w = u.wOff + o * 3u * u.cin + k * u.cin;
        for (var c = 0u; c < u.cin; c = c + 1u) { acc = acc + Gin[base + c] * P[w + c]; }`,
  value: "v = acc + P[u.bOff + o];",
  projected: `
      var r = 0.0;
      for (var c = 0u; c < u.pin; c = c + 1u) {
        r = r + R[st * u.pin + c] * P[u.pwOff + o * u.pin + c];
      }
      v = v + (r + P[u.pbOff + o]);`,
  identity: "R[index]",
  after: `
    if ((u.flags & 4u) != 0u) { v = v * (drop[index] * u.scale); }`,
  store: `Y[index] = v;
  if ((u.flags & 2u) != 0u) { GY[index] = gelu(v); }`,
});

/**
 * The gradient at a conv's input pre-activation, one thread per entry
 * `(s, t, c)` of width `cin` (`c` is the thread's `o`):
 * `dX = gelu'(Pre)·Σ_k Σ_o W[o, k·in + c]·dY[t − (k−1)·d, o]`, plus the
 * residual's gradient (flags 1: `Σ_o Pw[o, c]·dR[o]`, 8: `dR`).
 */
export const TS_CONV_BACK = tapProgram({
  bindings: "read dY, read Pre, read dR, read P, read_write dX",
  width: "cin",
  tapWidth: "cout",
  sign: "-",
  tap: `
        let w = u.wOff + k * u.cin + o;
        for (var q = 0u; q < u.cout; q = q + 1u) { acc = acc + dY[base + q] * P[w + q * 3u * u.cin]; }`,
  value: "v = acc * geluGrad(Pre[index]);",
  projected: `
      var r = 0.0;
      for (var q = 0u; q < u.cout; q = q + 1u) { r = r + dR[st * u.cout + q] * P[u.pwOff + q * u.cin + o]; }
      v = v + r;`,
  identity: "dR[st * u.cout + o]",
  after: "",
  store: "dX[index] = v;",
});

/** Loops `body` over every valid frame `(s, t)` of both views (`len` in scope). */
function overFrames(body: string): string {
  return `
  for (var s = 0u; s < 2u * u.batch; s = s + 1u) {
    let len = seqLen(s);
    for (var t = 0u; t < len; t = t + 1u) {
      let st = s * u.frames + t;
      ${body}
    }
  }`;
}

/**
 * A conv's weight and bias gradients (and, flags 1, its block's projector's),
 * one thread per parameter: `∂W[o, k·in + c] = Σ_{s,t} dY[t, o]·Gin[t + (k−1)·d, c]`,
 * `∂b_o = Σ dY[o]`, `∂Pw[o, c] = Σ dY[o]·R[c]`, `∂pb_o = Σ dY[o]`.
 */
export const TS_WEIGHT_GRAD = `${ENC_UNIFORM}
${bindings("uniform u: U, read dims: array<u32>, read dY, read Gin, read R, read_write grads")}
${FLAT_MAIN}
  let nw = u.cout * 3u * u.cin;
  let np = select(0u, u.cout * (u.pin + 1u), (u.flags & 1u) != 0u);
  if (index >= nw + u.cout + np) { return; }
  var acc = 0.0;
  if (index < nw) {
    let o = index / (3u * u.cin);
    let r = index - o * 3u * u.cin;
    let k = r / u.cin;
    let c = r - k * u.cin;
    let shift = (i32(k) - 1) * i32(u.dil);${
  overFrames(`let tt = i32(t) + shift;
      if (tt >= 0 && tt < i32(len)) {
        acc = acc + dY[st * u.cout + o] * Gin[(s * u.frames + u32(tt)) * u.cin + c];
      }`)
}
    grads[u.wOff + index] = acc;
  } else if (index < nw + u.cout) {
    let o = index - nw;${overFrames("acc = acc + dY[st * u.cout + o];")}
    grads[u.bOff + o] = acc;
  } else if (index < nw + u.cout + u.cout * u.pin) {
    let e = index - nw - u.cout;
    let o = e / u.pin;
    let c = e - o * u.pin;${overFrames("acc = acc + dY[st * u.cout + o] * R[st * u.pin + c];")}
    grads[u.pwOff + e] = acc;
  } else {
    let o = index - nw - u.cout - u.cout * u.pin;${overFrames("acc = acc + dY[st * u.cout + o];")}
    grads[u.pbOff + o] = acc;
  }
}`;

/**
 * input_fc's gradients, one thread per parameter (`F = cin`, `H = cout`):
 * `∂W[o, c] = Σ_{s,t} mask·dH[o]·x_c`, `∂b_o = Σ mask·dH[o]` over the rows
 * whose mask (TS_INPUT's: keep, 0 for a NaN row) is not 0.
 */
export const TS_INPUT_GRAD = `${ENC_UNIFORM}
${bindings("uniform u: U, read dims: array<u32>, read X, read mask, read dH, read_write grads")}
${FLAT_MAIN}
  if (index >= u.cout * (u.cin + 1u)) { return; }
  let o = index / (u.cin + 1u);
  let c = index - o * (u.cin + 1u);
  var acc = 0.0;${
  overFrames(`let m = mask[st];
      if (m != 0.0) {
        let g = dH[st * u.cout + o] * m;
        let row = ((s % u.batch) * u.frames + dims[${DIMS.starts}u + s] + t) * u.cin;
        acc = acc + select(g * X[row + min(c, u.cin - 1u)], g, c == u.cin);
      }`)
}
  if (c == u.cin) { grads[u.bOff + o] = acc; } else { grads[u.wOff + o * u.cin + c] = acc; }
}`;
