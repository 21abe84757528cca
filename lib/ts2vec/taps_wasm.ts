/**
 * The dilated `SamePadConv` (kernel 3) on the wasm backend as products of
 * `lib/wasm/gemm.ts` between row ranges of its buffers, one tfjs kernel per
 * pass. With `a [B, T, C]`, `w [O, 3C]` (taps k-major, `W_k = w[:, kC:(k+1)C]`),
 * dilation `d`, rows outside `0..T−1` zero:
 *
 * ```
 * TapConv:            y[t]  = a[t−d]·W₀ᵀ + a[t]·W₁ᵀ + a[t+d]·W₂ᵀ + b
 * TapConvInputGrad:   ∂x[s] = (∂y[s+d]·W₀ + ∂y[s]·W₁ + ∂y[s−d]·W₂) ⊙ slope[s]
 * TapConvWeightGrad:  ∂W₀ = Σ_{b, t≥d} ∂y[t]ᵀ·a[t−d],  ∂W₁ = Σ ∂y[t]ᵀ·a[t],
 *                     ∂W₂ = Σ_{b, t<T−d} ∂y[t]ᵀ·a[t+d],  ∂b = Σ_{b,t} ∂y[t]
 * ```
 *
 * The centre tap is one product over all `B·T` rows, written in place; each
 * outer tap one batched product over the `T − d` rows of every sequence that
 * it reaches (none when `d ≥ T`), added to the shifted rows
 * (`lib/wasm/rows.ts`). Nothing is gathered or transposed: the tap's
 * columns of `w` are read with `w`'s row stride. The outer taps' weight
 * gradients are summed over the sequences in order, so they differ from one
 * product over all rows in the last bits.
 *
 * Why by hand: tfjs has no gradient for dilated convolutions, XNNPACK's
 * convolution runs at 21–29 GFLOP/s here against the GEMM's ≈ 40, and the
 * weight gradient as one product needs the taps gathered (a pad, a slice and
 * a concatenation per tap, and a transpose), about a third of the
 * convolution's own time.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../tf.ts";
import { installedGemm, installedRows } from "../wasm/mod.ts";
import type { BoundGemm, RowOp, RowPass } from "../wasm/mod.ts";

type TensorInfo = tf.TensorInfo;

/** The parts of tfjs' wasm backend the kernels use (not in its public types). */
interface WasmBackendLike {
  wasm: {
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    asm?: { memory?: unknown };
  };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: "float32"): TensorInfo;
}

/** Kernel names (registered for the wasm backend only). */
export const TAP_KERNELS = {
  forward: "TapConv",
  inputGrad: "TapConvInputGrad",
  weightGrad: "TapConvWeightGrad",
} as const;

/** What every kernel call needs: the backend, its GEMM, the row passes and scratch space. */
interface Context {
  backend: WasmBackendLike;
  gemm: BoundGemm;
  rows: Record<RowOp, RowPass>;
  /** Float offset of at least `floats` floats of scratch (reused; valid until the next call). */
  scratch(floats: number): number;
  /** Float offset of a tensor's data. */
  at(t: TensorInfo): number;
}

let registered = false;
let scratch = 0, scratchFloats = 0;

function context(backend: WasmBackendLike): Context {
  const gemm = installedGemm(), rowsBound = installedRows();
  if (!gemm || !rowsBound) throw new Error("tap kernels: the wasm GEMM is not installed");
  return {
    backend,
    gemm,
    rows: rowsBound,
    scratch(floats) {
      if (floats > scratchFloats) {
        if (scratch !== 0) backend.wasm._free(scratch);
        scratchFloats = Math.max(floats, Math.ceil(scratchFloats * 1.5));
        scratch = backend.wasm._malloc(4 * scratchFloats) >>> 0;
      }
      return scratch >>> 2;
    },
    at: (t) => backend.getMemoryOffset(t.dataId) >>> 2,
  };
}

/**
 * For each outer tap (`k = 0`: row `t` takes row `t − d`; `k = 2`: `t + d`),
 * the offsets, in rows of a sequence, of the `T − d` rows read and written.
 */
const OUTER = [
  { k: 0, read: 0, write: (d: number) => d },
  { k: 2, read: (d: number) => d, write: 0 },
] as const;
const rowsAt = (v: number | ((d: number) => number), d: number) => typeof v === "number" ? v : v(d);

function forward(
  ctx: Context,
  a: TensorInfo,
  w: TensorInfo,
  bias: TensorInfo,
  d: number,
): TensorInfo {
  const [b, t, c] = a.shape;
  const o = w.shape[0];
  const y = ctx.backend.makeOutput([b, t, o], "float32");
  const [pa, pw, pb, py] = [a, w, bias, y].map(ctx.at);
  const tap = { k: c, n: o, transposeA: false, transposeB: true, ldb: 3 * c };
  ctx.gemm.run(pa, pw + c, py, { m: b * t, ...tap }, 1, 0, 0);
  const span = t - d;
  if (span > 0) {
    const z = ctx.scratch(b * span * o);
    for (const { k, read, write } of OUTER) {
      ctx.gemm.run(pa + rowsAt(read, d) * c, pw + k * c, z, { m: span, ...tap }, b, t * c, 0);
      for (let s = 0; s < b; s++) {
        ctx.rows.add(py + (s * t + rowsAt(write, d)) * o, z + s * span * o, span, o, o, o);
      }
    }
  }
  ctx.rows.add(py, pb, b * t, o, o, 0);
  return y;
}

function inputGrad(
  ctx: Context,
  dy: TensorInfo,
  w: TensorInfo,
  slope: TensorInfo,
  d: number,
): TensorInfo {
  const [b, t, o] = dy.shape;
  const c = w.shape[1] / 3;
  const dx = ctx.backend.makeOutput([b, t, c], "float32");
  const [pdy, pw, ps, pdx] = [dy, w, slope, dx].map(ctx.at);
  const tap = { k: o, n: c, transposeA: false, transposeB: false, ldb: 3 * c };
  ctx.gemm.run(pdy, pw + c, pdx, { m: b * t, ...tap }, 1, 0, 0);
  const span = t - d;
  if (span > 0) {
    const z = ctx.scratch(b * span * c);
    // ∂x[s] takes ∂y[s + d]·W₀ and ∂y[s − d]·W₂: the forward's reads and writes swapped
    for (const { k, read, write } of OUTER) {
      ctx.gemm.run(pdy + rowsAt(write, d) * o, pw + k * c, z, { m: span, ...tap }, b, t * o, 0);
      for (let s = 0; s < b; s++) {
        ctx.rows.add(pdx + (s * t + rowsAt(read, d)) * c, z + s * span * c, span, c, c, c);
      }
    }
  }
  ctx.rows.mul(pdx, ps, 1, b * t * c, 0, 0);
  return dx;
}

function weightGrad(
  ctx: Context,
  a: TensorInfo,
  dy: TensorInfo,
  d: number,
): TensorInfo[] {
  const [b, t, c] = a.shape;
  const o = dy.shape[2];
  const dw = ctx.backend.makeOutput([o, 3 * c], "float32");
  const db = ctx.backend.makeOutput([o], "float32");
  const span = t - d;
  const z = ctx.scratch((span > 0 ? b : 1) * o * c);
  const [pa, pdy, pw, pb] = [a, dy, dw, db].map(ctx.at);
  const tap = { m: o, n: c, transposeA: true, transposeB: false };
  ctx.gemm.run(pdy, pa, z, { k: b * t, ...tap }, 1, 0, 0);
  ctx.rows.copy(pw + c, z, o, c, 3 * c, c);
  for (const { k, read, write } of OUTER) {
    if (span > 0) {
      const from = { dy: rowsAt(write, d) * o, a: rowsAt(read, d) * c };
      ctx.gemm.run(pdy + from.dy, pa + from.a, z, { k: span, ...tap }, b, t * o, t * c);
      ctx.rows.copy(pw + k * c, z, o, c, 3 * c, c);
      for (let s = 1; s < b; s++) ctx.rows.add(pw + k * c, z + s * o * c, o, c, 3 * c, c);
    } else {
      const heap = ctx.backend.wasm.HEAPF32;
      for (let r = 0; r < o; r++) {
        heap.fill(0, pw + r * 3 * c + k * c, pw + r * 3 * c + (k + 1) * c);
      }
    }
  }
  ctx.backend.wasm.HEAPF32.fill(0, pb, pb + o);
  ctx.rows.add(pb, pdy, b * t, o, 0, o);
  return [dw, db];
}

/** Registers the three kernels once (needs the wasm backend started). */
function register(): boolean {
  if (registered) return true;
  const backend = tf.findBackend("wasm") as unknown as WasmBackendLike | null;
  if (!backend || !installedRows()) return false;
  type Inputs = Record<string, TensorInfo>;
  const kernel = (
    name: string,
    f: (ctx: Context, x: Inputs, d: number) => TensorInfo | TensorInfo[],
  ) =>
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs }) =>
        f(context(backend), inputs as Inputs, (attrs as { dilation: number }).dilation),
    });
  kernel(TAP_KERNELS.forward, (ctx, x, d) => forward(ctx, x.a, x.w, x.bias, d));
  kernel(TAP_KERNELS.inputGrad, (ctx, x, d) => inputGrad(ctx, x.dy, x.w, x.slope, d));
  kernel(TAP_KERNELS.weightGrad, (ctx, x, d) => weightGrad(ctx, x.a, x.dy, d));
  registered = true;
  return true;
}

/**
 * Whether the tap kernels run here: on the wasm backend with
 * `lib/wasm/gemm.ts` installed and widths that are multiples of 4
 * (registers them on first use).
 */
export function tapKernelsActive(c: number, o: number): boolean {
  return tf.getBackend() === "wasm" && installedGemm() !== null && c % 4 === 0 && o % 4 === 0 &&
    register();
}

/** `y [B, T, O]` of the tap convolution (see the module formula). */
export function tapConv(a: Tensor3D, w: Tensor2D, bias: Tensor, dilation: number): Tensor3D {
  return tf.engine().runKernel(TAP_KERNELS.forward, { a, w, bias }, { dilation }) as Tensor3D;
}

/** `∂x [B, T, C]` from `∂y [B, T, O]`, `w` and the GELU slope `[B, T, C]`. */
export function tapConvInputGrad(
  dy: Tensor3D,
  w: Tensor2D,
  slope: Tensor,
  dilation: number,
): Tensor3D {
  return tf.engine().runKernel(TAP_KERNELS.inputGrad, { dy, w, slope }, { dilation }) as Tensor3D;
}

/** `[∂W [O, 3C], ∂b [O]]` from `a [B, T, C]` and `∂y [B, T, O]`. */
export function tapConvWeightGrad(a: Tensor3D, dy: Tensor3D, dilation: number): [Tensor2D, Tensor] {
  const [dw, db] = tf.engine().runKernel(TAP_KERNELS.weightGrad, { a, dy }, {
    dilation,
  }) as Tensor[];
  return [dw as Tensor2D, db];
}
