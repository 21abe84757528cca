/**
 * Train-mode BatchNorm followed by ReLU on the wasm backend, forward and
 * backward, as f32x4 passes over the rows of `x [N, C]` (`C` a multiple of
 * 4), with torch's formulas and tfjs' rounding order:
 *
 * ```
 * forward:  μ = Σ_r x / N,  σ² = Σ_r (x − μ)² / N,  ι = 1/√(σ² + ε)
 *           x̂ = (x − μ)·ι,  y = max(0, x̂·γ + β)
 * backward: g = dy·1[y > 0],  ∂β = Σ_r g,  ∂γ = Σ_r g·x̂
 *           ∂x = ((g − ∂β/N) − x̂·∂γ/N)·(γ·ι)
 * ```
 *
 * Every column sum runs over the rows in order, as `columnSum` does, so the
 * statistics and parameter gradients are those of the tfjs ops in
 * lib/encoders/batch_norm.ts bit for bit, and the rest to float32 rounding.
 *
 * Why by hand: as tfjs ops the pair is about twelve kernels forward and as
 * many backward, each a pass over `[N, C]` and a call through tfjs' engine;
 * here two passes forward (after the column sums) and two backward.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { assemble, assembleModule, I32, V128 } from "./emit.ts";
import { floatOffset, onWasmModule, scratchSpace } from "./backend_memory.ts";
import type { WasmBackendMemory } from "./backend_memory.ts";
import { installedRows } from "./rows.ts";

/** Kernel names (registered for the wasm backend only). */
export const BATCH_NORM_RELU_KERNELS = {
  forward: "BatchNormReluWasm",
  backward: "BatchNormReluGradWasm",
} as const;

/** The row loop shared by the passes: `body` per f32x4 group, the row pointers advanced. */
function rowLoop(pointers: string[], record: string, body: string): string {
  return `
  loop
    ${pointers.map((p) => `local.get ${p}0 local.set ${p}`).join(" ")}
    local.get ${record}0 local.set ${record}
    local.get groups local.set g
    loop
      ${body}
      ${pointers.map((p) => `local.get ${p} i32.const 16 i32.add local.set ${p}`).join(" ")}
      local.get ${record} i32.const 64 i32.add local.set ${record}
      local.get g i32.const 1 i32.sub local.tee g br_if 0
    end
    ${pointers.map((p) => `local.get ${p}0 local.get rowBytes i32.add local.set ${p}0`).join(" ")}
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
}

/** `relu'(y)·dy` on the stack from the locals `dyv`, `yv` (tfjs' `dy·step(y)`). */
const masked = `local.get dyv
  local.get yv local.get zero f32x4.gt local.get one v128.and
  f32x4.mul`;

/**
 * The four passes; each record holds four f32x4 per group of 4 columns
 * (64 bytes), read at immediate offsets:
 * - `squares(x, rec, rows, groups, rowBytes)`: rec `[μ, Σ(x − μ)², ·, ·]`, the sum accumulated;
 * - `normalise(x, xhat, y, rec, …)`: rec `[μ, ι, γ, β]`; `x̂` and `y` stored;
 * - `sums(dy, y, xhat, rec, …)`: rec `[Σg, Σg·x̂, ·, ·]` accumulated;
 * - `inputGrad(dy, y, xhat, dx, rec, …)`: rec `[∂β/N, ∂γ/N, γ·ι, ·]`; `∂x` stored.
 */
function passes(): { name: string; pointers: string[]; body: string }[] {
  return [{
    name: "squares",
    pointers: ["x"],
    body: `local.get x v128.load 0 local.get r v128.load 0 f32x4.sub local.set d
      local.get r local.get r v128.load 16 local.get d local.get d f32x4.mul f32x4.add v128.store 16`,
  }, {
    name: "normalise",
    pointers: ["x", "xhat", "y"],
    body:
      `local.get x v128.load 0 local.get r v128.load 0 f32x4.sub local.get r v128.load 16 f32x4.mul local.set d
      local.get xhat local.get d v128.store 0
      local.get y
      local.get d local.get r v128.load 32 f32x4.mul local.get r v128.load 48 f32x4.add
      local.get zero f32x4.max
      v128.store 0`,
  }, {
    name: "sums",
    pointers: ["dy", "y", "xhat"],
    body: `local.get dy v128.load 0 local.set dyv local.get y v128.load 0 local.set yv
      ${masked} local.set d
      local.get r local.get r v128.load 0 local.get d f32x4.add v128.store 0
      local.get r local.get r v128.load 16 local.get d local.get xhat v128.load 0 f32x4.mul f32x4.add v128.store 16`,
  }, {
    name: "inputGrad",
    pointers: ["dy", "y", "xhat", "dx"],
    body: `local.get dy v128.load 0 local.set dyv local.get y v128.load 0 local.set yv
      local.get dx
      ${masked} local.get r v128.load 0 f32x4.sub
      local.get xhat v128.load 0 local.get r v128.load 16 f32x4.mul f32x4.sub
      local.get r v128.load 32 f32x4.mul
      v128.store 0`,
  }];
}

/** The module exporting the four passes (arguments: the row pointers, the record, rows, groups, rowBytes). */
export function batchNormModuleBytes(): Uint8Array {
  return assembleModule(
    passes().map(({ name, pointers, body }) => {
      const params = [...pointers.map((p) => `${p}0`), "r0", "rows", "groups", "rowBytes"];
      const i32 = [...pointers, "r", "g"];
      const v128 = ["d", "dyv", "yv", "zero", "one"];
      const locals = [...params, ...i32, ...v128];
      const text = `f32x4.const 0 local.set zero f32x4.const 1 local.set one
      ${rowLoop(pointers, "r", body)}`;
      return {
        name,
        params: params.length,
        locals: locals.slice(params.length).map((l) => (v128.includes(l) ? V128 : I32)),
        body: assemble(text, locals),
      };
    }),
  );
}

type Pass = (...args: number[]) => void;
const f32 = Math.fround;

/** torch BatchNorm1d's ε. */
const EPS = 1e-5;

/** Writes `columns[k][c]` as record slot `k` of group `⌊c/4⌋`, lane `c mod 4`, from float offset `at`. */
function writeRecord(heap: Float32Array, at: number, columns: ArrayLike<number>[]): void {
  columns.forEach((values, k) => {
    for (let c = 0; c < values.length; c++) heap[at + 16 * (c >> 2) + 4 * k + (c & 3)] = values[c];
  });
}

/** Record slot `k` as `c` floats. */
function readRecord(heap: Float32Array, at: number, k: number, c: number): Float32Array {
  return Float32Array.from({ length: c }, (_, j) => heap[at + 16 * (j >> 2) + 4 * k + (j & 3)]);
}

/** The passes bound to the backend's memory, the row passes and the scratch space. */
interface BoundPasses {
  backend: WasmBackendMemory;
  squares: Pass;
  normalise: Pass;
  sums: Pass;
  inputGrad: Pass;
  columnSums: (dst: number, src: number, rows: number, width: number) => void;
  reserve: (floats: number) => number;
}

/** The forward kernel: `[y, x̂, μ, σ², ι]` of `x [N, C]`, `γ, β [C]`. */
function forward(p: BoundPasses, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo) {
  const { backend } = p;
  const [n, c] = x.shape;
  const outputs = [[n, c], [n, c], [c], [c], [c]].map((shape) =>
    backend.makeOutput(shape, "float32")
  );
  const [y, xhat, mean, variance, inv] = outputs;
  const rec = p.reserve(4 * c);
  const [px, py, pxhat, pmean, pvar, pinv, pgamma, pbeta] = [
    x,
    y,
    xhat,
    mean,
    variance,
    inv,
    gamma,
    beta,
  ].map((t) => floatOffset(backend, t));
  let heap = backend.wasm.HEAPF32;
  heap.fill(0, pmean, pmean + c);
  p.columnSums(pmean, px, n, c); // over the rows in order, as columnSum
  for (let j = 0; j < c; j++) heap[pmean + j] = f32(heap[pmean + j] / n);
  heap.fill(0, rec, rec + 4 * c);
  writeRecord(heap, rec, [heap.subarray(pmean, pmean + c)]);
  p.squares(4 * px, 4 * rec, n, c / 4, 4 * c);
  heap = backend.wasm.HEAPF32;
  const sq = readRecord(heap, rec, 1, c);
  for (let j = 0; j < c; j++) {
    heap[pvar + j] = f32(sq[j] / n);
    heap[pinv + j] = f32(1 / f32(Math.sqrt(f32(heap[pvar + j] + f32(EPS)))));
  }
  writeRecord(heap, rec, [pmean, pinv, pgamma, pbeta].map((q) => heap.subarray(q, q + c)));
  p.normalise(4 * px, 4 * pxhat, 4 * py, 4 * rec, n, c / 4, 4 * c);
  return outputs;
}

/** The backward kernel: `[∂x, ∂γ, ∂β]` from `dy` and the forward pass's `y, x̂`, `γ, ι`. */
function backward(p: BoundPasses, inputs: Record<string, tf.TensorInfo>) {
  const { backend } = p;
  const { dy } = inputs;
  const [n, c] = dy.shape;
  const outputs = [[n, c], [c], [c]].map((shape) => backend.makeOutput(shape, "float32"));
  const [dx, dGamma, dBeta] = outputs;
  const rec = p.reserve(4 * c);
  const [pdy, py, pxhat, pgamma, pinv, pdx, pdg, pdb] = [
    dy,
    inputs.y,
    inputs.xhat,
    inputs.gamma,
    inputs.inv,
    dx,
    dGamma,
    dBeta,
  ].map((t) => floatOffset(backend, t));
  let heap = backend.wasm.HEAPF32;
  heap.fill(0, rec, rec + 4 * c);
  p.sums(4 * pdy, 4 * py, 4 * pxhat, 4 * rec, n, c / 4, 4 * c);
  heap = backend.wasm.HEAPF32;
  heap.set(readRecord(heap, rec, 0, c), pdb);
  heap.set(readRecord(heap, rec, 1, c), pdg);
  const perRow = (q: number) => Float32Array.from({ length: c }, (_, j) => f32(heap[q + j] / n));
  const scale = Float32Array.from({ length: c }, (_, j) => f32(heap[pgamma + j] * heap[pinv + j]));
  writeRecord(heap, rec, [perRow(pdb), perRow(pdg), scale]);
  p.inputGrad(4 * pdy, 4 * py, 4 * pxhat, 4 * pdx, 4 * rec, n, c / 4, 4 * c);
  return outputs;
}

const register = onWasmModule(batchNormModuleBytes, (backend, exports) => {
  const rows = installedRows();
  if (!rows) return null;
  const bound: BoundPasses = {
    backend,
    squares: exports.squares as Pass,
    normalise: exports.normalise as Pass,
    sums: exports.sums as Pass,
    inputGrad: exports.inputGrad as Pass,
    columnSums: (dst, src, n, c) => rows.add(dst, src, n, c, 0, c),
    reserve: scratchSpace(backend),
  };
  const named = (inputs: unknown) => inputs as Record<string, tf.TensorInfo>;
  tf.registerKernel({
    kernelName: BATCH_NORM_RELU_KERNELS.forward,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => {
      const { x, gamma, beta } = named(inputs);
      return forward(bound, x, gamma, beta);
    },
  });
  tf.registerKernel({
    kernelName: BATCH_NORM_RELU_KERNELS.backward,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => backward(bound, named(inputs)),
  });
  return true;
});

/**
 * Whether {@linkcode wasmBatchNormRelu} runs here: on the wasm backend (with
 * its row passes installed) for `C` a multiple of 4 and at least one row.
 */
export function wasmBatchNormReluActive(n: number, c: number): boolean {
  return tf.getBackend() === "wasm" && n > 0 && c > 0 && c % 4 === 0 && register() !== null;
}

/** What the forward pass returns: the output and what the backward pass and the running statistics need. */
export interface BatchNormReluForward {
  /** `max(0, x̂·γ + β)`, `[N, C]`. */
  y: Tensor2D;
  /** `(x − μ)·ι`, `[N, C]`. */
  xhat: Tensor2D;
  /** `μ`, `[C]`. */
  mean: Tensor1D;
  /** `σ²` (biased), `[C]`. */
  variance: Tensor1D;
  /** `ι = 1/√(σ² + ε)`, `[C]`. */
  inv: Tensor1D;
}

/**
 * BatchNorm with batch statistics, then ReLU (see the module
 * documentation); call where {@linkcode wasmBatchNormReluActive}. No
 * gradient: {@linkcode wasmBatchNormReluGrad} is its backward pass.
 * Shapes: `x [N, C]`, `gamma, beta [C]`.
 *
 * @example
 * ```ts
 * const { y, xhat, inv } = wasmBatchNormRelu(h, gamma, beta);
 * const [dx, dGamma, dBeta] = wasmBatchNormReluGrad(dy, y, xhat, gamma, inv);
 * ```
 */
export function wasmBatchNormRelu(x: Tensor2D, gamma: Tensor, beta: Tensor): BatchNormReluForward {
  const [y, xhat, mean, variance, inv] = tf.engine().runKernel(
    BATCH_NORM_RELU_KERNELS.forward,
    { x, gamma, beta },
  ) as Tensor[];
  return {
    y: y as Tensor2D,
    xhat: xhat as Tensor2D,
    mean: mean as Tensor1D,
    variance: variance as Tensor1D,
    inv: inv as Tensor1D,
  };
}

/** `[∂x, ∂γ, ∂β]` of {@linkcode wasmBatchNormRelu} from `dy [N, C]` and what it returned. */
export function wasmBatchNormReluGrad(
  dy: Tensor,
  y: Tensor2D,
  xhat: Tensor2D,
  gamma: Tensor,
  inv: Tensor1D,
): [Tensor2D, Tensor1D, Tensor1D] {
  return tf.engine().runKernel(
    BATCH_NORM_RELU_KERNELS.backward,
    { dy, y, xhat, gamma, inv },
  ) as [Tensor2D, Tensor1D, Tensor1D];
}
