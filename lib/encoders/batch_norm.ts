/**
 * BatchNorm1d over the rows of `[N, C]` with torch semantics: biased variance
 * for normalising, unbiased variance for the running update, torch momentum
 * convention (`running ← (1 − momentum)·running + momentum·batch`).
 *
 * Written with tf ops rather than `tf.layers.batchNormalization` because the
 * layer keeps its own variables (TF momentum convention, biased running
 * variance), which cannot reproduce torch's running statistics.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor, Tensor1D, Tensor2D, Variable } from "../tf.ts";
import { columnSum } from "../ops/mod.ts";
import { wasmBatchNormRelu, wasmBatchNormReluActive, wasmBatchNormReluGrad } from "../wasm/mod.ts";

/** torch BatchNorm1d defaults. */
export const BN_EPS = 1e-5;
/** torch BatchNorm1d default momentum (torch convention). */
export const BN_MOMENTUM = 0.1;

/** The variables of one BatchNorm1d layer. */
export interface BatchNormState {
  weight: Variable;
  bias: Variable;
  runningMean: Variable;
  runningVar: Variable;
}

type Saver = (tensors: Tensor[]) => void;

/**
 * `y = x̂·γ + β` with `x̂ = (h − μ)/√(σ² + ε)`, forward and backward written
 * out (the backward is torch's batch-norm formula): autodiff of the
 * composition spends most of its time in column reductions and broadcasts.
 * `onStats` receives `μ` and `σ²` (biased) for the running update.
 */
function normalise(
  h: Tensor2D,
  weight: Tensor1D,
  bias: Tensor1D,
  onStats: (mean: Tensor1D, variance: Tensor1D) => void,
): Tensor2D {
  const n = h.shape[0];
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [x, gamma, beta, save] = args as [Tensor2D, Tensor1D, Tensor1D, Saver];
    const mean = tf.div(columnSum(x), n) as Tensor1D;
    const centered = tf.sub(x, mean) as Tensor2D;
    const variance = tf.div(columnSum(tf.square(centered) as Tensor2D), n) as Tensor1D;
    const inv = tf.rsqrt(tf.add(variance, BN_EPS));
    const xhat = tf.mul(centered, inv) as Tensor2D;
    onStats(mean, variance);
    save([xhat, inv, gamma]);
    return {
      value: tf.add(tf.mul(xhat, gamma), beta),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sXhat, sInv, sGamma] = saved as [Tensor2D, Tensor1D, Tensor1D];
        const g = dy as Tensor2D;
        const dBias = columnSum(g);
        const dWeight = columnSum(tf.mul(g, sXhat) as Tensor2D);
        // ∂h = γ/σ · (g − mean g − x̂·mean(g·x̂))
        const inner = tf.sub(tf.sub(g, tf.div(dBias, n)), tf.mul(sXhat, tf.div(dWeight, n)));
        return [tf.mul(inner, tf.mul(sGamma, sInv)), dWeight, dBias];
      },
    };
  }) as (x: Tensor2D, gamma: Tensor1D, beta: Tensor1D) => Tensor2D;
  return op(h, weight, bias);
}

/**
 * Train-mode BatchNorm: `y = (h − μ)·γ/√(σ² + ε) + β` with `μ, σ²` the
 * per-column mean and biased variance over all `N` rows of `h [N, C]`.
 * Updates the running statistics in place; the update does not feed the
 * returned tensor, so gradients ignore it: `r_μ ← 0.9 r_μ + 0.1 μ`, `r_σ² ← 0.9 r_σ² + 0.1 σ²·N/(N−1)`.
 * Gradients: `∂β = Σ_n g`, `∂γ = Σ_n g·x̂`, `∂h = γ/σ·(g − mean g − x̂·mean(g·x̂))`.
 */
export function batchNormTrain(h: Tensor2D, bn: BatchNormState): Tensor2D {
  const n = h.shape[0];
  return normalise(
    h,
    bn.weight as Tensor1D,
    bn.bias as Tensor1D,
    (mean, variance) => updateRunning(bn, n, mean, variance),
  );
}

/** The running-statistics update of {@linkcode batchNormTrain} from a batch's `μ`, `σ²` (biased). */
function updateRunning(bn: BatchNormState, n: number, mean: Tensor1D, variance: Tensor1D): void {
  const m = BN_MOMENTUM;
  tf.tidy(() => {
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(unbiased, m)));
  });
}

/**
 * `relu(batchNormTrain(h, bn))`: on wasm (for a column count that is a
 * multiple of 4) two passes forward and two backward in
 * lib/wasm/batch_norm.ts, with the same statistics, running update and
 * gradients; elsewhere the composition.
 *
 * Shapes: `h [N, C]` → `[N, C]`.
 *
 * @example
 * ```ts
 * const out = batchNormReluTrain(linear(x, w, b), bn); // FeatureProjector's conv → bn → relu
 * ```
 */
export function batchNormReluTrain(h: Tensor2D, bn: BatchNormState): Tensor2D {
  const [n, c] = h.shape;
  if (!wasmBatchNormReluActive(n, c)) return tf.relu(batchNormTrain(h, bn));
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [x, gamma, beta, save] = args as [Tensor2D, Tensor1D, Tensor1D, Saver];
    const { y, xhat, mean, variance, inv } = wasmBatchNormRelu(x, gamma, beta);
    updateRunning(bn, n, mean, variance);
    save([y, xhat, gamma, inv]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sy, sXhat, sGamma, sInv] = saved as [Tensor2D, Tensor2D, Tensor1D, Tensor1D];
        return wasmBatchNormReluGrad(dy, sy, sXhat, sGamma, sInv);
      },
    };
  }) as (x: Tensor2D, gamma: Tensor1D, beta: Tensor1D) => Tensor2D;
  return op(h, bn.weight as Tensor1D, bn.bias as Tensor1D);
}

/** Eval-mode BatchNorm: `y = (h − r_μ)·γ/√(r_σ² + ε) + β` on `h [N, C]`. */
export function batchNormEval(h: Tensor2D, bn: BatchNormState): Tensor2D {
  return tf.tidy(() => {
    const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, BN_EPS)));
    return tf.add(tf.mul(tf.sub(h, bn.runningMean), scale), bn.bias) as Tensor2D;
  });
}
