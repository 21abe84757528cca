/**
 * CoST as shipped with the eMargin reference (baselines/cost.py,
 * src/models/costmodel.py, src/models/costencoder.py; spec §B5): the loss.
 *
 * ```
 * q = normalize(head_q(trend_q[:, r])),  k = normalize(head_k(trend_k[:, r]))    [B, C]
 * L_MoCo = CE([q·k, q·queue] / 0.07, 0)                     queue [C, K]
 * s = normalize(season, last axis);  F = rfft over time       [B, ⌊T/2⌋+1, C]
 * amp = √((Re + 1e−6)² + (Im + 1e−6)²),  phase = atan2(Im, Re + 1e−6)
 * L_s = inst(amp_q, amp_k) + inst(phase_q, phase_k)   (TS2Vec instance CE per frequency)
 * L = L_MoCo + α·L_s/2,  α = 0.05
 * ```
 *
 * `head(x) = Linear(C→C)(ReLU(Linear(C→C)(x)))`. The network, the
 * augmentation and the objective are in `cost_net.ts`.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D, Tensor3D } from "../tf.ts";
import { instanceContrastiveLoss } from "../ts2vec/mod.ts";
import { applyLinear, crossEntropy, normalizeRows } from "./common.ts";
import { basisProduct } from "./cost_product.ts";
import type { LinearWeights } from "./common.ts";

/** MoCo temperature. */
export const COST_TEMPERATURE = 0.07;
/** Weight of the seasonal term. */
export const COST_ALPHA = 0.05;

/** A projection head `Linear → ReLU → Linear` (`head_q.0`, `head_q.2`). */
export interface CostHead {
  first: LinearWeights;
  second: LinearWeights;
}

/** `head(x) [B, C]`. */
export function costHead(x: Tensor2D, head: CostHead): Tensor2D {
  return tf.tidy(() => applyLinear(tf.relu(applyLinear(x, head.first)), head.second));
}

/** `CE([q·k, q·queue]/τ, 0)` with `q, k [B, C]`, `queue [C, K]`. */
export function costMocoLoss(q: Tensor2D, k: Tensor2D, queue: Tensor2D): Scalar {
  return tf.tidy(() => {
    const positive = tf.sum(tf.mul(q, k), 1, true);
    const negative = tf.matMul(q, queue);
    const logits = tf.div(tf.concat([positive, negative], 1), COST_TEMPERATURE) as Tensor2D;
    return crossEntropy(logits, new Array(q.shape[0]).fill(0));
  });
}

/** Real and imaginary parts of `rfft` over time of `x [B, T, C]` → two `[B, ⌊T/2⌋+1, C]`. */
export function rfftTime(x: Tensor3D): [Tensor3D, Tensor3D] {
  const [b, t, c] = x.shape;
  const nf = Math.floor(t / 2) + 1;
  const cos = new Float32Array(t * nf), sin = new Float32Array(t * nf);
  for (let s = 0; s < t; s++) {
    for (let f = 0; f < nf; f++) {
      // the angle reduced mod T keeps float64 accuracy for large s·f
      const angle = (2 * Math.PI * ((s * f) % t)) / t;
      cos[s * nf + f] = Math.cos(angle);
      // DC and Nyquist have an exactly zero imaginary part, as in torch
      sin[s * nf + f] = f === 0 || 2 * f === t ? 0 : -Math.sin(angle);
    }
  }
  return tf.tidy(() => {
    const rows = tf.reshape(tf.transpose(x, [0, 2, 1]), [b * c, t]) as Tensor2D;
    const part = (m: Float32Array) =>
      tf.transpose(tf.reshape(basisProduct(rows, m, [t, nf]), [b, c, nf]), [
        0,
        2,
        1,
      ]) as Tensor3D;
    // + 0 turns a −0 imaginary part into +0, so atan2 lands on +π as torch's does
    return [part(cos), tf.add(part(sin), 0) as Tensor3D];
  });
}

/** Amplitude and phase of the rFFT of `normalize(season)` (spec §B5). */
export function costSpectrum(season: Tensor3D): { amp: Tensor3D; phase: Tensor3D } {
  return tf.tidy(() => {
    const [re, im] = rfftTime(normalizeRows(season));
    const reShift = tf.add(re, 1e-6);
    const amp = tf.sqrt(tf.add(tf.square(reShift), tf.square(tf.add(im, 1e-6)))) as Tensor3D;
    const phase = tf.atan2(im, reShift) as Tensor3D;
    return { amp, phase };
  });
}

/** The parts of the CoST loss. */
export interface CostLossParts {
  q: Tensor2D;
  k: Tensor2D;
  lossMoCo: Scalar;
  ampQ: Tensor3D;
  phaseQ: Tensor3D;
  lossAmp: Scalar;
  lossPhase: Scalar;
  loss: Scalar;
}

/**
 * The CoST loss from the trends at `r` (`[B, C]`), the seasonal outputs
 * `[B, T, C]`, the queue `[C, K]` and both heads.
 */
export function costLossParts(
  trendQ: Tensor2D,
  trendK: Tensor2D,
  seasonQ: Tensor3D,
  seasonK: Tensor3D,
  queue: Tensor2D,
  headQ: CostHead,
  headK: CostHead,
): CostLossParts {
  return tf.tidy(() => {
    const q = normalizeRows(costHead(trendQ, headQ));
    const k = normalizeRows(costHead(trendK, headK));
    const lossMoCo = costMocoLoss(q, k, queue);
    const sq = costSpectrum(seasonQ), sk = costSpectrum(seasonK);
    const lossAmp = instanceContrastiveLoss(sq.amp, sk.amp);
    const lossPhase = instanceContrastiveLoss(sq.phase, sk.phase);
    const seasonal = tf.mul(COST_ALPHA / 2, tf.add(lossAmp, lossPhase));
    const loss = tf.add(lossMoCo, seasonal) as Scalar;
    return { q, k, lossMoCo, ampQ: sq.amp, phaseQ: sq.phase, lossAmp, lossPhase, loss };
  });
}
