/**
 * The dilated ConvBlocks of the TS2Vec encoder (models/dilated_conv.py):
 * `y = conv2(GELU(conv1(GELU(x)))) + residual(x)`, each conv a kernel-3
 * `SamePadConv` computed as one product of the three dilated taps.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { linear } from "../ops/mod.ts";

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

// The derivative is written out (`Φ(x) + x·φ(x)`): autodiff of the
// composition costs about twice the element-wise passes.
const geluWithGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [x, save] = args as [Tensor, Saver];
  const cdf = tf.mul(tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))), 0.5);
  save([x, cdf]);
  return {
    value: tf.mul(x, cdf),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sx, sCdf] = saved;
      const density = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return [tf.mul(dy, tf.add(sCdf, tf.mul(sx, density)))];
    },
  };
}) as (x: Tensor) => Tensor;

/**
 * Exact GELU (torch default): `x·Φ(x) = ½·x·(1 + erf(x/√2))`, with the
 * gradient `Φ(x) + x·φ(x)`, `φ(x) = exp(−x²/2)/√(2π)`.
 */
export function gelu(x: Tensor): Tensor {
  return geluWithGrad(x);
}

/**
 * `SamePadConv` with kernel 3 and dilation `d` on `x [B, T, C]`:
 * `y[t] = W₀·x[t−d] + W₁·x[t] + W₂·x[t+d] + b` (zero outside `0..T−1`).
 */
function samePadConv(x: Tensor3D, conv: Conv, dilation: number): Tensor3D {
  const [b, t, c] = x.shape;
  const out = conv.weight.shape[0];
  if (dilation >= t) {
    // The outer taps only see padding: the centre tap alone is exact.
    const centre = tf.slice(conv.weight, [0, c], [out, c]) as Tensor2D;
    const y = linear(tf.reshape(x, [b * t, c]) as Tensor2D, centre, conv.bias);
    return tf.reshape(y, [b, t, out]) as Tensor3D;
  }
  const padded = tf.pad(x, [[0, 0], [dilation, dilation], [0, 0]]);
  const taps = [0, 1, 2].map((k) => tf.slice(padded, [0, k * dilation, 0], [b, t, c]));
  const stacked = tf.reshape(tf.concat(taps, 2), [b * t, KERNEL * c]) as Tensor2D;
  return tf.reshape(linear(stacked, conv.weight as Tensor2D, conv.bias), [b, t, out]) as Tensor3D;
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

/** One ConvBlock on `h [B, T, C]` → `[B, T, C_out]`. */
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
  let y = samePadConv(gelu(h) as Tensor3D, block.conv1, block.dilation);
  y = samePadConv(gelu(y) as Tensor3D, block.conv2, block.dilation);
  return tf.add(y, residual) as Tensor3D;
}
