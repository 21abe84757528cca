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
 * Each pass is one product over all `B·T` rows with the three taps side by
 * side, then strided row passes (`lib/wasm/rows.ts`) that add each outer
 * tap's block to the rows it reaches, sequence by sequence:
 * - forward: `z = a·[W₀ᵀ | W₁ᵀ | W₂ᵀ]` `[B·T, 3O]` (the taps' columns of `w`
 *   copied as rows first, `3·O·C` floats), `y = z₁ + shift(z₀) + shift(z₂) + b`;
 * - input gradient: `g = ∂y·w` `[B·T, 3C]` as `w` is stored, likewise;
 * - weight gradient: `e = [∂y[s + d] | ∂y[s] | ∂y[s − d]]` `[B·T, 3O]` (zero
 *   past each sequence), `eᵀ·a` `[3O, C]` holds `∂W_k` by tap.
 * When `d ≥ T` the outer taps see only padding: the centre tap's product is
 * all (the outer taps' weight gradients are zero).
 *
 * Why by hand: tfjs has no gradient for dilated convolutions, XNNPACK's
 * convolution runs at 21–29 GFLOP/s here against the GEMM's ≈ 40, and the
 * weight gradient from tfjs ops needs the taps gathered (a pad, a slice and
 * a concatenation per tap, and a transpose), about a third of the
 * convolution's own time.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../tf.ts";
import {
  floatOffset,
  installedGemm,
  installedRows,
  onWasmBackend,
  scratchSpace,
} from "../wasm/mod.ts";
import type { BoundGemm, RowOp, RowPass, WasmBackendMemory } from "../wasm/mod.ts";

type TensorInfo = tf.TensorInfo;

/** Kernel names (registered for the wasm backend only). */
export const TAP_KERNELS = {
  forward: "TapConv",
  inputGrad: "TapConvInputGrad",
  weightGrad: "TapConvWeightGrad",
} as const;

/** What every kernel call needs: the backend, its GEMM, the row passes and scratch space. */
interface Context {
  backend: WasmBackendMemory;
  gemm: BoundGemm;
  rows: Record<RowOp, RowPass>;
  /** Float offset of at least `floats` floats of scratch (reused; valid until the next call). */
  scratch(floats: number): number;
  /** Float offset of a tensor's data. */
  at(t: TensorInfo): number;
}

let reserve: ((floats: number) => number) | null = null;

function context(backend: WasmBackendMemory): Context {
  const gemm = installedGemm(), rowsBound = installedRows();
  if (!gemm || !rowsBound) throw new Error("tap kernels: the wasm GEMM is not installed");
  reserve ??= scratchSpace(backend);
  return {
    backend,
    gemm,
    rows: rowsBound,
    scratch: reserve,
    at: (t) => floatOffset(backend, t),
  };
}

/**
 * Adds the outer taps' column blocks of `z [B·T, 3W]` (block `k` at columns
 * `kW`) to `out [B·T, W]`, each sequence's rows shifted by the dilation: block
 * `lead` (row `t` takes `z[t − d]`) and block `2 − lead` (`z[t + d]`).
 */
function addShifted(
  ctx: Context,
  out: number,
  z: number,
  b: number,
  t: number,
  width: number,
  d: number,
  lead: 0 | 2,
): void {
  const span = t - d;
  for (let s = 0; s < b; s++) {
    const first = s * t;
    // row first + d + i takes z[first + i] from block `lead`, row first + i takes z[first + d + i] from the other
    ctx.rows.add(
      out + (first + d) * width,
      z + first * 3 * width + lead * width,
      span,
      width,
      width,
      3 * width,
    );
    ctx.rows.add(
      out + first * width,
      z + (first + d) * 3 * width + (2 - lead) * width,
      span,
      width,
      width,
      3 * width,
    );
  }
}

/**
 * `out [B·T, W]` from the three taps' products `x·taps` `[B·T, 3W]`: the
 * centre block plus the outer blocks shifted by the dilation (`lead` as in
 * {@linkcode addShifted}), or, when `d ≥ T`, the centre tap's product alone
 * straight into `out`. `product(into, taps)` makes the products of `taps`
 * (1: the centre; 3: all side by side) at float offset `into`.
 */
function tapSum(
  ctx: Context,
  out: number,
  [b, t, width]: number[],
  d: number,
  lead: 0 | 2,
  product: (into: number, taps: 1 | 3) => void,
): void {
  if (d >= t) return product(out, 1);
  const z = ctx.scratch(b * t * 3 * width);
  product(z, 3);
  ctx.rows.copy(out, z + width, b * t, width, width, 3 * width);
  addShifted(ctx, out, z, b, t, width, d, lead);
}

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
  // the taps' columns of w as rows side by side, [W₀; W₁; W₂] [3O, C], after tapSum's scratch
  const wt = ctx.scratch(b * t * 3 * o + 3 * o * c) + b * t * 3 * o;
  tapSum(ctx, py, [b, t, o], d, 0, (into, taps) => {
    if (taps === 3) {
      for (let k = 0; k < 3; k++) ctx.rows.copy(wt + k * o * c, pw + k * c, o, c, c, 3 * c);
    }
    const shape = { m: b * t, k: c, n: taps * o, transposeA: false, transposeB: true };
    if (taps === 3) ctx.gemm.run(pa, wt, into, shape, 1, 0, 0);
    else ctx.gemm.run(pa, pw + c, into, { ...shape, ldb: 3 * c }, 1, 0, 0);
  });
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
  // ∂y·w [B·T, 3C] as w is stored: block k is ∂y·W_k; ∂x[s] takes block 0 from ∂y[s + d]
  tapSum(ctx, pdx, [b, t, c], d, 2, (into, taps) => {
    const shape = { m: b * t, k: o, n: taps * c, transposeA: false, transposeB: false, ldb: 3 * c };
    ctx.gemm.run(pdy, taps === 3 ? pw : pw + c, into, shape, 1, 0, 0);
  });
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
  const [pa, pdy, pw, pb] = [a, dy, dw, db].map(ctx.at);
  const heap = () => ctx.backend.wasm.HEAPF32;
  if (d >= t) {
    // centre tap only: ∂W₁ = ∂yᵀ·a, the outer taps' columns zero
    const z = ctx.scratch(o * c);
    ctx.gemm.run(
      pdy,
      pa,
      z,
      { m: o, k: b * t, n: c, transposeA: true, transposeB: false },
      1,
      0,
      0,
    );
    heap().fill(0, pw, pw + 3 * o * c);
    ctx.rows.copy(pw + c, z, o, c, 3 * c, c);
  } else {
    // e [B·T, 3O], row s = [∂y[s + d] | ∂y[s] | ∂y[s − d]] (zero past the sequence), then
    // ∂Wᵀ stacked by tap = eᵀ·a [3O, C], one product over every row
    const e = ctx.scratch(b * t * 3 * o + 3 * o * c), z = e + b * t * 3 * o;
    const span = t - d;
    ctx.rows.copy(e + o, pdy, b * t, o, 3 * o, o);
    for (let s = 0; s < b; s++) {
      const first = s * t;
      ctx.rows.copy(e + first * 3 * o, pdy + (first + d) * o, span, o, 3 * o, o);
      ctx.rows.copy(e + (first + d) * 3 * o + 2 * o, pdy + first * o, span, o, 3 * o, o);
      const h = heap();
      for (let i = 0; i < d; i++) {
        const tail = e + (first + span + i) * 3 * o, head = e + (first + i) * 3 * o + 2 * o;
        h.fill(0, tail, tail + o);
        h.fill(0, head, head + o);
      }
    }
    ctx.gemm.run(
      e,
      pa,
      z,
      { m: 3 * o, k: b * t, n: c, transposeA: true, transposeB: false },
      1,
      0,
      0,
    );
    for (let k = 0; k < 3; k++) ctx.rows.copy(pw + k * c, z + k * o * c, o, c, 3 * c, c);
  }
  heap().fill(0, pb, pb + o);
  ctx.rows.add(pb, pdy, b * t, o, 0, o);
  return [dw, db];
}

/** Registers the three kernels once (needs the wasm backend started, its row passes installed). */
const register = onWasmBackend((backend) => {
  if (!installedRows()) return null;
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
  return true;
});

/**
 * Whether the tap kernels run here: on the wasm backend with
 * `lib/wasm/gemm.ts` installed and widths that are multiples of 4
 * (registers them on first use).
 */
export function tapKernelsActive(c: number, o: number): boolean {
  return tf.getBackend() === "wasm" && installedGemm() !== null && c % 4 === 0 && o % 4 === 0 &&
    register() !== null;
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
