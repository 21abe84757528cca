/**
 * Matrix products whose forward AND backward passes avoid transposed operands.
 *
 * tfjs' own wasm kernel multiplies `A·B` about 12× faster than `A·Bᵀ` or
 * `Aᵀ·B` (measured at 1600×320×1600: 70 ms vs 860 ms), and tfjs' own gradient
 * of `matMul` always multiplies by a transposed operand. These ops transpose
 * explicitly (a cheap copy) and use the plain product in both directions,
 * with gradients given through `tf.customGrad`. `lib/wasm/gemm.ts`, which
 * `initBackend` installs on wasm, packs either layout at the same speed
 * and to the same bits: there the transposes are passed to it as flags
 * instead (an explicit one copies its operand: 7 ms for ECG's 1600 × 1502
 * frames); the cpu backend and tfjs' own wasm kernel keep the copies.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import { COLUMN_SUM_KERNEL, installedRows, wasmGemmState } from "../wasm/mod.ts";

const nn = (a: Tensor2D, b: Tensor2D): Tensor2D => tf.matMul(a, b);
const t = (a: Tensor2D): Tensor2D => tf.transpose(a);
/** Whether transposed operands are free: the wasm backend with `lib/wasm/gemm.ts` installed. */
const flagsFree = () => tf.getBackend() === "wasm" && wasmGemmState().installed;
/** `A·Bᵀ`. */
const nt = (a: Tensor2D, b: Tensor2D): Tensor2D =>
  flagsFree() ? tf.matMul(a, b, false, true) : nn(a, t(b));
/** `Aᵀ·B`. */
const tn = (a: Tensor2D, b: Tensor2D): Tensor2D =>
  flagsFree() ? tf.matMul(a, b, true, false) : nn(t(a), b);

type Saver = (ts: Tensor[]) => void;

const matMulGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [a, b, save] = args as [Tensor2D, Tensor2D, Saver];
  save([a, b]);
  return {
    value: nn(a, b),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [sa, sb] = saved as Tensor2D[];
      return [nt(dy as Tensor2D, sb), tn(sa, dy as Tensor2D)];
    },
  };
}) as (a: Tensor2D, b: Tensor2D) => Tensor2D;

/**
 * Plain product `C = A·B`.
 *
 * Shapes: `a [m, k]`, `b [k, n]` → `[m, n]`. Gradients `∂A = G·Bᵀ`, `∂B = Aᵀ·G`,
 * each computed as an untransposed product of explicit transposes.
 */
export function matMul(a: Tensor2D, b: Tensor2D): Tensor2D {
  return matMulGrad(a, b);
}

const gramGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [u, save] = args as [Tensor2D, Saver];
  save([u]);
  return {
    value: nt(u, u),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const g = tf.add(dy, t(dy as Tensor2D)) as Tensor2D;
      return [nn(g, saved[0] as Tensor2D)];
    },
  };
}) as (u: Tensor2D) => Tensor2D;

/**
 * Gram matrix `S = U·Uᵀ` (with row-normalised `U`, the cosine-similarity matrix).
 *
 * Shapes: `u [N, D]` → `[N, N]`. Gradient `∂U = (G + Gᵀ)·U`.
 */
export function gram(u: Tensor2D): Tensor2D {
  return gramGrad(u);
}

/**
 * Column sums `1ᵀ·X`. On wasm one pass of `lib/wasm/rows.ts` over the rows
 * in order (the bits of the product it replaces; at 1750×64 0.024 ms against
 * 0.13); elsewhere the product `Xᵀ·1` with the transpose left to the kernel
 * (`1ᵀ·X` makes `X` the right operand, which tfjs' wasm product repacks on
 * every call, and tfjs' column reduction transposes `X` first). No gradient
 * (use it inside `tf.customGrad`).
 *
 * Shapes: `x [N, C]` → `[C]`.
 */
export function columnSum(x: Tensor2D): Tensor1D {
  if (tf.getBackend() === "wasm" && installedRows() !== null && x.dtype === "float32") {
    return tf.engine().runKernel(COLUMN_SUM_KERNEL, { x }) as Tensor1D;
  }
  return tf.tidy(() => {
    const ones = tf.ones([x.shape[0], 1]) as Tensor2D;
    return tf.reshape(tf.matMul(x, ones, true, false), [x.shape[1]]) as Tensor1D;
  });
}

/**
 * `∂W = Gᵀ·X` for `g [n, out]`, `x [n, in]` → `[out, in]`: one product with
 * the transpose as a flag under `lib/wasm/gemm.ts`; elsewhere as `(Xᵀ·G)ᵀ`
 * when the input is at least twice as wide as the output, as tfjs' wasm
 * product is faster with the long side as rows (FeatureProjector's first
 * layer on ECG, 1600 × 1502 → 128: 29 ms against 34 ms).
 */
function weightGradient(g: Tensor2D, x: Tensor2D): Tensor2D {
  if (flagsFree()) return tn(g, x);
  return x.shape[1] >= 2 * g.shape[1] ? t(nn(t(x), g)) : nn(t(g), x);
}

function linearOp(inputGradient: boolean) {
  return tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [x, w, b, save] = args as [Tensor2D, Tensor2D, Tensor, Saver];
    save([x, w]);
    return {
      value: tf.add(nt(x, w), b),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sx, sw] = saved as Tensor2D[];
        const g = dy as Tensor2D;
        return [inputGradient ? nn(g, sw) : tf.zerosLike(sx), weightGradient(g, sx), columnSum(g)];
      },
    };
  }) as (x: Tensor2D, w: Tensor2D, b: Tensor) => Tensor2D;
}

const linearWithInputGradient = linearOp(true);
const linearOfData = linearOp(false);

/** Options of {@linkcode linear}. */
export interface LinearOptions {
  /**
   * Whether `∂X` is computed (default true). False for a layer whose input is
   * data, never a function of trained parameters: it then gets a zero
   * gradient and the `G·W` product (`n·in·out` multiply-adds) is skipped.
   */
  inputGradient?: boolean;
}

/**
 * Affine map with a torch-layout weight: `Y = X·Wᵀ + b`.
 *
 * Shapes: `x [n, in]`, `w [out, in]`, `b [out]` → `[n, out]`. Gradients, each
 * one plain product: `∂X = G·W`, `∂W = Gᵀ·X`, `∂b = 1ᵀ·G`.
 */
export function linear(
  x: Tensor2D,
  w: Tensor2D,
  b?: Tensor,
  { inputGradient = true }: LinearOptions = {},
): Tensor2D {
  if (!b) return matMul(x, t(w));
  return (inputGradient ? linearWithInputGradient : linearOfData)(x, w, b);
}

/**
 * Whether one batched `tf.matMul` runs at its 2-D speed: off wasm, and on
 * wasm where `lib/wasm/gemm.ts` runs the products (a batch costs it what its
 * entries do). Only tfjs' own wasm kernel is slow with a batch.
 */
export function batchedProductsFast(): boolean {
  return tf.getBackend() !== "wasm" || wasmGemmState().installed;
}

/**
 * `Aᵀ·B` with no gradient (use it inside `tf.customGrad`): one product with
 * the transpose left to the kernel where {@linkcode batchedProductsFast}
 * (the GEMM packs either layout; so do the cpu and WebGPU kernels), an
 * explicit transpose first under tfjs' own wasm kernel, which runs
 * transposed operands about 12× slower.
 *
 * Shapes: `a [k, m]`, `b [k, n]` → `[m, n]`.
 */
export function transposedProduct(a: Tensor2D, b: Tensor2D): Tensor2D {
  if (batchedProductsFast()) return tf.matMul(a, b, true, false);
  return tf.tidy(() => nn(t(a), b));
}

/** Multiply-adds per batch entry from which {@linkcode batchMatMul} loops over 2-D products. */
export const LOOP_MIN_WORK = 1 << 20;

/**
 * Batched product `C_g = A_g·B_g`: one batched call where
 * {@linkcode batchedProductsFast}; otherwise one plain 2-D product per batch
 * entry, as tfjs' own batched wasm kernel runs far below its 2-D one (measured at
 * 8 × 280×320×280: ≈ 2 GFLOP/s against ≈ 25 GFLOP/s), so a short loop of 2-D
 * products wins whenever the matrices are not tiny; many tiny ones (below
 * {@linkcode LOOP_MIN_WORK} multiply-adds each, e.g. 140 × 16×320×16) stay one
 * batched call. No gradient (use it inside `tf.customGrad`).
 *
 * Shapes: `a [G, m, k]`, `b [G, k, n]` → `[G, m, n]`.
 */
export function batchMatMul(a: Tensor3D, b: Tensor3D): Tensor3D {
  const [g, m, k] = a.shape;
  if (batchedProductsFast() || g === 1 || m * k * b.shape[2] < LOOP_MIN_WORK) {
    return tf.matMul(a, b);
  }
  return tf.tidy(() => {
    // tf.split is one kernel; tf.unstack copies entry by entry (3× slower on wasm).
    const entries = (x: Tensor3D) =>
      tf.split(x, g).map((e) => tf.reshape(e, [x.shape[1], x.shape[2]]) as Tensor2D);
    const bs = entries(b);
    return tf.stack(entries(a).map((x, i) => tf.matMul(x, bs[i]))) as Tensor3D;
  });
}
