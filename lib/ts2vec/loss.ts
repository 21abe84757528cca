/**
 * TS2Vec's hierarchical contrastive loss (yuezhihan/ts2vec models/losses.py),
 * with `temporal_unit = 0`. No normalisation and no temperature: logits are
 * raw dot products.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor3D } from "../tf.ts";
import { OptionError, ShapeError } from "../errors.ts";
import { levelBackward, levelForward, poolBackward, poolForward } from "./levels.ts";
import type { LevelSaved, LevelWeights } from "./levels.ts";

type Saver = (tensors: Tensor[]) => void;

/** The scales of one loss, finest first: each scale's term weights; every scale but the last is max-pooled into the next. */
type Plan = LevelWeights[];

/**
 * The scales `[L, ⌊L/2⌋, …]` of the hierarchical loss with their weights
 * (`α/d` instance when `B > 1`, `(1−α)/d` temporal while `L > 1`, `d` the
 * number of scales).
 */
function hierarchicalPlan(b: number, t: number, alpha: number): Plan {
  const scales: { instance: boolean; temporal: boolean }[] = [];
  let l = t;
  while (l > 1) {
    scales.push({ instance: alpha !== 0, temporal: alpha !== 1 });
    l = Math.floor(l / 2);
  }
  if (l === 1) scales.push({ instance: alpha !== 0, temporal: false });
  const d = scales.length;
  return scales.map(({ instance, temporal }) => ({
    instance: instance && b > 1 ? alpha / d : 0,
    temporal: temporal ? (1 - alpha) / d : 0,
  }));
}

/**
 * The loss of `plan` on `z1, z2 [B, T, C]` as one op: the views are stacked
 * once (`[2B, T, C]`), every scale's value and softmaxes are kept, and the
 * backward walks the scales from the coarsest, adding each scale's gradient
 * to the unpooled gradient of the next.
 */
function planLoss(z1: Tensor3D, z2: Tensor3D, plan: Plan): Scalar {
  const k = plan.length;
  const op = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [a, b, save] = args as [Tensor3D, Tensor3D, Saver];
    let z = tf.concat([a, b], 0) as Tensor3D;
    const inputs: Tensor3D[] = [], firsts: Tensor3D[] = [], softmaxes: Tensor3D[] = [];
    let value: Scalar = tf.scalar(0);
    plan.forEach((weights, i) => {
      const level = levelForward(z, weights);
      value = tf.add(value, level.value);
      inputs.push(z);
      for (const s of [level.saved.instanceSoftmax, level.saved.temporalSoftmax]) {
        if (s) softmaxes.push(s);
      }
      if (i < k - 1) {
        const { pooled, first } = poolForward(z);
        firsts.push(first);
        z = pooled;
      }
    });
    save([...inputs, ...firsts, ...softmaxes]);
    return {
      value,
      gradFunc: (dy: Tensor, kept: Tensor[]) => {
        const zs = kept.slice(0, k) as Tensor3D[];
        const fs = kept.slice(k, 2 * k - 1) as Tensor3D[];
        const ss = kept.slice(2 * k - 1) as Tensor3D[];
        let next = 0;
        const levels: LevelSaved[] = plan.map((w) => ({
          instanceSoftmax: w.instance !== 0 ? ss[next++] : null,
          temporalSoftmax: w.temporal !== 0 ? ss[next++] : null,
        }));
        let grad: Tensor3D | null = null;
        for (let i = k - 1; i >= 0; i--) {
          const own = levelBackward(zs[i], plan[i], levels[i], dy as Scalar);
          grad = grad ? tf.add(own, grad) as Tensor3D : own;
          if (i > 0) grad = poolBackward(grad, fs[i - 1], zs[i - 1].shape[1]);
        }
        const [n, t, c] = a.shape;
        const flat = tf.reshape(grad!, [2, n * t * c]);
        return [0, 1].map((v) => tf.reshape(tf.slice(flat, [v, 0], [1, n * t * c]), [n, t, c]));
      },
    };
  }) as (a: Tensor3D, b: Tensor3D) => Scalar;
  return op(z1, z2);
}

/**
 * Instance contrast at every timestamp: `z1, z2 [B, T, C]`; for each `t` the
 * `2B` vectors `[z1[·,t]; z2[·,t]]` are classified against each other
 * (logits `z_i·z_j`, `j ≠ i`, positive the other view of the same sequence):
 * `mean_{t,i} (LSE_{j≠i} z_i·z_j − z_i·z_pos(i))`. Returns 0 when `B = 1`.
 */
export function instanceContrastiveLoss(z1: Tensor3D, z2: Tensor3D): Scalar {
  if (z1.shape[0] === 1) return tf.scalar(0);
  return planLoss(z1, z2, [{ instance: 1, temporal: 0 }]);
}

/**
 * Temporal contrast within every sequence: for each `b` the `2T` vectors
 * `[z1[b,·]; z2[b,·]]`, positives `(t, T + t)`. Returns 0 when `T = 1`.
 */
export function temporalContrastiveLoss(z1: Tensor3D, z2: Tensor3D): Scalar {
  if (z1.shape[1] === 1) return tf.scalar(0);
  return planLoss(z1, z2, [{ instance: 0, temporal: 1 }]);
}

/**
 * Hierarchical contrastive loss of two aligned views `z1, z2 [B, T, C]`:
 *
 * ```
 * L = 0, d = 0
 * while T' > 1: L += α·L_inst + (1−α)·L_temp; d += 1; halve T' by max-pool
 * if T' = 1:    L += α·L_inst; d += 1
 * return L / d
 * ```
 *
 * The max-pool (kernel 2, stride 2, floor) sends a tie's gradient to the
 * first frame, as torch's `max_pool1d`. Computed as one op over both views
 * (`levels.ts`): forward and backward of every scale written out.
 */
export function hierarchicalContrastiveLoss(
  z1: Tensor3D,
  z2: Tensor3D,
  { alpha = 0.5 }: { alpha?: number } = {},
): Scalar {
  if (z1.shape.join() !== z2.shape.join()) {
    throw new ShapeError(
      `hierarchicalContrastiveLoss: views differ, [${z1.shape}] vs [${z2.shape}]`,
    );
  }
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new OptionError(`hierarchicalContrastiveLoss: alpha must lie in [0, 1], got ${alpha}`);
  }
  return planLoss(z1, z2, hierarchicalPlan(z1.shape[0], z1.shape[1], alpha));
}
