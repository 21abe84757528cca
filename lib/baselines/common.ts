/**
 * Building blocks shared by the baselines: torch-initialised linear layers
 * (frozen tensors for the auxiliary nets the official optimiser never
 * updates, variables for trained ones), dropout from a seeded generator,
 * the two cross-entropies the baselines use, and a pool that frees the
 * auxiliary tensors of every objective a spec created.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D, Variable } from "../tf.ts";
import { linear } from "../ops/mod.ts";
import { uniformVariable } from "../encoders/mod.ts";
import { OptionError } from "../errors.ts";
import type { Rng } from "../random.ts";

/** A torch `Linear`: `weight [out, in]`, `bias [out]`. */
export interface LinearWeights {
  weight: Tensor2D;
  bias: Tensor1D;
}

/** Uniform draws `U(−bound, bound)` from `rng`. */
export function uniformValues(size: number, bound: number, rng: Rng): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * bound;
  return values;
}

/** Standard normal draws `N(0, std²)` from `rng`. */
export function normalValues(size: number, std: number, rng: Rng): Float32Array {
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.normal() * std;
  return values;
}

/**
 * A frozen `Linear(in → out)` with torch's default init: weight and bias
 * `U(−1/√in, 1/√in)`; `xavier` draws the weight from `U(±√(6/(in+out)))`.
 */
export function frozenLinear(
  inFeatures: number,
  outFeatures: number,
  rng: Rng,
  init: "default" | "xavier" = "default",
): LinearWeights {
  const bound = 1 / Math.sqrt(inFeatures);
  const wBound = init === "xavier" ? Math.sqrt(6 / (inFeatures + outFeatures)) : bound;
  return {
    weight: tf.tensor2d(uniformValues(outFeatures * inFeatures, wBound, rng), [
      outFeatures,
      inFeatures,
    ]),
    bias: tf.tensor1d(uniformValues(outFeatures, bound, rng)),
  };
}

/**
 * A trainable `Linear(in → out)` (torch default init) added to `params` as
 * `<name>.weight [out, in]` and `<name>.bias [out]`.
 */
export function trainableLinear(
  params: Record<string, Variable>,
  name: string,
  inFeatures: number,
  outFeatures: number,
  rng: Rng,
): void {
  const bound = 1 / Math.sqrt(inFeatures);
  params[`${name}.weight`] = uniformVariable(
    [outFeatures, inFeatures],
    bound,
    rng,
    `${name}.weight`,
  );
  params[`${name}.bias`] = uniformVariable([outFeatures], bound, rng, `${name}.bias`);
}

/** `Y = X·Wᵀ + b` for `x [n, in]`. */
export function applyLinear(x: Tensor2D, layer: LinearWeights): Tensor2D {
  return linear(x, layer.weight, layer.bias);
}

/** The `Linear` named `name` in `params` (`<name>.weight`, `<name>.bias`). */
export function linearOf(params: Record<string, Variable>, name: string): LinearWeights {
  const weight = params[`${name}.weight`], bias = params[`${name}.bias`];
  if (!weight || !bias) throw new OptionError(`missing parameters of layer "${name}"`);
  return { weight: weight as Tensor2D, bias: bias as Tensor1D };
}

/**
 * Inverted dropout with a mask drawn from `rng`: `x ⊙ m / (1 − rate)`,
 * `m ~ Bernoulli(1 − rate)` per entry. Identity when `rate = 0`.
 */
export function dropout<T extends Tensor>(x: T, rate: number, rng: Rng): T {
  if (rate === 0) return x;
  const keep = new Float32Array(x.size);
  for (let i = 0; i < keep.length; i++) keep[i] = rng.next() >= rate ? 1 / (1 - rate) : 0;
  return tf.mul(x, tf.tensor(keep, x.shape)) as T;
}

/**
 * Mean cross-entropy of `logits [R, C]` against one class per row:
 * `mean_r [logsumexp_j X_{r,j} − X_{r,label_r}]`.
 */
export function crossEntropy(logits: Tensor2D, labels: ArrayLike<number>): Scalar {
  return tf.tidy(() => {
    const [rows, cols] = logits.shape;
    const oneHot = tf.oneHot(tf.tensor1d(Array.from(labels), "int32"), cols);
    const picked = tf.sum(tf.mul(logits, oneHot), 1);
    return tf.div(tf.sum(tf.sub(tf.logSumExp(logits, 1), picked)), rows) as Scalar;
  });
}

/**
 * torch `BCEWithLogits` with a constant target `y`, mean over all entries:
 * `mean [max(x, 0) − x·y + log(1 + e^{−|x|})]`.
 */
export function bceWithLogits(x: Tensor, y: number): Scalar {
  return tf.tidy(() =>
    tf.mean(
      tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))),
    ) as Scalar
  );
}

/**
 * The one-hot matrix `S [n, k]` with `S[index_j, j] = 1`, so `X·S` picks
 * columns `index` of `X [m, n]` (with repeats). Used instead of `tf.gather`,
 * whose gradient has no wasm kernel (UnsortedSegmentSum).
 */
export function selectColumns(n: number, index: ArrayLike<number>): Tensor2D {
  const k = index.length;
  const s = new Float32Array(n * k);
  for (let j = 0; j < k; j++) s[index[j] * k + j] = 1;
  return tf.tensor2d(s, [n, k]);
}

/** Rows scaled to unit L2 norm (torch `F.normalize`, `eps = 1e−12`) along the last axis. */
export function normalizeRows<T extends Tensor>(x: T): T {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as T;
  });
}

/** Tensors kept alive by objectives until their spec's `dispose()`. */
export interface AuxPool {
  /** Keeps `t` (and everything in it) until {@linkcode AuxPool.disposeAll}. */
  track<T extends object>(t: T): T;
  /** Frees every tracked tensor. */
  disposeAll(): void;
}

// Objectives run inside `tf.variableGrads`' scope: tensors they create for
// later steps must be kept, or the scope's end frees them.
function keepAll(value: unknown): void {
  if (value instanceof tf.Tensor) tf.keep(value);
  else if (Array.isArray(value)) value.forEach(keepAll);
  else if (value !== null && typeof value === "object") Object.values(value).forEach(keepAll);
}

/** A new, empty {@linkcode AuxPool}: tracked tensors survive enclosing `tf.tidy` scopes. */
export function auxPool(): AuxPool {
  let kept: object[] = [];
  return {
    track(t) {
      keepAll(t);
      kept.push(t);
      return t;
    },
    disposeAll() {
      tf.dispose(kept as unknown as tf.TensorContainer);
      kept = [];
    },
  };
}

/**
 * torch `BatchNorm1d` on the rows of `h [N, C]` (the encoders' own helper is
 * not exported through `lib/encoders/mod.ts`): train mode normalises with
 * the batch mean and biased variance and updates the running statistics
 * (`r ← 0.9 r + 0.1 batch`, unbiased variance); eval mode uses them.
 */
export function batchNorm(
  h: Tensor2D,
  bn: { weight: Tensor; bias: Tensor; runningMean: Variable; runningVar: Variable },
  training: boolean,
): Tensor2D {
  const eps = 1e-5, momentum = 0.1;
  if (!training) {
    return tf.tidy(() =>
      tf.add(
        tf.mul(tf.sub(h, bn.runningMean), tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, eps)))),
        bn.bias,
      ) as Tensor2D
    );
  }
  const n = h.shape[0];
  const mean = tf.mean(h, 0);
  const centered = tf.sub(h, mean);
  const variance = tf.mean(tf.square(centered), 0);
  tf.tidy(() => {
    bn.runningMean.assign(tf.add(tf.mul(bn.runningMean, 1 - momentum), tf.mul(mean, momentum)));
    const unbiased = tf.mul(variance, n / Math.max(n - 1, 1));
    bn.runningVar.assign(tf.add(tf.mul(bn.runningVar, 1 - momentum), tf.mul(unbiased, momentum)));
  });
  return tf.add(
    tf.mul(centered, tf.mul(bn.weight, tf.rsqrt(tf.add(variance, eps)))),
    bn.bias,
  ) as Tensor2D;
}

const stopGradientOp = tf.customGrad((...args: (Tensor | ((ts: Tensor[]) => void))[]) => {
  const x = args[0] as Tensor;
  return { value: tf.clone(x), gradFunc: (dy: Tensor) => [tf.zerosLike(dy)] };
}) as (x: Tensor) => Tensor;

/** torch `.detach()`: the value of `x` with a zero gradient (tfjs has no stop-gradient op). */
export function stopGradient<T extends Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}
