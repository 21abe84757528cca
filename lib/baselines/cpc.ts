/**
 * CPC as shipped with the eMargin reference (baselines/cpc.py, spec §B1).
 *
 * ```
 * Z = FP(x)                       [B, T, D]   (train mode)
 * c = ⌊T/2⌋; h = GRU(Z[:, c:c+5]) final hidden state   [B, D]
 * q = W·h + b                     [B, D]
 * r_{b,t} = ⟨Z_{b,t}, q_b⟩        [B, T]
 * X_b = [r_{b,neg_1..neg_n}, r_{b,c+1}]   [B, n+1],  n = ⌊T/2⌋
 * L = mean_b [logsumexp_j X_{b,j} − X_{b,n}]
 * ```
 *
 * Negatives: `n` indices drawn with replacement from `{0..c−3} ∪ {c+3..T−1}`,
 * the same for every sequence. Defects of the shipped code: the GRU and `W`
 * are not in the optimiser (they stay at their random init), the positive
 * `c+1` lies inside the GRU's window `c..c+4` (the context sees its target),
 * and the encoder is the per-frame FeatureProjector, not a strided CNN.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor1D, Tensor2D, Tensor3D } from "../tf.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng } from "../random.ts";
import type { Rng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import {
  applyLinear,
  auxPool,
  crossEntropy,
  frozenLinear,
  selectColumns,
  uniformValues,
} from "./common.ts";
import type { LinearWeights } from "./common.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

/** One-layer torch `GRU(D → H)` weights, gates stacked `[r; z; n]`. */
export interface GruWeights {
  /** `[3H, D]`. */
  weightIh: Tensor2D;
  /** `[3H, H]`. */
  weightHh: Tensor2D;
  /** `[3H]`. */
  biasIh: Tensor1D;
  /** `[3H]`. */
  biasHh: Tensor1D;
}

/** CPC's auxiliary nets: the GRU and the linear "density estimator" `W`. */
export interface CpcAux {
  gru: GruWeights;
  density: LinearWeights;
}

/** Frames the GRU reads, from the centre on. */
export const CPC_WINDOW = 5;

/**
 * Final hidden state of a torch GRU (`h₀ = 0`) over `seq [B, L, D]`:
 * `r = σ(W_ir x + b_ir + W_hr h + b_hr)`, `z = σ(W_iz x + b_iz + W_hz h + b_hz)`,
 * `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h ← (1 − z) ⊙ n + z ⊙ h`.
 * Returns `[B, H]`.
 */
export function gruLastHidden(seq: Tensor3D, gru: GruWeights): Tensor2D {
  return tf.tidy(() => {
    const [b, len] = seq.shape;
    const hidden = gru.weightHh.shape[1];
    let h = tf.zeros([b, hidden]) as Tensor2D;
    for (let t = 0; t < len; t++) {
      const x = tf.reshape(tf.slice(seq, [0, t, 0], [b, 1, -1]), [b, -1]) as Tensor2D;
      const gi = applyLinear(x, { weight: gru.weightIh, bias: gru.biasIh });
      const gh = applyLinear(h, { weight: gru.weightHh, bias: gru.biasHh });
      const [ir, iz, inn] = tf.split(gi, 3, 1);
      const [hr, hz, hn] = tf.split(gh, 3, 1);
      const r = tf.sigmoid(tf.add(ir, hr));
      const z = tf.sigmoid(tf.add(iz, hz));
      const n = tf.tanh(tf.add(inn, tf.mul(r, hn)));
      h = tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as Tensor2D;
    }
    return h;
  });
}

/** What {@linkcode cpcForward} computes. */
export interface CpcForward {
  /** GRU context `h [B, D]`. */
  context: Tensor2D;
  /** Prediction `q = W h + b` `[B, D]`. */
  q: Tensor2D;
  /** `r [B, T]`. */
  scores: Tensor2D;
  /** `X [B, n+1]`, negatives first, the positive last. */
  logits: Tensor2D;
  loss: Scalar;
}

/**
 * The CPC step on encoder outputs `z [B, T, D]` with given negative indices
 * (spec §B1). Throws `ShapeError` when the window or an index leaves `[0, T)`.
 */
export function cpcForward(z: Tensor3D, aux: CpcAux, negatives: ArrayLike<number>): CpcForward {
  const [b, t, d] = z.shape;
  const c = Math.floor(t / 2);
  if (c + CPC_WINDOW > t) {
    throw new ShapeError(`cpc: T = ${t} is too short for a ${CPC_WINDOW}-frame window at ${c}`);
  }
  for (const i of Array.from(negatives)) {
    if (!Number.isInteger(i) || i < 0 || i >= t) {
      throw new ShapeError(`cpc: negative index ${i} outside [0, ${t})`);
    }
  }
  return tf.tidy(() => {
    const context = gruLastHidden(tf.slice(z, [0, c, 0], [b, CPC_WINDOW, d]), aux.gru);
    const q = applyLinear(context, aux.density);
    const scores = tf.squeeze(tf.matMul(z, tf.expandDims(q, 2)), [2]) as Tensor2D;
    const picks = [...Array.from(negatives), c + 1];
    const logits = tf.matMul(scores, selectColumns(t, picks)) as Tensor2D;
    const n = logits.shape[1] - 1;
    const loss = crossEntropy(logits, new Array(b).fill(n));
    return { context, q, scores, logits, loss };
  });
}

/** The CPC loss alone (see {@linkcode cpcForward}). */
export function cpcLoss(z: Tensor3D, aux: CpcAux, negatives: ArrayLike<number>): Scalar {
  const out = cpcForward(z, aux, negatives);
  tf.dispose([out.context, out.q, out.scores, out.logits]);
  return out.loss;
}

/**
 * `⌊T/2⌋` negative indices drawn with replacement from
 * `{0..c−3} ∪ {c+3..T−1}`, `c = ⌊T/2⌋` (numpy `choice`; here from `rng`).
 */
export function cpcNegatives(T: number, rng: Rng): Int32Array {
  const c = Math.floor(T / 2);
  const pool: number[] = [];
  for (let i = 0; i <= c - 3; i++) pool.push(i);
  for (let i = c + 3; i < T; i++) pool.push(i);
  if (pool.length === 0) throw new OptionError(`cpc: T = ${T} leaves no negative frame`);
  const out = new Int32Array(c);
  for (let i = 0; i < c; i++) out[i] = pool[rng.int(pool.length)];
  return out;
}

/** CPC's auxiliary nets at torch's default init (`U(±1/√D)` everywhere). */
export function createCpcAux(d: number, rng: Rng): CpcAux {
  const bound = 1 / Math.sqrt(d);
  const gru: GruWeights = {
    weightIh: tf.tensor2d(uniformValues(3 * d * d, bound, rng), [3 * d, d]),
    weightHh: tf.tensor2d(uniformValues(3 * d * d, bound, rng), [3 * d, d]),
    biasIh: tf.tensor1d(uniformValues(3 * d, bound, rng)),
    biasHh: tf.tensor1d(uniformValues(3 * d, bound, rng)),
  };
  return { gru, density: frozenLinear(d, d, rng) };
}

const pool = auxPool();

/**
 * The CPC objective: FP in train mode, then {@linkcode cpcLoss} with fresh
 * negatives each step. The GRU and `W` are created from `seed` on the first
 * call and never change (they are not the encoder's parameters).
 */
export function cpcObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  let aux: CpcAux | null = null;
  return (encoder, x) => {
    aux ??= pool.track(createCpcAux(encoder.outFeatures, rng.fork()));
    const negatives = cpcNegatives(x.shape[1], rng);
    return tf.tidy(() => cpcLoss(encoder.apply(x, { training: true }), aux!, negatives));
  };
}

/** CPC in the study grid. */
export const cpcBaseline: BaselineSpec = baselineSpec("cpc", {
  createEncoder: createFeatureProjector,
  createObjective: cpcObjective,
  pool,
});
