/**
 * The fused column-sum losses' element-wise work on the wasm backend, for a
 * single block (the whole `S`, up to N = 2048 by default): f32x4 SIMD passes
 * in the counterpart of webgpu_kernels.ts, for the column functions
 * `f_j(s) = exp(p_j·s + a_j·s² + b_j·max(0, m − s)²)`: "exp" (`p = 1/τ`,
 * `a = b = 0`), "margin" and "lsMargin" (`p = 0`, `a_j`, `b_j` as
 * {@linkcode hingeCoefficients} forms them), and "stable"'s
 * `f_j(s) = exp((s/τ + c_j·max(0, s + m − 1)²) − K_j)` (its hinge faces the
 * other way; `c_j`, `K_j` as stableCoefficient and stableShift form them):
 *
 * ```
 * values:    F_ij = f_j(S_ij), F_ij·0 on the band |i − j| ≤ k;   c_j = Σ_{|i−j|>k} F_ij + diagonal rule
 * gradients: H_ij = F_ij·((α_j·S_ij − β_j·max(0, m − S_ij)) + γ_j),   M = H + Hᵀ
 *            α = a·2w, β = b·2w, γ = w·p   (w_j = ∂L/∂c_j; tfjs' order in columnGradients)
 * ```
 *
 * The band is the diagonal (`k = 0`) for the column-sum losses and the
 * diagonal with its two neighbours (`k = 1`) for "stable" and InfoNCE's
 * negative sets (fused/infonce.ts). For "exp" `f` does not depend on the column, so `F` is
 * symmetric and `M_ij = F_ij·(γ_i + γ_j)` is one pass without `S`.
 *
 * (`S` symmetric, so row `j` of `F` is column `j`'s terms.) The diagonal
 * rule is the reference's: MARGIN_LOSS counts `f_j(0)`, the others
 * `f_j(S_jj)·0` (0, or NaN where it overflowed); `F_jj·0` keeps `M_jj` at 0
 * or NaN likewise. `F` is kept for the backward pass, which then needs no
 * exponential: one pass forms `H`, and `H + Hᵀ` is summed in place in 4 × 4
 * tile pairs (lib/wasm/tiles.ts), so that `∂L/∂U = M·U` is one product.
 *
 * Why by hand: as tfjs ops the forward is about ten element-wise kernels
 * over `[N, N]` and the backward five more and a transpose, each a pass over
 * 10 MB at N = 1600; here the forward is one pass with one exponential per
 * entry and the backward two passes.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { onWasmModule, scratchSpace } from "../../wasm/mod.ts";
import type { ColumnTermOptions } from "./column_terms.ts";
import { columnModuleBytes } from "./wasm_column_module.ts";
import {
  bindColumnPasses,
  gradientsKernel,
  squaresKernel,
  valuesKernel,
  WASM_COLUMN_KERNELS,
} from "./wasm_column_passes.ts";
import type { ColumnAttrs } from "./wasm_column_passes.ts";

export { WASM_COLUMN_KERNELS };

/** Binds the passes and registers the kernels on the wasm backend, once. */
const register = onWasmModule(columnModuleBytes, (backend, exports) => {
  type Pass = (...args: number[]) => void;
  bindColumnPasses({
    values: exports.values as Pass,
    slopes: exports.slopes as Pass,
    valuesStable: exports.valuesStable as Pass,
    slopesStable: exports.slopesStable as Pass,
    pairs: exports.pairs as Pass,
    pairsVrn: exports.pairsVrn as Pass,
    squares: exports.squares as Pass,
    reserve: scratchSpace(backend),
  });
  const attrs = (a: unknown) => a as ColumnAttrs;
  const input = (inputs: Record<string, unknown>, name: string) => inputs[name] as tf.TensorInfo;
  tf.registerKernel({
    kernelName: WASM_COLUMN_KERNELS.values,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs: a }) =>
      valuesKernel(backend, input(inputs, "s"), input(inputs, "v"), attrs(a)),
  });
  tf.registerKernel({
    kernelName: WASM_COLUMN_KERNELS.gradients,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs: a }) =>
      gradientsKernel(
        backend,
        input(inputs, "s"),
        input(inputs, "f"),
        input(inputs, "v"),
        input(inputs, "w"),
        attrs(a),
        input(inputs, "kappa"),
      ),
  });
  tf.registerKernel({
    kernelName: WASM_COLUMN_KERNELS.squares,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs: a }) => squaresKernel(backend, input(inputs, "s"), attrs(a)),
  });
  return true;
});

/**
 * Whether the wasm kernels compute a block (of any kind): on the wasm backend,
 * for the whole matrix (`rows === n`).
 */
export function wasmColumnKernelsActive(rows: number, n: number): boolean {
  return rows === n && tf.getBackend() === "wasm" && register() !== null;
}

function attrsOf(o: ColumnTermOptions, band: number, delta = 0): tf.NamedAttrMap {
  const { kind, temperature, margin, gamma } = o;
  return { kind, temperature, margin, gamma, band, delta } as unknown as tf.NamedAttrMap;
}

/** Inputs without the absent ones, vectors flattened. */
function inputsOf(tensors: Record<string, Tensor | null>, vectors: string[]): tf.NamedTensorMap {
  const inputs: tf.NamedTensorMap = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t) inputs[name] = vectors.includes(name) ? tf.reshape(t, [-1]) : t;
  }
  return inputs;
}

/**
 * `[c, F]` of the whole `s [N, N]`: the column sums without the band
 * `|i − j| ≤ band`, with the reference's diagonal rule, `[N]`, and the values
 * `F [N, N]` (×0 on the band); `v [N, 1]` (null for "exp", which reads none).
 *
 * @example
 * ```ts
 * // InfoNCE's negative sets: exp(S/τ) without the diagonal and its neighbours
 * const [r, t] = wasmColumnValues(s, null, { kind: "exp", temperature: 0.1, margin: 0, gamma: 0 }, 1);
 * ```
 */
export function wasmColumnValues(
  s: Tensor2D,
  v: Tensor | null,
  o: ColumnTermOptions,
  band: 0 | 1 = 0,
): [Tensor1D, Tensor2D] {
  const [sums, values] = tf.engine().runKernel(
    WASM_COLUMN_KERNELS.values,
    inputsOf({ s, v }, ["v"]),
    attrsOf(o, band),
  ) as Tensor[];
  return [sums as Tensor1D, values as Tensor2D];
}

/**
 * `H + Hᵀ` `[N, N]`, `H_ij = w_j·f'_j(S_ij)` from the kept values `f` of
 * {@linkcode wasmColumnValues}; `v, w [N, 1]`. For "exp" (`f'= f/τ`, `F`
 * symmetric) this is `F_ij·(w_i + w_j)/τ` and neither `s` nor `v` is read
 * (null allowed).
 */
export function wasmSymmetricGradients(
  s: Tensor2D | null,
  f: Tensor2D,
  v: Tensor | null,
  w: Tensor,
  o: ColumnTermOptions,
  vrn?: BandVrn,
): Tensor2D {
  return tf.engine().runKernel(
    WASM_COLUMN_KERNELS.gradients,
    inputsOf({ s, f, v, w, kappa: vrn?.kappa ?? null }, ["v", "w", "kappa"]),
    attrsOf(o, vrn ? 1 : 0, vrn?.delta),
  ) as Tensor2D;
}

/**
 * InfoNCE's VRN term in the "exp" gradient: `κ·(S_ij − δ)` added off the
 * band `|i − j| ≤ 1` (`s` required), `κ` a one-element tensor (`4·∂L/∂q`
 * for `q` = {@linkcode wasmBandSquares}' total).
 */
export interface BandVrn {
  kappa: Tensor;
  delta: number;
}

/**
 * Row sums of `(S_ij − δ)²` over the negatives `|i − j| > band` of
 * `s [N, N]` → `[N]` (their total is InfoNCE's VRN sum; row by row, so a
 * float32 sum of N² squares keeps N-term partial sums).
 *
 * @example
 * ```ts
 * const q = tf.sum(wasmBandSquares(s, 0, 1)); // Σ_{|i−j|>1} S_ij²
 * ```
 */
export function wasmBandSquares(s: Tensor2D, delta: number, band: 0 | 1): Tensor1D {
  const o: ColumnTermOptions = { kind: "exp", temperature: 1, margin: 0, gamma: 0 };
  return tf.engine().runKernel(
    WASM_COLUMN_KERNELS.squares,
    { s },
    attrsOf(o, band, delta),
  ) as Tensor1D;
}
