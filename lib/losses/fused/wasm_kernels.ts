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
 * exponential: one pass forms `H`, and `H + Hᵀ` is summed in place, pair by
 * pair, so that `∂L/∂U = M·U` is one product.
 *
 * Why by hand: as tfjs ops the forward is about ten element-wise kernels
 * over `[N, N]` and the backward five more and a transpose, each a pass over
 * 10 MB at N = 1600; here the forward is one pass with one exponential per
 * entry and the backward two passes.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import { ShapeError } from "../../errors.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import {
  expScalar,
  floatOffset,
  instantiateOnHeap,
  scratchSpace,
  symmetrizeInPlace,
} from "../../wasm/mod.ts";
import type { WasmBackendMemory } from "../../wasm/mod.ts";
import type { ColumnTermOptions } from "./column_terms.ts";
import { columnModuleBytes, GROUPS, RECORD } from "./wasm_column_module.ts";

/** Kernel names (registered for the wasm backend only). */
export const WASM_COLUMN_KERNELS = {
  values: "EmarginColumnValuesWasm",
  gradients: "EmarginSymmetricGradientsWasm",
  squares: "EmarginBandSquaresWasm",
} as const;

/** The attributes both kernels take. */
interface ColumnAttrs {
  kind: "exp" | "margin" | "lsMargin" | "stable";
  temperature: number;
  margin: number;
  gamma: number;
  /** Half-width `k` of the band left out: 0 (the diagonal) or 1. */
  band: number;
  /** InfoNCE's VRN target δ (squares, and "exp" gradients with `kappa`). */
  delta: number;
}

const f32 = Math.fround;

/**
 * Column `j`'s `[p, a, b]` from its sim-vector entry, in float32 as tfjs' ops
 * form them ("stable": `a = −K_j`, `b = c_j`; see stableCoefficient).
 */
function coefficients(v: number, o: ColumnAttrs): [number, number, number] {
  if (o.kind === "exp") return [f32(1 / o.temperature), 0, 0];
  if (o.kind === "stable") {
    const c = f32(v * f32(o.gamma / (2 * o.temperature))), m = Math.max(0, o.margin);
    return [f32(1 / o.temperature), -f32(f32(c * f32(m * m)) + f32(1 / o.temperature)), c];
  }
  const scale = o.kind === "lsMargin" ? o.gamma / o.temperature : 1;
  const sign = o.kind === "lsMargin" ? -1 : 1;
  return [0, f32(f32(1 - v) * f32(0.5 * sign * scale)), f32(v * f32(0.5 * scale))];
}

/** The hinge's `m` lanes: the margin, or `1 − margin` for "stable" (`max(0, s − m)`). */
const hingeAt = (o: ColumnAttrs) => (o.kind === "stable" ? f32(1 - o.margin) : o.margin);

/** `max(0, m − s)`, or `max(0, s − m)` for "stable", in float32. */
const hingeValue = (s: number, m: number, o: ColumnAttrs) =>
  Math.max(o.kind === "stable" ? f32(s - m) : f32(m - s), 0);

/** `f(s)` of one entry by the kernel's steps, in float32 (scalar tails). */
function term(s: number, [p, a, b]: [number, number, number], o: ColumnAttrs): number {
  const h = hingeValue(s, hingeAt(o), o);
  const y = o.kind === "stable"
    ? f32(f32(f32(p * s) + f32(b * f32(h * h))) + a)
    : f32(f32(f32(p * s) + f32(a * f32(s * s))) + f32(b * f32(h * h)));
  return f32(expScalar(y));
}

type Exported = (...args: number[]) => void;
let kernels: {
  values: Exported;
  slopes: Exported;
  valuesStable: Exported;
  slopesStable: Exported;
  pairs: Exported;
  pairsVrn: Exported;
  squares: Exported;
  reserve: (floats: number) => number;
} | null = null;

/** Writes `values` four times each, side by side, from float offset `at`. */
function lanes(heap: Float32Array, at: number, values: number[]): void {
  values.forEach((x, k) => heap.fill(x, at + 4 * k, at + 4 * k + 4));
}

/** Float offset of `v`, or -1 where the kind reads no sim vector ("exp"). */
function simOffset(backend: WasmBackendMemory, v: tf.TensorInfo | undefined, o: ColumnAttrs) {
  if (o.kind === "exp") return -1;
  if (!v) {
    throw new ShapeError(`${WASM_COLUMN_KERNELS.values}: kind ${o.kind} needs the sim vector v`);
  }
  return floatOffset(backend, v);
}

function valuesKernel(
  backend: WasmBackendMemory,
  s: tf.TensorInfo,
  v: tf.TensorInfo | undefined,
  o: ColumnAttrs,
) {
  const [rows, n] = s.shape;
  const sums = backend.makeOutput([rows], "float32");
  const values = backend.makeOutput([rows, n], "float32");
  const groups = Math.floor(n / 4);
  const rec = kernels!.reserve(rows * RECORD + 4);
  const [ps, po, pf] = [s, sums, values].map((t) => floatOffset(backend, t));
  const pv = simOffset(backend, v, o);
  let heap = backend.wasm.HEAPF32;
  const params = Array.from({ length: rows }, (_, r) => coefficients(pv < 0 ? 0 : heap[pv + r], o));
  const { band } = o;
  params.forEach((c, r) => lanes(heap, rec + r * RECORD, [...c, hingeAt(o)]));
  new Int32Array(heap.buffer).set([0, 1, 2, 3], rec + rows * RECORD);
  const turns = Math.floor(groups / GROUPS), rest = groups % GROUPS;
  const lanesAt = 4 * (rec + rows * RECORD);
  (o.kind === "stable" ? kernels!.valuesStable : kernels!.values)(
    4 * ps,
    4 * pf,
    4 * po,
    4 * rec,
    lanesAt,
    rows,
    turns,
    rest,
    -band,
    2 * band + 1,
    4 * n,
  );
  heap = backend.wasm.HEAPF32;
  for (let r = 0; r < rows; r++) {
    const row = r * n;
    let sum = heap[po + r];
    for (let i = 4 * groups; i < n; i++) {
      heap[pf + row + i] = term(heap[ps + row + i], params[r], o);
      if (Math.abs(i - r) > band) sum = f32(sum + heap[pf + row + i]);
    }
    const own = heap[pf + row + r];
    if (o.kind === "margin") sum = f32(sum + term(0, params[r], o));
    else if (!Number.isFinite(own)) sum = NaN;
    heap[po + r] = sum;
    for (let i = Math.max(0, r - band); i <= Math.min(n - 1, r + band); i++) {
      heap[pf + row + i] *= 0;
    }
  }
  return [sums, values];
}

/**
 * `M_ij = F_ij·(γ_i + γ_j)`, `γ = w·p`: `H + Hᵀ` of the symmetric "exp"
 * values; with `kappa`, plus `κ·(S_ij − δ)` off the band (InfoNCE's VRN term).
 */
function pairGradients(
  backend: WasmBackendMemory,
  f: tf.TensorInfo,
  w: tf.TensorInfo,
  o: ColumnAttrs,
  s?: tf.TensorInfo,
  kappa?: tf.TensorInfo,
) {
  const n = f.shape[0];
  const out = backend.makeOutput([n, n], "float32");
  const groups = Math.floor(n / 4);
  const rec = kernels!.reserve(n * RECORD + n + 8);
  const [pf, pw, po] = [f, w, out].map((t) => floatOffset(backend, t));
  let heap = backend.wasm.HEAPF32;
  const [p] = coefficients(0, o);
  const gammas = Array.from({ length: n }, (_, j) => f32(heap[pw + j] * p));
  gammas.forEach((g, j) => lanes(heap, rec + j * RECORD, [0, 0, g, 0]));
  heap.set(gammas, rec + n * RECORD);
  const args = [4 * pf, 4 * po, 4 * (rec + n * RECORD), 4 * rec, n, groups, 4 * n];
  const vrn = s && kappa
    ? { ps: floatOffset(backend, s), k: heap[floatOffset(backend, kappa)] }
    : null;
  const delta = f32(o.delta);
  if (vrn) {
    const consts = rec + n * RECORD + n;
    lanes(heap, consts, [vrn.k, delta]);
    kernels!.pairsVrn(...args, 4 * vrn.ps, 4 * consts);
  } else kernels!.pairs(...args);
  heap = backend.wasm.HEAPF32;
  for (let i = 0; i < n; i++) {
    for (let j = 4 * groups; j < n; j++) {
      const at = i * n + j, pair = f32(heap[pf + at] * f32(gammas[i] + gammas[j]));
      heap[po + at] = vrn ? f32(pair + f32(vrn.k * f32(heap[vrn.ps + at] - delta))) : pair;
    }
  }
  if (vrn) {
    // the band's entries: F is 0 there and the VRN term leaves it out
    for (let i = 0; i < n; i++) {
      for (let j = Math.max(0, i - o.band); j <= Math.min(n - 1, i + o.band); j++) {
        heap[po + i * n + j] = 0;
      }
    }
  }
  return out;
}

function gradientsKernel(
  backend: WasmBackendMemory,
  s: tf.TensorInfo | undefined,
  f: tf.TensorInfo,
  v: tf.TensorInfo | undefined,
  w: tf.TensorInfo,
  o: ColumnAttrs,
  kappa?: tf.TensorInfo,
) {
  if (o.kind === "exp") return pairGradients(backend, f, w, o, s, kappa);
  if (!s || !v) {
    throw new ShapeError(`${WASM_COLUMN_KERNELS.gradients}: kind ${o.kind} needs s and v`);
  }
  const n = s.shape[0];
  const out = backend.makeOutput([n, n], "float32");
  const groups = Math.floor(n / 4);
  const rec = kernels!.reserve(n * RECORD);
  const [ps, pf, pv, pw, po] = [s, f, v, w, out].map((t) => floatOffset(backend, t));
  let heap = backend.wasm.HEAPF32;
  // [α, β, γ]: "stable"'s slope w·(1/τ + 2c·h) is (0·s − β·h) + γ with β = −2c·w
  const slopes = Array.from({ length: n }, (_, j) => {
    const [p, a, b] = coefficients(heap[pv + j], o), w = heap[pw + j], w2 = f32(w * 2);
    if (o.kind === "stable") return [0, -f32(f32(b * 2) * w), f32(w * p)];
    return [f32(a * w2), f32(b * w2), f32(w * p)];
  });
  const m = hingeAt(o);
  slopes.forEach((c, j) => lanes(heap, rec + j * RECORD, [...c, m]));
  (o.kind === "stable" ? kernels!.slopesStable : kernels!.slopes)(
    4 * ps,
    4 * pf,
    4 * po,
    4 * rec,
    n,
    groups,
    4 * n,
  );
  heap = backend.wasm.HEAPF32;
  for (let j = 0; j < n; j++) {
    const [alpha, beta, gamma] = slopes[j];
    for (let i = 4 * groups; i < n; i++) {
      const x = heap[ps + j * n + i], h = hingeValue(x, m, o);
      heap[po + j * n + i] = f32(
        heap[pf + j * n + i] * f32(f32(f32(alpha * x) - f32(beta * h)) + gamma),
      );
    }
  }
  symmetrizeInPlace(backend, po, n); // M = H + Hᵀ
  return out;
}

/** Per row `r`, `Σ_{|i−r|>band} (S_ri − δ)²`: InfoNCE's VRN sums over the negatives. */
function squaresKernel(backend: WasmBackendMemory, s: tf.TensorInfo, o: ColumnAttrs) {
  const [rows, n] = s.shape;
  const out = backend.makeOutput([rows], "float32");
  const groups = Math.floor(n / 4);
  const rec = kernels!.reserve(12);
  const [ps, po] = [s, out].map((t) => floatOffset(backend, t));
  let heap = backend.wasm.HEAPF32;
  const delta = f32(o.delta), band = o.band;
  lanes(heap, rec, [0, delta]);
  new Int32Array(heap.buffer).set([0, 1, 2, 3], rec + 8);
  kernels!.squares(
    4 * ps,
    4 * po,
    4 * (rec + 8),
    4 * rec,
    rows,
    groups,
    -band,
    2 * band + 1,
    4 * n,
  );
  heap = backend.wasm.HEAPF32;
  for (let r = 0; r < rows; r++) {
    let sum = heap[po + r];
    for (let i = 4 * groups; i < n; i++) {
      const d = f32(heap[ps + r * n + i] - delta);
      if (Math.abs(i - r) > band) sum = f32(sum + f32(d * d));
    }
    heap[po + r] = sum;
  }
  return out;
}

/** Registers the kernels on the wasm backend (idempotent); whether they are in place. */
function register(): boolean {
  if (kernels) return true;
  const instance = instantiateOnHeap(columnModuleBytes());
  if (!instance) return false;
  const { backend, exports } = instance;
  kernels = {
    values: exports.values as Exported,
    slopes: exports.slopes as Exported,
    valuesStable: exports.valuesStable as Exported,
    slopesStable: exports.slopesStable as Exported,
    pairs: exports.pairs as Exported,
    pairsVrn: exports.pairsVrn as Exported,
    squares: exports.squares as Exported,
    reserve: scratchSpace(backend),
  };
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
}

/**
 * Whether the wasm kernels compute a block of `o.kind`: on the wasm backend,
 * for the whole matrix (`rows === n`).
 */
export function wasmColumnKernelsActive(o: ColumnTermOptions, rows: number, n: number): boolean {
  return rows === n && tf.getBackend() === "wasm" && register();
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
