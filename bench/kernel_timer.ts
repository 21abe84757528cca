/**
 * Times chosen tfjs kernels of the active backend while a workload runs:
 * each is re-registered wrapped in a timer (wall time inside the kernel, on
 * the wasm backend's one thread) and its flops are counted, then put back.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";

/** Flops of one call from its inputs and attributes (0 when not counted). */
export type FlopCounter = (
  inputs: Record<string, tf.TensorInfo>,
  attrs: Record<string, unknown>,
) => number;

/** Totals over the timed calls. */
export interface KernelTotals {
  ms: number;
  flops: number;
  calls: number;
}

const prod = (xs: number[]) => xs.reduce((p, x) => p * x, 1);

/** Flops of `BatchMatMul`: `2·batch·m·k·n`. */
export const batchMatMulFlops: FlopCounter = ({ a, b }, attrs) => {
  const ra = a.shape.length, rb = b.shape.length;
  const m = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = attrs.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  return 2 * Math.max(prod(a.shape.slice(0, -2)), prod(b.shape.slice(0, -2))) * m * k * n;
};

/**
 * Flops of the tap kernels (lib/ts2vec/taps_wasm.ts) as they run: one
 * product over `B·T` rows with the three taps side by side, the centre tap
 * alone when `d ≥ T`.
 */
export const tapFlops: FlopCounter = (inputs, attrs) => {
  const x = inputs.a ?? inputs.dy;
  const [b, t] = x.shape;
  const taps = (attrs.dilation as number) >= t ? 1 : 3;
  const c = inputs.w ? inputs.w.shape[1] / 3 : inputs.a.shape[2];
  const o = inputs.w ? inputs.w.shape[0] : inputs.dy.shape[2];
  return 2 * b * t * c * o * taps;
};

/** Flops of a conv2d (`[N, H, W, C]` by `[kh, kw, C, O]`, stride 1, "same"). */
export const conv2dFlops: FlopCounter = ({ x, filter }) =>
  2 * prod(x.shape.slice(0, 3)) * prod(filter.shape);

/** The product kernels of the study's steps and their flop counters. */
export const PRODUCT_KERNELS: Record<string, FlopCounter> = {
  BatchMatMul: batchMatMulFlops,
  TapConv: tapFlops,
  TapConvInputGrad: tapFlops,
  TapConvWeightGrad: tapFlops,
  Conv2D: conv2dFlops,
  FusedConv2D: conv2dFlops,
};

/**
 * Runs `work` with `kernels` timed on the active backend and returns their
 * totals (kernels not registered there are skipped). The wrappers are
 * removed afterwards, also when `work` throws.
 */
export async function timeKernels(
  kernels: Record<string, FlopCounter>,
  work: () => Promise<unknown>,
): Promise<KernelTotals> {
  const backend = tf.getBackend();
  const totals: KernelTotals = { ms: 0, flops: 0, calls: 0 };
  const originals: ReturnType<typeof tf.getKernel>[] = [];
  for (const [name, flops] of Object.entries(kernels)) {
    const kernel = tf.getKernel(name, backend);
    if (!kernel) continue;
    originals.push(kernel);
    tf.unregisterKernel(name, backend);
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const start = performance.now();
        const out = kernel.kernelFunc(args);
        totals.ms += performance.now() - start;
        totals.flops += flops(
          args.inputs as Record<string, tf.TensorInfo>,
          (args.attrs ?? {}) as Record<string, unknown>,
        );
        totals.calls++;
        return out;
      },
    });
  }
  try {
    await work();
  } finally {
    for (const kernel of originals) {
      tf.unregisterKernel(kernel.kernelName, backend);
      tf.registerKernel(kernel);
    }
  }
  return totals;
}
