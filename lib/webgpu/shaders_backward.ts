/**
 * WGSL of the fused step's backward pass and update: BatchNorm + ReLU
 * backward, the convolutions' weight and input gradients, the finiteness
 * guard and AdamW over the flat parameter vector.
 *
 * @module
 */
import {
  bindings,
  BN_ENTRY,
  BN_UNIFORM,
  COLUMN_MAIN,
  FLAT_MAIN,
  LINEAR_UNIFORM,
  NON_FINITE,
  STEP,
  TAIL_WG,
  treeSum,
  weightProduct,
  WG,
} from "./shaders_common.ts";

/**
 * BatchNorm + ReLU backward, column sums (one workgroup per column `o`):
 * `g = ∂A·1[A > 0]`, `∂β_o = Σ_n g`, `∂γ_o = Σ_n g·x̂`, written into the
 * gradient vector at the layer's offsets.
 */
export const BN_BACK_SUMS = `${BN_UNIFORM}
${bindings("uniform u: U, read dA, read A, read H, read stats, read_write grads")}
var<workgroup> part : array<vec2<f32>, ${WG}>;
${COLUMN_MAIN}
  let o = wid.x;
  let t = lid.x;
  var acc = vec2<f32>(0.0, 0.0);
  for (var i = t; i < u.rows; i = i + ${WG}u) {
    let k = i * u.cols + o;
    let g = select(0.0, dA[k], A[k] > 0.0);
    let xhat = (H[k] - stats[o]) * stats[u.cols + o];
    acc = acc + vec2<f32>(g, g * xhat);
  }
${treeSum("acc", WG)}
  if (t == 0u) {
    grads[u.bOff + o] = part[0].x;
    grads[u.gOff + o] = part[0].y;
  }
}`;

/**
 * BatchNorm + ReLU backward to the pre-norm values:
 * `∂H = (g − ∂β/N − x̂·∂γ/N)·γ·invStd`; one thread per entry.
 */
export const BN_BACK_INPUT = `${BN_UNIFORM}
${bindings("uniform u: U, read dA, read A, read H, read stats, read P, read grads, read_write dH")}
${FLAT_MAIN}${BN_ENTRY}
  let n = f32(u.rows);
  let g = select(0.0, dA[index], A[index] > 0.0);
  let inner = (g - grads[u.bOff + o] / n) - xhat * (grads[u.gOff + o] / n);
  dH[index] = inner * (P[u.gOff + o] * inv);
}`;

/**
 * Conv weight and bias gradients: `∂W[o, c] = Σ_n ∂H[n, o]·X[n, c]`,
 * `∂b[o] = Σ_n ∂H[n, o]` (thread `c = inDim`); one thread per entry.
 */
export const WEIGHT_GRAD = `${LINEAR_UNIFORM}
${bindings("uniform u: U, read dH, read X, read_write grads")}
${FLAT_MAIN}
  let width = u.inDim + 1u;
  if (index >= u.outDim * width) { return; }
  let o = index / width;
  let c = index - o * width;
  var acc = 0.0;
  if (c == u.inDim) {
    for (var n = 0u; n < u.rows; n = n + 1u) { acc = acc + dH[n * u.outDim + o]; }
    grads[u.bOff + o] = acc;
  } else {
    for (var n = 0u; n < u.rows; n = n + 1u) {
      acc = acc + dH[n * u.outDim + o] * X[n * u.inDim + c];
    }
    grads[u.wOff + o * u.inDim + c] = acc;
  }
}`;

/** `∂X[n, c] = Σ_o ∂H[n, o]·W[o, c]`; one thread per entry. */
export const INPUT_GRAD: string = weightProduct("dH", "dX", ["inDim", "c"], ["outDim", "o"], "");

/**
 * The step's finiteness, in one workgroup: the loss, and in guarded mode also
 * `Σ|∂θ|` (the tfjs path's check). `flags[slot]` = 0 finite, 1 non-finite,
 * 2 not taken (the run had stopped before this step); guarded mode sets
 * `state[0] = 1` at the first non-finite step, which stops every later
 * update (AdamW and the running statistics).
 */
export const GUARD = `
struct U { count : u32, guarded : u32 };
${STEP}
${
  bindings(
    "uniform u: U, uniform step: Step, read grads, read losses, read_write state: array<u32>, read_write flags: array<u32>",
  )
}
var<workgroup> part : array<f32, ${TAIL_WG}>;
${NON_FINITE}
@compute @workgroup_size(${TAIL_WG})
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  var acc = 0.0;
  if (u.guarded != 0u) {
    for (var i = t; i < u.count; i = i + ${TAIL_WG}u) { acc = acc + abs(grads[i]); }
  }
${treeSum("acc", TAIL_WG)}
  if (t == 0u) {
    if (state[0] != 0u) {
      flags[step.slot] = 2u;
    } else {
      let bad = nonFinite(losses[step.slot]) || (u.guarded != 0u && nonFinite(part[0]));
      flags[step.slot] = select(0u, 1u, bad);
      if (bad && u.guarded != 0u) { state[0] = 1u; }
    }
  }
}`;

/**
 * AdamW over the flat parameter vector, torch order (lib/optim/adamw.ts):
 * `p ← p·(1 − lr·wd)`, `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
 * `p ← p − (m/(√v/√(1−β₂ᵗ) + ε))·lr/(1−β₁ᵗ)`; skipped once the run stopped.
 */
export const ADAMW = `
struct U {
  count : u32, decay : f32, beta1 : f32, beta2 : f32,
  oneMinusBeta1 : f32, oneMinusBeta2 : f32, eps : f32,
};
${STEP}
${
  bindings(
    "uniform u: U, uniform step: Step, read grads, read_write P, read_write M, read_write Vm, read state: array<u32>",
  )
}
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let i = gid.x;
  if (i >= u.count || state[0] != 0u) { return; }
  let g = grads[i];
  let decayed = P[i] * u.decay;
  let m = M[i] * u.beta1 + g * u.oneMinusBeta1;
  let v = Vm[i] * u.beta2 + (g * g) * u.oneMinusBeta2;
  let denom = sqrt(v) / step.sqrtBc2 + u.eps;
  P[i] = decayed - (m / denom) * step.lrOverBc1;
  M[i] = m;
  Vm[i] = v;
}`;
