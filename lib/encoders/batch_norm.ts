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
import type { Tensor1D, Tensor2D, Variable } from "../tf.ts";

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

/**
 * Train-mode BatchNorm: `y = (h − μ)·γ/√(σ² + ε) + β` with `μ, σ²` the
 * per-column mean and biased variance over all `N` rows of `h [N, C]`.
 * Updates the running statistics in place; the update does not feed the
 * returned tensor, so gradients ignore it: `r_μ ← 0.9 r_μ + 0.1 μ`, `r_σ² ← 0.9 r_σ² + 0.1 σ²·N/(N−1)`.
 */
export function batchNormTrain(h: Tensor2D, bn: BatchNormState): Tensor2D {
  const n = h.shape[0];
  const mean = tf.mean(h, 0) as Tensor1D;
  const centered = tf.sub(h, mean);
  const variance = tf.mean(tf.square(centered), 0) as Tensor1D;
  const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(variance, BN_EPS)));
  const y = tf.add(tf.mul(centered, scale), bn.bias) as Tensor2D;
  tf.tidy(() => {
    const m = BN_MOMENTUM;
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    bn.runningMean.assign(
      tf.add(tf.mul(bn.runningMean, 1 - m), tf.mul(mean, m)),
    );
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - m), tf.mul(unbiased, m)));
  });
  return y;
}

/** Eval-mode BatchNorm: `y = (h − r_μ)·γ/√(r_σ² + ε) + β` on `h [N, C]`. */
export function batchNormEval(h: Tensor2D, bn: BatchNormState): Tensor2D {
  return tf.tidy(() => {
    const scale = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, BN_EPS)));
    return tf.add(tf.mul(tf.sub(h, bn.runningMean), scale), bn.bias) as Tensor2D;
  });
}
