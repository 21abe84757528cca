/**
 * The dilated ConvBlocks of the TS2Vec encoder (models/dilated_conv.py):
 * `y = conv2(GELU(conv1(GELU(x)))) + residual(x)`, each `SamePadConv(GELU(·))`
 * (kernel 3) one op with its gradient written out ({@linkcode geluConv}; on
 * wasm through `taps_wasm.ts` and `lib/wasm/gelu.ts`).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { columnSum, linear } from "../ops/mod.ts";
import { GELU_KERNEL, wasmGeluActive } from "../wasm/mod.ts";
import { tapConv, tapConvInputGrad, tapConvWeightGrad, tapKernelsActive } from "./taps_wasm.ts";

type Tensor4D = tf.Tensor4D;

/** Plain product inside a custom-gradient op (no tape of its own). */
const matMul = (a: Tensor, b: Tensor): Tensor2D => tf.matMul(a as Tensor2D, b as Tensor2D);

/**
 * Creates a uniform `U(−1/√fanIn, 1/√fanIn)` variable `name` of `shape`,
 * recording its torch shape where it differs; draws come from one stream in
 * call order.
 */
export type AddParameter = (
  name: string,
  shape: number[],
  fanIn: number,
  torchShape?: number[],
) => Variable;

/** One `SamePadConv`. */
export interface Conv {
  /** `[out, in·k]` with taps k-major: column `k·in + c` holds torch `weight[o, c, k]`. */
  weight: Variable;
  bias: Variable;
}

/** One ConvBlock; `projector` is the 1×1 residual projection (final block or width change). */
export interface Block {
  conv1: Conv;
  conv2: Conv;
  dilation: number;
  projector: { weight: Variable; bias: Variable } | null;
}

/** Kernel size of every `SamePadConv`. */
export const KERNEL = 3;

type Saver = (tensors: Tensor[]) => void;

/** `Φ(x) = ½·(1 + erf(x/√2))`. */
const normalCdf = (x: Tensor): Tensor => tf.add(tf.mul(tf.erf(tf.mul(x, Math.SQRT1_2)), 0.5), 0.5);

/** `GELU'(x) = Φ(x) + x·φ(x)`, `φ(x) = exp(−x²/2)/√(2π)`, given `cdf = Φ(x)`. */
const geluSlope = (x: Tensor, cdf: Tensor): Tensor =>
  tf.add(cdf, tf.mul(x, tf.mul(tf.exp(tf.mul(tf.square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI))));

/**
 * GELU's value and what its backward pass keeps: on wasm the slope itself,
 * from one pass of `lib/wasm/gelu.ts`; elsewhere `[x, Φ(x)]`, the slope
 * formed only if a gradient is asked for.
 */
function geluForward(x: Tensor): { value: Tensor; kept: Tensor[] } {
  if (wasmGeluActive()) {
    const [value, slope] = tf.engine().runKernel(GELU_KERNEL, { x }) as Tensor[];
    return { value, kept: [slope] };
  }
  const cdf = normalCdf(x);
  return { value: tf.mul(x, cdf), kept: [x, cdf] };
}

/** `GELU'(x)` from what {@linkcode geluForward} kept. */
const geluKeptSlope = (kept: Tensor[]): Tensor =>
  kept.length === 1 ? kept[0] : geluSlope(kept[0], kept[1]);

// The derivative is written out (`Φ(x) + x·φ(x)`): autodiff of the
// composition costs about twice the element-wise passes.
const geluWithGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [x, save] = args as [Tensor, Saver];
  const { value, kept } = geluForward(x);
  save(kept);
  return {
    value,
    gradFunc: (dy: Tensor, saved: Tensor[]) => [tf.mul(dy, geluKeptSlope(saved))],
  };
}) as (x: Tensor) => Tensor;

/**
 * Exact GELU (torch default): `x·Φ(x) = ½·x·(1 + erf(x/√2))`, with the
 * gradient `Φ(x) + x·φ(x)`, `φ(x) = exp(−x²/2)/√(2π)`; `erf` by
 * Abramowitz–Stegun 7.1.26 (tfjs' and the WebGPU step's).
 */
export function gelu(x: Tensor): Tensor {
  return geluWithGrad(x);
}

/**
 * The taps of `a [B, T, C]` side by side and transposed,
 * `[a(t−d), a(t), a(t+d)]ᵀ` (zero outside `0..T−1`) → `[3C, B·T]`, row
 * `k·C + c`. The shifts are cut from `a` as `[B, T·C]` rows (one copy per
 * sequence, not per frame) and the taps stacked before one transpose.
 */
function im2colT(a: Tensor3D, d: number): Tensor2D {
  const [b, t, c] = a.shape;
  const rows = tf.reshape(a, [b, t * c]);
  const kept = (t - d) * c;
  const before = tf.pad(tf.slice(rows, [0, 0], [b, kept]), [[0, 0], [d * c, 0]]);
  const after = tf.pad(tf.slice(rows, [0, d * c], [b, kept]), [[0, 0], [0, d * c]]);
  const taps = tf.reshape(tf.concat([before, rows, after], 0), [KERNEL, b * t, c]);
  return tf.reshape(tf.transpose(taps, [0, 2, 1]), [KERNEL * c, b * t]);
}

/**
 * The weight `[out, 3C]` (taps k-major) as a `[1, 3, C, out]` conv2d filter,
 * or with `flipped` as the filter of the input gradient, `[1, 3, out, C]`
 * with the taps reversed (`F'[0, j, o, c] = W[o, (2−j)·C + c]`).
 */
function tapFilter(w: Tensor2D, flipped: boolean): Tensor {
  const [out, kc] = w.shape;
  const c = kc / KERNEL;
  if (!flipped) {
    return tf.reshape(tf.transpose(tf.reshape(w, [out, KERNEL, c]), [1, 2, 0]), [
      1,
      KERNEL,
      c,
      out,
    ]);
  }
  const taps = [2, 1, 0].map((k) => tf.reshape(tf.slice(w, [0, k * c], [out, c]), [1, out, c]));
  return tf.reshape(tf.concat(taps, 0), [1, KERNEL, out, c]);
}

/**
 * `SamePadConv(GELU(x))` as one op: kernel 3, dilation `d`, on `x [B, T, C]`,
 * weight `w [out, 3C]` (taps k-major), bias `[out]` → `[B, T, out]`:
 *
 * ```
 * a = x·Φ(x)
 * y[t] = W₀·a[t−d] + W₁·a[t] + W₂·a[t+d] + b        (zero outside 0..T−1)
 * ∂a = conv(∂y, W flipped and transposed)           (the same dilated conv)
 * ∂W = (im2col(a)ᵀ·∂y)ᵀ,  ∂b = 1ᵀ·∂y,  ∂x = ∂a·(Φ(x) + x·φ(x))
 * ```
 *
 * On wasm with `lib/wasm/gemm.ts` (and widths that are multiples of 4) the
 * three passes are the tap kernels of `taps_wasm.ts`, products over row
 * ranges, and GELU with its slope is one SIMD pass (`lib/wasm/gelu.ts`).
 * Elsewhere the forward and input gradient are dilated 2-D convolutions
 * (tfjs has no gradient for dilated convolutions, so it is written here)
 * and the weight gradient one product of the gathered taps. When `d ≥ T`
 * the outer taps only see padding: the centre tap alone is a product and
 * the outer taps get a zero gradient.
 */
export function geluConv(x: Tensor3D, w: Tensor2D, bias: Tensor, d: number): Tensor3D {
  const [b, t, c] = x.shape;
  const out = w.shape[0];
  const centreOnly = d >= t;
  const onTaps = tapKernelsActive(c, out);
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [sx, sw, sb, save] = args as [Tensor3D, Tensor2D, Tensor, Saver];
    const { value, kept } = geluForward(sx);
    const a = value as Tensor3D;
    save([a, sw, ...kept]);
    const y = onTaps
      ? tapConv(a, sw, sb, d)
      : centreOnly
      ? tf.add(matMul(tf.reshape(a, [b * t, c]), tf.transpose(tf.slice(sw, [0, c], [out, c]))), sb)
      : tf.fused.conv2d({
        x: tf.reshape(a, [b, 1, t, c]) as Tensor4D,
        filter: tapFilter(sw, false) as Tensor4D,
        strides: 1,
        pad: "same",
        dilations: [1, d],
        bias: sb,
      });
    return {
      value: tf.reshape(y, [b, t, out]) as Tensor3D,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [pa, pw, ...kept] = saved as [Tensor3D, Tensor2D, ...Tensor[]];
        if (onTaps) {
          const g3 = dy as Tensor3D;
          const dx = tapConvInputGrad(g3, pw, geluKeptSlope(kept), d);
          return [dx, ...tapConvWeightGrad(pa, g3, d)];
        }
        const g = tf.reshape(dy, [b * t, out]) as Tensor2D;
        let da: Tensor, dw: Tensor;
        if (centreOnly) {
          const a2 = tf.reshape(pa, [b * t, c]) as Tensor2D;
          da = matMul(g, tf.slice(pw, [0, c], [out, c]) as Tensor2D);
          dw = tf.pad(tf.transpose(matMul(tf.transpose(a2), g)), [[0, 0], [c, c]]);
        } else {
          dw = tf.transpose(matMul(im2colT(pa, d), g));
          da = tf.conv2d(
            tf.reshape(dy, [b, 1, t, out]) as Tensor4D,
            tapFilter(pw, true) as Tensor4D,
            1,
            "same",
            "NHWC",
            [1, d],
          );
        }
        const dx = tf.mul(tf.reshape(da, [b, t, c]), geluKeptSlope(kept));
        return [dx, dw, columnSum(g)];
      },
    };
  }) as (x: Tensor3D, w: Tensor2D, b: Tensor) => Tensor3D;
  return op(x, w, bias);
}

/**
 * The ConvBlocks `feature_extractor.net.{0..depth}`: `depth` blocks
 * `hidden → hidden` with dilation `2^i`, then one `hidden → outFeatures` with
 * dilation `2^depth` and a projector. Per block the variables are created in
 * the order conv1 weight, bias, conv2 weight, bias, projector weight, bias.
 */
export function createConvBlocks(
  add: AddParameter,
  hidden: number,
  outFeatures: number,
  depth: number,
): Block[] {
  const blocks: Block[] = [];
  for (let i = 0; i <= depth; i++) {
    const final = i === depth;
    const cin = hidden, cout = final ? outFeatures : hidden;
    const prefix = `feature_extractor.net.${i}`;
    const conv = (name: string, cIn: number): Conv => ({
      weight: add(`${prefix}.${name}.conv.weight`, [cout, KERNEL * cIn], cIn * KERNEL, [
        cout,
        cIn,
        KERNEL,
      ]),
      bias: add(`${prefix}.${name}.conv.bias`, [cout], cIn * KERNEL),
    });
    const conv1 = conv("conv1", cin);
    const conv2 = conv("conv2", cout);
    const projector = cin !== cout || final
      ? {
        weight: add(`${prefix}.projector.weight`, [cout, cin], cin, [cout, cin, 1]),
        bias: add(`${prefix}.projector.bias`, [cout], cin),
      }
      : null;
    blocks.push({ conv1, conv2, dilation: 2 ** i, projector });
  }
  return blocks;
}

/** One ConvBlock on `h [B, T, C]` → `[B, T, C_out]`: `geluConv₂(geluConv₁(h)) + residual(h)`. */
export function convBlock(h: Tensor3D, block: Block): Tensor3D {
  const [bb, tt, c] = h.shape;
  const residual = block.projector
    ? tf.reshape(
      linear(
        tf.reshape(h, [bb * tt, c]) as Tensor2D,
        block.projector.weight as Tensor2D,
        block.projector.bias,
      ),
      [bb, tt, block.projector.weight.shape[0]],
    )
    : h;
  const { conv1, conv2, dilation } = block;
  const y1 = geluConv(h, conv1.weight as Tensor2D, conv1.bias, dilation);
  const y2 = geluConv(y1, conv2.weight as Tensor2D, conv2.bias, dilation);
  return tf.add(y2, residual) as Tensor3D;
}
