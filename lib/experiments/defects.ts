/**
 * Live demonstrations of the reference code's defects D1–D4 (spec §3) and of
 * how the stable variant behaves on the same inputs. Notebook `02-losses`
 * displays these rows; every number is computed here, none typed by hand.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import {
  infoNceLoss,
  lsHatclLoss,
  lsMarginLoss,
  marginLoss,
  simVector,
  stableMarginLoss,
} from "../losses/mod.ts";
import { makeRng } from "../random.ts";

/**
 * Reads every scalar tensor of a row asynchronously (WebGPU under Deno has no
 * synchronous readback) and disposes them.
 */
async function readRow<T extends Record<string, unknown>>(
  row: T,
): Promise<{ [K in keyof T]: T[K] extends tf.Tensor ? number : T[K] }> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof tf.Tensor) {
      out[k] = (await v.data())[0];
      v.dispose();
    } else out[k] = v;
  }
  return out as { [K in keyof T]: T[K] extends tf.Tensor ? number : T[K] };
}

/** float32 `exp` overflows above ln(3.4028235e38) ≈ 88.72. */
export const FLOAT32_EXP_LIMIT: number = Math.log(3.4028234663852886e38);

/** D1 row: the share of anchors the margin switches on, reference vs intended indicator. */
export interface IndicatorRow {
  threshold: number;
  referenceMean: number;
  intendedMean: number;
}

/**
 * D1: mean of the sim vector (double length) on raw frames `x` (`[N, F]`) for
 * each threshold, with the reference's in-place thresholding and with the
 * intended `1[cos < θ]`. The reference is all ones for every θ ≥ 0.
 */
export function indicatorByThreshold(x: Tensor2D, thresholds: number[]): Promise<IndicatorRow[]> {
  return Promise.all(thresholds.map((threshold) =>
    readRow({
      threshold,
      referenceMean: tf.tidy(() =>
        simVector(x, { threshold, variant: "reference", length: "double" }).mean()
      ),
      intendedMean: tf.tidy(() =>
        simVector(x, { threshold, variant: "intended", length: "double" }).mean()
      ),
    })
  ));
}

/** D2 row: the losses along a path that makes every pair more similar. */
export interface CollapseRow {
  /** Mixing weight towards the mean embedding (0 = given embeddings, 1 = all identical). */
  alpha: number;
  /** Mean cosine similarity of non-adjacent pairs. */
  meanNegativeSimilarity: number;
  referenceMargin: number;
  infonce: number;
  stable: number;
}

/**
 * D2: moves embeddings towards their mean, `z_α = (1 − α)·z + α·z̄`, which
 * raises every pairwise similarity, and evaluates LS_MARGIN (reference, v ≡ 1
 * as D1 makes it), LS-InfoNCE and the stable loss. A loss that rewards the
 * collapse decreases along the path.
 */
export function collapsePath(
  z: Tensor2D,
  x: Tensor2D,
  { temperature, margin, threshold = 0.4, alphas = [0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95] }: {
    temperature: number;
    margin: number;
    threshold?: number;
    alphas?: number[];
  },
): Promise<CollapseRow[]> {
  const rows = alphas.map((alpha) =>
    tf.tidy(() => {
      const mean = z.mean(0, true);
      const za = z.mul(1 - alpha).add(mean.mul(alpha)) as Tensor2D;
      const u = za.div(za.norm("euclidean", 1, true).maximum(1e-12)) as Tensor2D;
      const s = tf.matMul(u, u.transpose());
      const n = za.shape[0];
      const offAdjacent = tf.tidy(() => {
        const i = tf.range(0, n).expandDims(1), j = tf.range(0, n).expandDims(0);
        return i.sub(j).abs().greater(1).cast("float32");
      });
      const v = simVector(x, { threshold, variant: "reference", length: "double" });
      return {
        alpha,
        meanNegativeSimilarity: s.mul(offAdjacent).sum().div(offAdjacent.sum()),
        referenceMargin: lsMarginLoss(za, v, { temperature, margin }),
        infonce: infoNceLoss(za, { temperature, form: "ls" }),
        stable: stableMarginLoss(za, x, { temperature, margin, threshold, form: "ls" }),
      };
    })
  );
  return Promise.all(rows.map(readRow));
}

/** D3/D4 row: one loss evaluated at one configuration. */
export interface OverflowRow {
  case: string;
  temperature: number;
  margin: number;
  /** Largest exponent the reference LS_MARGIN takes, γ·½·m²/τ (S ≥ 0). */
  maxExponent: number;
  lsMargin: number;
  margin1: number;
  lsHatcl: number;
  stable: number;
  stableGradFinite: boolean;
}

/** Random ReLU embeddings `[N, D]` like the FeatureProjector's output (seeded). */
export function reluEmbeddings(n: number, d: number, seed: number, collapse = 0): Tensor2D {
  const rng = makeRng(seed);
  const base = Float32Array.from({ length: d }, () => Math.abs(rng.normal()));
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < d; k++) {
      const r = Math.max(0, rng.normal());
      data[i * d + k] = collapse * base[k] + (1 - collapse) * r;
    }
  }
  return tf.tensor2d(data, [n, d]);
}

/**
 * D3 and D4: the reference losses at the ECG config (τ 0.5, m 100: float32
 * overflow) and at the HAR config on near-collapsed embeddings (τ 0.05, m 5:
 * non-positive denominators), beside LS_HATCL and the stable loss. `x` is a
 * batch of raw frames `[N, F]`; the embeddings are `[N, d]` seeded ReLU vectors.
 */
export async function overflowCases(
  x: Tensor2D,
  { d = 64, seed = 7 } = {},
): Promise<OverflowRow[]> {
  const cases = [
    { name: "ECG config, random ReLU embeddings", temperature: 0.5, margin: 100, collapse: 0 },
    { name: "HAR config, random ReLU embeddings", temperature: 0.05, margin: 5, collapse: 0 },
    { name: "HAR config, near-collapsed embeddings", temperature: 0.05, margin: 5, collapse: 0.98 },
    {
      name: "Sleep config, near-collapsed embeddings",
      temperature: 0.1,
      margin: 5,
      collapse: 0.98,
    },
  ];
  const n = x.shape[0];
  const rows = cases.map((c) =>
    tf.tidy(() => {
      const z = reluEmbeddings(n, d, seed, c.collapse);
      const v2 = simVector(x, { threshold: 0.4, variant: "reference", length: "double" });
      const v1 = simVector(x, { threshold: 0.4, variant: "reference", length: "single" });
      const opts = { temperature: c.temperature, margin: c.margin };
      const stableOf = (zz: tf.Tensor) =>
        stableMarginLoss(zz as Tensor2D, x, { ...opts, threshold: 0.4, form: "ls" });
      const g = tf.grad(stableOf)(z);
      return {
        case: c.name,
        temperature: c.temperature,
        margin: c.margin,
        maxExponent: (0.05 * 0.5 * c.margin * c.margin) / c.temperature,
        lsMargin: lsMarginLoss(z, v2, opts),
        margin1: marginLoss(z, v1, opts),
        lsHatcl: lsHatclLoss(z, { temperature: c.temperature }),
        stable: stableOf(z),
        stableGradFinite: g.isFinite().all(),
      };
    })
  );
  const read = await Promise.all(rows.map(readRow));
  return read.map((r) => ({ ...r, stableGradFinite: r.stableGradFinite === 1 }));
}
