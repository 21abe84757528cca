/**
 * WGSL of the fused step's forward pass: kernel-size-1 convolutions,
 * BatchNorm statistics (with the running update), BatchNorm + ReLU, the sim
 * vector, row normalisation and the Gram matrix. One uniform block of
 * constants per program, storage buffers row-major.
 *
 * @module
 */
import {
  bindings,
  BN_ENTRY,
  BN_UNIFORM,
  COLUMN_MAIN,
  FLAT_MAIN,
  ROW_MAIN,
  ROWS_UNIFORM,
  treeSum,
  weightProduct,
  WG,
} from "./shaders_common.ts";

/**
 * `Y[n, o] = b[o] + Σ_c X[n, c]·W[o, c]` (kernel-size-1 Conv1d over all frames).
 * One thread per output entry.
 */
export const LINEAR: string = weightProduct(
  "X",
  "Y",
  ["outDim", "o"],
  ["inDim", "c"],
  " + P[u.bOff + o]",
);

/**
 * BatchNorm statistics of column `o` (one workgroup per column): `μ`, biased
 * `σ²`, stored as `stats[o] = μ`, `stats[C + o] = 1/√(σ² + ε)`; unless the
 * run stopped (guarded mode), the running statistics are updated in place:
 * `r_μ ← (1−m)·r_μ + m·μ`, `r_σ² ← (1−m)·r_σ² + m·σ²·N/(N−1)`.
 */
export const BN_STATS = `
struct U {
  rows : u32, cols : u32, runOff : u32, eps : f32, momentum : f32, keep : f32, unbias : f32,
};
${bindings("uniform u: U, read H, read_write stats, read_write running, read state: array<u32>")}
var<workgroup> part : array<f32, ${WG}>;
fn reduce(t : u32, x : f32) -> f32 {
${treeSum("x", WG)}
  let r = part[0];
  workgroupBarrier();
  return r;
}
${COLUMN_MAIN}
  let o = wid.x;
  let t = lid.x;
  let n = f32(u.rows);
  var acc = 0.0;
  for (var i = t; i < u.rows; i = i + ${WG}u) { acc = acc + H[i * u.cols + o]; }
  let mean = reduce(t, acc) / n;
  var sq = 0.0;
  for (var i = t; i < u.rows; i = i + ${WG}u) {
    let d = H[i * u.cols + o] - mean;
    sq = sq + d * d;
  }
  let variance = reduce(t, sq) / n;
  if (t == 0u) {
    stats[o] = mean;
    stats[u.cols + o] = inverseSqrt(variance + u.eps);
    if (state[0] == 0u) {
      let m = u.momentum;
      running[u.runOff + o] = running[u.runOff + o] * u.keep + mean * m;
      let r = u.runOff + u.cols + o;
      running[r] = running[r] * u.keep + (variance * u.unbias) * m;
    }
  }
}`;

/** `A = ReLU(x̂·γ + β)`, `x̂ = (H − μ)·invStd`; one thread per entry. */
export const BN_RELU = `${BN_UNIFORM}
${bindings("uniform u: U, read H, read stats, read P, read_write A")}
${FLAT_MAIN}${BN_ENTRY}
  let y = xhat * P[u.gOff + o] + P[u.bOff + o];
  A[index] = select(y, 0.0, y <= 0.0);
}`;

/**
 * The sim vector (length N, "double"): `r_n = cos(x_n, x_{(n+1) mod N})` with
 * rows normalised as torch `F.normalize`; "reference" (variant 0): `r ≥ θ → 0`,
 * then `≤ θ → 1`; "intended" (variant 1): `1[r < θ]`. One thread per row.
 */
export const SIM_VECTOR = `
struct U { rows : u32, cols : u32, threshold : f32, variant : u32 };
${bindings("uniform u: U, read X, read_write V")}
${ROW_MAIN}
  let m = (n + 1u) % u.rows;
  var a = 0.0; var b = 0.0; var ab = 0.0;
  for (var c = 0u; c < u.cols; c = c + 1u) {
    let p = X[n * u.cols + c];
    let q = X[m * u.cols + c];
    a = a + p * p; b = b + q * q; ab = ab + p * q;
  }
  let r = ab / (max(sqrt(a), 1e-12) * max(sqrt(b), 1e-12));
  var v : f32;
  if (u.variant == 0u) {
    let zeroed = select(r, 0.0, r >= u.threshold);
    v = select(zeroed, 1.0, zeroed <= u.threshold);
  } else {
    v = select(0.0, 1.0, r < u.threshold);
  }
  V[n] = v;
}`;

/** `U_n = Z_n / max(‖Z_n‖, 1e−12)`, `norms[n] = ‖Z_n‖`; one thread per row. */
export const NORMALIZE = `${ROWS_UNIFORM}
${bindings("uniform u: U, read Z, read_write Un, read_write norms")}
${ROW_MAIN}
  var s = 0.0;
  for (var c = 0u; c < u.cols; c = c + 1u) { let z = Z[n * u.cols + c]; s = s + z * z; }
  let norm = sqrt(s);
  let denom = max(norm, 1e-12);
  for (var c = 0u; c < u.cols; c = c + 1u) { Un[n * u.cols + c] = Z[n * u.cols + c] / denom; }
  norms[n] = norm;
}`;
