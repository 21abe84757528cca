/**
 * TimeDRL as shipped with the eMargin reference (baselines/timedrl.py,
 * src/models/timedrlmodel.py, src/layers/Embed.py, RevIN.py; spec §B6).
 *
 * ```
 * x̃ = RevIN(x) (per sequence and feature, biased std, eps 1e−5)      [B, T, F]
 * patch(x)[b, n, c·P + p] = pad(x)[b, n + p, c], P = 10, 8 frames replicated at the end
 *                                                                    [B, T−1, F·P]
 * tokens = [cls; patch(x̃)]                                            [B, T, F·P]
 * pass k ∈ {1, 2} (differing only by dropout 0.2):
 *   e = Dropout(Linear(F·P → F)(tokens) + PE)     z = FP(e)            [B, T, 320]
 *   x̂_k = Linear(320 → F·P)(Dropout(z[:, 1:]))    i_k = z[:, 0]        [B, 320]
 *   î_k = Linear(F/2 → 320)(Dropout(ReLU(BN(Linear(320 → F/2)(i_k)))))
 * L_pred = ½ [MSE(x̂₁, patch(x)) + MSE(x̂₂, patch(x))]     (raw x as target)
 * L_con  = −½ [mean cos(sg(i₁), î₂) + mean cos(sg(i₂), î₁)]
 * L = L_pred + 0.1·L_con
 * ```
 *
 * Defects of the shipped code: the prediction target is the raw input while
 * predictions come from the RevIN-normalised input; `encode` runs the FP
 * alone on the raw `[B, T, F]` frames (no RevIN, patching, embedding or
 * CLS), a different input than in training; the backbone is the per-frame
 * FP instead of a Transformer.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor2D, Tensor3D, Variable } from "../tf.ts";
import { constantVariable, createFeatureProjector } from "../encoders/mod.ts";
import { OptionError } from "../errors.ts";
import { makeRng } from "../random.ts";
import type { Objective } from "../train/mod.ts";
import {
  applyLinear,
  batchNorm,
  dropout,
  linearOf,
  normalValues,
  stopGradient,
  trainableLinear,
} from "./common.ts";
import { asComposite, compositeEncoder } from "./composite.ts";
import type { CompositeEncoder } from "./composite.ts";
import { padEnd, patchEmbed, patchMse, TIMEDRL_PAD_END, TIMEDRL_PATCH } from "./timedrl_patched.ts";
import type { BaselineSpec } from "./types.ts";
import { baselineSpec } from "./spec.ts";

const DROPOUT = 0.2;

/**
 * Patching with end replication: `x [B, T, F]` → `[B, T−1, F·P]`,
 * `out[b, n, c·P + p] = x[b, min(n + p, T − 1), c]`.
 */
export function timedrlPatch(x: Tensor3D): Tensor3D {
  const [b, t, f] = x.shape;
  const n = t + TIMEDRL_PAD_END - TIMEDRL_PATCH + 1;
  if (n < 1) {
    throw new OptionError(`timedrl: T = ${t} is too short for patches of ${TIMEDRL_PATCH}`);
  }
  return tf.tidy(() => {
    const padded = padEnd(x);
    const taps = Array.from(
      { length: TIMEDRL_PATCH },
      (_, p) => tf.slice(padded, [0, p, 0], [b, n, f]),
    );
    return tf.reshape(tf.stack(taps, 3), [b, n, f * TIMEDRL_PATCH]) as Tensor3D;
  });
}

/** Mean cosine similarity of the rows of `a, b [B, D]` (torch eps 1e−8). */
function meanCosine(a: Tensor2D, b: Tensor2D): Scalar {
  return tf.tidy(() => {
    const dot = tf.sum(tf.mul(a, b), 1);
    const norms = tf.mul(tf.norm(a, "euclidean", 1), tf.norm(b, "euclidean", 1));
    return tf.mean(tf.div(dot, tf.maximum(norms, 1e-8))) as Scalar;
  });
}

/** `L_con = −½ [mean cos(sg(i₁), î₂) + mean cos(sg(i₂), î₁)]`. */
export function timedrlContrastive(
  i1: Tensor2D,
  i2: Tensor2D,
  i1Pred: Tensor2D,
  i2Pred: Tensor2D,
): Scalar {
  return tf.tidy(() =>
    tf.mul(
      -0.5,
      tf.add(meanCosine(stopGradient(i1), i2Pred), meanCosine(stopGradient(i2), i1Pred)),
    ) as Scalar
  );
}

/** The parts of the TimeDRL loss. */
export interface TimedrlLossParts {
  predictive: Scalar;
  contrastive: Scalar;
  loss: Scalar;
}

/** The TimeDRL loss; `i1, i2` are detached (stop-gradient). */
export function timedrlLoss(
  target: Tensor3D,
  xPred1: Tensor3D,
  xPred2: Tensor3D,
  i1: Tensor2D,
  i2: Tensor2D,
  i1Pred: Tensor2D,
  i2Pred: Tensor2D,
): TimedrlLossParts {
  return tf.tidy(() => {
    const mse = (p: Tensor) => tf.mean(tf.square(tf.sub(p, target)));
    const predictive = tf.mul(0.5, tf.add(mse(xPred1), mse(xPred2))) as Scalar;
    const contrastive = timedrlContrastive(i1, i2, i1Pred, i2Pred);
    return {
      predictive,
      contrastive,
      loss: tf.add(predictive, tf.mul(0.1, contrastive)) as Scalar,
    };
  });
}

/** Fixed sinusoidal positions `[L, d]`: `sin(pos/10000^{2i/d})`, `cos(…)` interleaved. */
export function sinusoidalPositions(length: number, d: number): Float32Array {
  const pe = new Float32Array(length * d);
  for (let pos = 0; pos < length; pos++) {
    for (let i = 0; i < d; i += 2) {
      const angle = pos * Math.exp((-i * Math.log(10000)) / d);
      pe[pos * d + i] = Math.sin(angle);
      if (i + 1 < d) pe[pos * d + i + 1] = Math.cos(angle);
    }
  }
  return pe;
}

/**
 * The TimeDRL net as one encoder: `apply` is the FP on raw frames (the
 * shipped `encode`); `params` hold every net parameter (the optimiser's).
 */
export function createTimedrlEncoder(o: { inFeatures: number; seed: number }): CompositeEncoder {
  const f = o.inFeatures, half = Math.floor(f / 2), width = f * TIMEDRL_PATCH;
  if (half < 1) throw new OptionError(`timedrl: needs at least 2 features, got ${f}`);
  const rng = makeRng(o.seed);
  const core = createFeatureProjector({ inFeatures: f, seed: o.seed + 1 });
  const extras: Record<string, Variable> = {};
  const cls = normalValues(width, 1, rng);
  extras["cls_token"] = tf.tidy(() => tf.variable(tf.tensor3d(cls, [1, 1, width])));
  trainableLinear(extras, "input_layer.token", width, f, rng);
  trainableLinear(extras, "predictive_linear.1", 320, width, rng);
  trainableLinear(extras, "contrastive_predictor.0", 320, half, rng);
  extras["contrastive_predictor.1.weight"] = constantVariable([half], 1, true, "cp.bn.weight");
  extras["contrastive_predictor.1.bias"] = constantVariable([half], 0, true, "cp.bn.bias");
  trainableLinear(extras, "contrastive_predictor.4", half, 320, rng);
  const extraBuffers = {
    "contrastive_predictor.1.running_mean": constantVariable([half], 0, false, "cp.bn.mean"),
    "contrastive_predictor.1.running_var": constantVariable([half], 1, false, "cp.bn.var"),
  };
  return compositeEncoder({
    name: "timedrl",
    core,
    corePrefix: "encoder.",
    extras,
    extraBuffers,
    trainCore: true,
  });
}

/** RevIN normalisation: per sequence and feature, `(x − μ_t)/√(σ²_t + 1e−5)`. */
function revin(x: Tensor3D): Tensor3D {
  const { mean, variance } = tf.moments(x, 1, true);
  return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))) as Tensor3D;
}

/** The TimeDRL objective (two dropout-differing passes; see `timedrl_patched.ts`). */
export function timedrlObjective(options: { seed: number }): Objective {
  const rng = makeRng(options.seed);
  return (encoder, x) => {
    const net = asComposite(encoder, "timedrl");
    const e = net.extras;
    return tf.tidy(() => {
      const [b, t, f] = x.shape;
      const token = linearOf(e, "input_layer.token"), head = linearOf(e, "predictive_linear.1");
      const normalised = padEnd(revin(x)), raw = padEnd(x);
      const pe = tf.tensor2d(sinusoidalPositions(t, f), [t, f]);
      // the two passes differ only by dropout after the embedding: it is computed once (and
      // its weight gradient, the step's largest product at ECG's F·P = 15 020, once for both)
      const embedded = patchEmbed(normalised, e["cls_token"], token.weight, token.bias);
      const pass = () => {
        const z = net.core.apply(dropout(tf.add(embedded, pe), DROPOUT, rng) as Tensor3D, {
          training: true,
        });
        const d = z.shape[2];
        const frames = tf.reshape(tf.slice(z, [0, 1, 0], [b, t - 1, d]), [b * (t - 1), d]);
        const h = dropout(frames as Tensor2D, DROPOUT, rng) as Tensor2D;
        const i = tf.reshape(tf.slice(z, [0, 0, 0], [b, 1, d]), [b, d]) as Tensor2D;
        let hidden = applyLinear(i, linearOf(e, "contrastive_predictor.0"));
        hidden = batchNorm(hidden, {
          weight: e["contrastive_predictor.1.weight"],
          bias: e["contrastive_predictor.1.bias"],
          runningMean: e["contrastive_predictor.1.running_mean"],
          runningVar: e["contrastive_predictor.1.running_var"],
        }, true);
        hidden = dropout(tf.relu(hidden), DROPOUT, rng);
        return { h, i, iPred: applyLinear(hidden, linearOf(e, "contrastive_predictor.4")) };
      };
      const one = pass(), two = pass();
      // ½[MSE(x̂₁) + MSE(x̂₂)], the passes sharing the products with the data
      const predictive = patchMse([one.h, two.h], head.weight, head.bias, raw);
      const contrastive = timedrlContrastive(one.i, two.i, one.iPred, two.iPred);
      return tf.add(predictive, tf.mul(0.1, contrastive)) as Scalar;
    });
  };
}

/** TimeDRL in the study grid. */
export const timedrlBaseline: BaselineSpec = baselineSpec("timedrl", {
  createEncoder: createTimedrlEncoder,
  createObjective: timedrlObjective,
});
