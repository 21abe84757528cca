/**
 * Pieces shared by the WGSL programs of the fused step: the workgroup size,
 * a finiteness test, the uniform blocks, binding declarations, entry-point
 * headers, the workgroup tree sum, and the three program skeletons of the
 * losses (column sums, O(N) tail, coefficient matrix) that LS_MARGIN,
 * emargin-stable and InfoNCE fill with their own terms.
 *
 * @module
 */
import { OptionError } from "../errors.ts";

/** Threads per workgroup of the element-wise and reduction programs. */
export const WG = 64;

/** Threads of the one-workgroup programs (the loss tails and the guard). */
export const TAIL_WG = 256;

/** `true` when `x` is NaN or ±Inf (WGSL has no isnan/isinf builtins). */
export const NON_FINITE = `
fn nonFinite(x : f32) -> bool {
  return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}
fn makeNan() -> f32 { return bitcast<f32>(0x7fc00000u); }`;

/** The per-step uniform shared by the programs that need it. */
export const STEP = `
struct Step { slot : u32, lrOverBc1 : f32, sqrtBc2 : f32, pad : u32 };`;

/** The losses' uniform block (LS_MARGIN's; InfoNCE leaves `margin`, `scale` unused). */
export const LOSS_UNIFORM = `
struct U { rows : u32, margin : f32, scale : f32, invTemperature : f32 };`;

/** The uniform block of the convolutions (`Y [rows, outDim]`, `X [rows, inDim]`). */
export const LINEAR_UNIFORM = `
struct U { rows : u32, inDim : u32, outDim : u32, wOff : u32, bOff : u32 };`;

/** The uniform block of the BatchNorm + ReLU programs (γ, β at `gOff`, `bOff`). */
export const BN_UNIFORM = `
struct U { rows : u32, cols : u32, gOff : u32, bOff : u32 };`;

/** The uniform block of the per-row programs over `[rows, cols]`. */
export const ROWS_UNIFORM = `
struct U { rows : u32, cols : u32 };`;

const ACCESS: Record<string, string> = {
  uniform: "uniform",
  read: "storage, read",
  read_write: "storage, read_write",
};

/**
 * Declarations of group 0's bindings, numbered in the order given. `spec` is a
 * comma-separated list of `<access> <name>[: <type>]`, access `uniform`,
 * `read` or `read_write`, type `array<f32>` when omitted.
 *
 * @example
 * ```ts
 * bindings("uniform u: U, read S, read_write cs");
 * // @group(0) @binding(0) var<uniform> u : U; … var<storage, read_write> cs : array<f32>;
 * ```
 */
export function bindings(spec: string): string {
  return spec.split(",").map((entry, i) => {
    const match = /^(\w+) (\w+)(?:: (.+))?$/.exec(entry.trim());
    const access = match && Object.hasOwn(ACCESS, match[1]) ? ACCESS[match[1]] : undefined;
    if (!match || !access) {
      throw new OptionError(
        `lib/webgpu bindings: entry ${i} "${entry.trim()}": expected "<uniform|read|read_write> <name>[: <type>]"`,
      );
    }
    return `@group(0) @binding(${i}) var<${access}> ${match[2]} : ${match[3] ?? "array<f32>"};`;
  }).join("\n");
}

/** Header of a program with one thread per entry; `index` is the flat entry. */
export const FLAT_MAIN = `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>, @builtin(num_workgroups) nwg : vec3<u32>) {
  let index = gid.x + gid.y * nwg.x * ${WG}u;`;

/**
 * A product with a convolution's weights `W [outDim, inDim]` (at `P[wOff]`),
 * one thread per entry `(n, col)` of `out [rows, width]`:
 * `out[n, col] = Σ_{k < depth} x[n, k]·W[o, c] + bias`, where `(col, k)` is
 * `(o, c)` for the forward product and `(c, o)` for the input gradient.
 *
 * @example
 * ```ts
 * weightProduct("X", "Y", ["outDim", "o"], ["inDim", "c"], " + P[u.bOff + o]"); // LINEAR
 * ```
 */
export function weightProduct(
  x: string,
  out: string,
  [width, col]: [string, string],
  [depth, k]: [string, string],
  bias: string,
): string {
  return `${LINEAR_UNIFORM}
${bindings(`uniform u: U, read ${x}, read P, read_write ${out}`)}
${FLAT_MAIN}
  if (index >= u.rows * u.${width}) { return; }
  let n = index / u.${width};
  let ${col} = index - n * u.${width};
  var acc = 0.0;
  for (var ${k} = 0u; ${k} < u.${depth}; ${k} = ${k} + 1u) {
    acc = acc + ${x}[n * u.${depth} + ${k}] * P[u.wOff + o * u.inDim + c];
  }
  ${out}[index] = acc${bias};
}`;
}

/**
 * The per-entry BatchNorm programs' start (after {@linkcode FLAT_MAIN}):
 * column `o` of `index`, `inv = 1/√(σ²_o + ε)` and `x̂ = (H − μ_o)·inv`.
 */
export const BN_ENTRY = `
  if (index >= u.rows * u.cols) { return; }
  let o = index % u.cols;
  let inv = stats[u.cols + o];
  let xhat = (H[index] - stats[o]) * inv;`;

/** Header of a program with one thread per row `n`; rows past `u.rows` return. */
export const ROW_MAIN = `
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let n = gid.x;
  if (n >= u.rows) { return; }`;

/** Header of a program with one workgroup per column (`wid.x`), thread `lid.x`. */
export const COLUMN_MAIN = `
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_id) lid : vec3<u32>) {`;

/**
 * Tree sum over a workgroup of `size` threads (a power of two): thread `t`
 * stores `value` into `part[t]`, then halves; `part[0]` holds the sum.
 */
export function treeSum(value: string, size: number): string {
  return `
  part[t] = ${value};
  workgroupBarrier();
  for (var s = ${size / 2}u; s > 0u; s = s / 2u) {
    if (t < s) { part[t] = part[t] + part[t + s]; }
    workgroupBarrier();
  }`;
}

/** The pieces a loss gives {@linkcode columnSumsProgram}. */
export interface ColumnSumsParts {
  /** Binding list after `u` and `S` (see {@linkcode bindings}); ends with `read_write cs`. */
  inputs: string;
  /** WGSL functions (terms) used by the body. */
  functions: string;
  /** Per-column values computed before the loop (`j`, `n` in scope). */
  prelude: string;
  /** Loop body over row `i` that adds into `acc`. */
  body: string;
  /** Extra outputs of thread 0 after `cs[j]` and `ℓ_j`. */
  extra: string;
}

/**
 * Column sums (one workgroup per column `j`) and positives:
 * `cs[j] = Σ_i body(i)`, `cs[N + j] = ℓ_j = S_{j+1, j}` (`j < N − 1`).
 * Column j is read as row j (`S` is exactly symmetric: the product sums
 * `u_i·u_j` and `u_j·u_i` in the same order), contiguous in memory.
 */
export function columnSumsProgram(p: ColumnSumsParts): string {
  return `${LOSS_UNIFORM}
${bindings(`uniform u: U, read S, ${p.inputs}`)}
var<workgroup> part : array<f32, ${WG}>;
${p.functions}
${COLUMN_MAIN}
  let j = wid.x;
  let t = lid.x;
  let n = u.rows;${p.prelude}
  var acc = 0.0;
  for (var i = t; i < n; i = i + ${WG}u) {
    ${p.body}
  }${treeSum("acc", WG)}
  if (t == 0u) {
    cs[j] = part[0];
    if (j + 1u < n) { cs[n + j] = S[(j + 1u) * n + j]; }${p.extra}
  }
}`;
}

/** What every loss program is given: its own WGSL functions and whether it reads `V`. */
export interface LossParts {
  /** Whether the sim vector `V` is bound (after `cs` in a tail, after `S` otherwise). */
  sim: boolean;
  /** WGSL functions (of `S`, `cs`, `V`) used by the program's code. */
  functions: string;
}

/** The binding list entry of `V` where the program reads it. */
function simBinding(p: LossParts): string {
  return p.sim ? "read V, " : "";
}

/** The pieces a loss gives {@linkcode tailProgram}. */
export interface TailParts extends LossParts {
  /** Anchors: `count = N − band` (2 for "ls", 1 for "single"). */
  band: number;
  /** Loop body over anchor `k` that adds its loss into `acc`. */
  loss: string;
  /** Loop body over column `j` writing `wg[j]` and, for `j < N − 1`, `wg[N + j]`. */
  gradient: string;
  /** The value written to `losses[step.slot]` from `part[0]` and `inv = 1/count`. */
  result: string;
}

/**
 * A loss's O(N) tail in one workgroup of {@linkcode TAIL_WG} threads:
 * `losses[slot] = result(Σ_k loss_k)` and `wg = [w (N); g (N − 1)]`.
 */
export function tailProgram(p: TailParts): string {
  return `${LOSS_UNIFORM}
${STEP}
${
    bindings(
      `uniform u: U, uniform step: Step, read cs, ${simBinding(p)}read_write wg, read_write losses`,
    )
  }
var<workgroup> part : array<f32, ${TAIL_WG}>;
${p.functions}
@compute @workgroup_size(${TAIL_WG})
fn main(@builtin(local_invocation_id) lid : vec3<u32>) {
  let t = lid.x;
  let n = u.rows;
  let count = n - ${p.band}u;
  let inv = 1.0 / f32(count);
  var acc = 0.0;
  for (var k = t; k < count; k = k + ${TAIL_WG}u) {${p.loss}
  }
  for (var j = t; j < n; j = j + ${TAIL_WG}u) {${p.gradient}
  }${treeSum("acc", TAIL_WG)}
  if (t == 0u) { losses[step.slot] = ${p.result}; }
}`;
}

/** The pieces a loss gives {@linkcode coefficientsProgram}. */
export interface CoefficientsParts extends LossParts {
  /** Sets `var total` for entry `(r, j)` (`index`, `n`, `r`, `j` in scope). */
  body: string;
}

/**
 * The coefficients of `∂L/∂U = A·U`, one thread per entry `(r, j)`:
 * `A_rj = body(r, j)` plus `g_k` at `(k+1, k)` and `(k, k+1)` (the positives).
 */
export function coefficientsProgram(p: CoefficientsParts): string {
  return `${LOSS_UNIFORM}
${bindings(`uniform u: U, read S, ${simBinding(p)}read wg, read_write A`)}
${p.functions}
${FLAT_MAIN}
  let n = u.rows;
  if (index >= n * n) { return; }
  let r = index / n;
  let j = index - r * n;${p.body}
  if (r == j + 1u) { total = total + wg[n + j]; }
  if (j == r + 1u) { total = total + wg[n + r]; }
  A[index] = total;
}`;
}

/**
 * The "ls" tails' `w_j = (1/Q_j + 1/Q_{j−1})/K` (the terms that exist), with
 * the loss's own `q(k)`, written to `wg[j]`.
 */
export const PAIR_WEIGHTS = `var w = 0.0;
    if (j < count) { w = w + 1.0 / q(j); }
    if (j >= 1u && j - 1u < count) { w = w + 1.0 / q(j - 1u); }
    wg[j] = w * inv;`;
