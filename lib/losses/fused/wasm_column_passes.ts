/**
 * The kernel functions of wasm_kernels.ts: each reads its inputs from the
 * wasm backend's heap, writes the per-row records the passes of
 * wasm_column_module.ts read, runs them, and finishes the columns past the
 * SIMD groups (and the band) here, in float32 as tfjs' ops round.
 *
 * @module
 */
import type { tf } from "../../tf.ts";
import { ShapeError } from "../../errors.ts";
import { expScalar, floatOffset, symmetrizeInPlace } from "../../wasm/mod.ts";
import type { WasmBackendMemory } from "../../wasm/mod.ts";
import { GROUPS, RECORD } from "./wasm_column_module.ts";

/** Kernel names (registered for the wasm backend only). */
export const WASM_COLUMN_KERNELS = {
  values: "EmarginColumnValuesWasm",
  gradients: "EmarginSymmetricGradientsWasm",
  squares: "EmarginBandSquaresWasm",
} as const;

/** The attributes the kernels take. */
export interface ColumnAttrs {
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

/** The module's exported passes and the scratch space they use. */
export interface ColumnPasses {
  values: Exported;
  slopes: Exported;
  valuesStable: Exported;
  slopesStable: Exported;
  pairs: Exported;
  pairsVrn: Exported;
  squares: Exported;
  reserve: (floats: number) => number;
}

let kernels: ColumnPasses | null = null;

/** Binds the passes that the kernel functions below call (once, at registration). */
export function bindColumnPasses(passes: ColumnPasses): void {
  kernels = passes;
}

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

export function valuesKernel(
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

export function gradientsKernel(
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
export function squaresKernel(backend: WasmBackendMemory, s: tf.TensorInfo, o: ColumnAttrs) {
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
