/**
 * The cluster bootstrap, stratified: resamples whole groups (subjects,
 * records, excerpts) with replacement within each stratum (fold), so that an
 * interval reflects which groups happened to be held out.
 *
 * Written by hand: no maintained npm package offers a stratified cluster
 * bootstrap over caller-defined groups with a seeded, platform-independent
 * generator; the percentile interval and p-value are a few lines each.
 *
 * @module
 */
import { NonFiniteError, OptionError, ShapeError } from "../errors.ts";
import { deriveSeed, makeRng, type Rng } from "../random.ts";

/** The fewest resamples an interval of the study may rest on. */
export const MIN_RESAMPLES = 1000;

/** A stratum (fold) and the groups (held-out subjects, records, excerpts) it holds. */
export interface Stratum {
  /** Stratum id, unique among the strata; it also seeds the stratum's draws. */
  id: string;
  /** Group ids, unique across all strata. */
  groups: readonly string[];
}

/** Options shared by every bootstrap of this module and its helpers. */
export interface ResampleOptions {
  /** Number of bootstrap resamples, an integer ≥ {@linkcode MIN_RESAMPLES}. Default 1000. */
  resamples?: number;
  /** Seed of the resampling; the same seed gives the same interval. */
  seed: number;
  /** Coverage of the percentile interval, in (0, 1). Default 0.95. */
  level?: number;
  /** Return the resampled statistics as `distribution`. Default false. */
  keepDistribution?: boolean;
}

/** Options of {@linkcode clusterBootstrap}. */
export interface ClusterBootstrapOptions extends ResampleOptions {
  /** The strata and their groups; every stratum needs at least one group. */
  strata: readonly Stratum[];
  /**
   * The statistic from group weights: `weights.get(g)` is how many times group
   * `g` was drawn (0 when it was not; 1 for every group in the estimate).
   */
  statistic: (weights: ReadonlyMap<string, number>) => number;
}

/** A point estimate with its bootstrap percentile interval. */
export interface BootstrapInterval {
  /** The statistic at all-ones weights (the data as observed). */
  estimate: number;
  /** Lower bound: the `(1 − level) / 2` quantile of the resampled statistics. */
  lower: number;
  /** Upper bound: the `(1 + level) / 2` quantile of the resampled statistics. */
  upper: number;
  /** The interval's nominal coverage. */
  level: number;
  /** Number of resamples. */
  resamples: number;
  /** The resampled statistics in draw order, when `keepDistribution` was set. */
  distribution?: Float64Array;
}

/** Validated resampling options with their defaults filled in. */
export interface ResolvedOptions {
  resamples: number;
  seed: number;
  level: number;
  keepDistribution: boolean;
}

/**
 * Checks the resampling options and fills in the defaults.
 *
 * @throws {OptionError} resamples not an integer ≥ 1000, a non-finite seed,
 *   or a level outside (0, 1).
 */
export function resolveOptions(options: ResampleOptions, fn: string): ResolvedOptions {
  const { resamples = MIN_RESAMPLES, seed, level = 0.95, keepDistribution = false } = options;
  if (!Number.isInteger(resamples) || resamples < MIN_RESAMPLES) {
    throw new OptionError(
      `${fn}: resamples: expected an integer ≥ ${MIN_RESAMPLES}, found ${resamples}`,
    );
  }
  if (typeof seed !== "number" || !Number.isFinite(seed)) {
    throw new OptionError(`${fn}: seed: expected a finite number, found ${seed}`);
  }
  if (!(level > 0 && level < 1)) {
    throw new OptionError(`${fn}: level: expected a number in (0, 1), found ${level}`);
  }
  return { resamples, seed, level, keepDistribution };
}

/**
 * Quantile `q` of ascending `sorted` values with linear interpolation between
 * order statistics (NumPy's default, Hyndman–Fan type 7):
 * `h = (n − 1) q`, `Q = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋)`.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h), hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Two-sided bootstrap p-value of "the statistic is 0":
 * `p = 2 min(P(d* ≤ 0), P(d* ≥ 0))` over the resampled `distribution`, floored
 * at `1 / (B + 1)` (B resamples cannot resolve less) and capped at 1.
 */
export function bootstrapPValue(distribution: ArrayLike<number>): number {
  let below = 0, above = 0;
  for (let i = 0; i < distribution.length; i++) {
    if (distribution[i] <= 0) below++;
    if (distribution[i] >= 0) above++;
  }
  const B = distribution.length;
  const p = (2 * Math.min(below, above)) / B;
  return Math.min(1, Math.max(p, 1 / (B + 1)));
}

/** The statistic at the observed data and its percentile interval. */
export function percentileInterval(
  estimate: number,
  distribution: Float64Array,
  options: ResolvedOptions,
): BootstrapInterval {
  const sorted = distribution.slice().sort();
  const tail = (1 - options.level) / 2;
  const out: BootstrapInterval = {
    estimate,
    lower: quantileSorted(sorted, tail),
    upper: quantileSorted(sorted, 1 - tail),
    level: options.level,
    resamples: options.resamples,
  };
  if (options.keepDistribution) out.distribution = distribution;
  return out;
}

/**
 * Draws `resamples` stratified cluster resamples and evaluates `statistic` on
 * each. Groups are numbered in stratum order (stratum 0's groups first); for
 * every resample, `counts[i]` is how many times group `i` was drawn. Each
 * stratum draws from its own generator, seeded by `(stratum id, seed)`, so a
 * stratum's draws do not depend on the other strata.
 *
 * The `counts` buffer is reused between calls: read it, do not keep it.
 *
 * @param strata stratum ids and their numbers of groups (each ≥ 1)
 * @throws {NonFiniteError} when the statistic is not finite on a resample.
 */
export function resampleIndexed(
  strata: readonly { id: string; size: number }[],
  statistic: (counts: Int32Array) => number,
  options: ResolvedOptions,
  fn: string,
): Float64Array {
  const offsets: number[] = [];
  let total = 0;
  for (const s of strata) {
    offsets.push(total);
    total += s.size;
  }
  const rngs: Rng[] = strata.map((s) =>
    makeRng(deriveSeed(`clusterBootstrap:${s.id}`, options.seed))
  );
  const counts = new Int32Array(total);
  const out = new Float64Array(options.resamples);
  for (let r = 0; r < options.resamples; r++) {
    counts.fill(0);
    strata.forEach((s, k) => {
      for (let d = 0; d < s.size; d++) counts[offsets[k] + rngs[k].int(s.size)]++;
    });
    const v = statistic(counts);
    if (!Number.isFinite(v)) {
      throw new NonFiniteError(
        `${fn}: statistic: expected a finite number on resample ${r}, found ${v}`,
      );
    }
    out[r] = v;
  }
  return out;
}

/** Checks that strata ids are unique, non-empty, and that group ids are unique across strata. */
export function checkStrata(strata: readonly Stratum[], fn: string): void {
  if (strata.length === 0) throw new ShapeError(`${fn}: strata: expected at least one stratum`);
  const ids = new Set<string>(), seen = new Map<string, string>();
  for (const s of strata) {
    if (ids.has(s.id)) throw new ShapeError(`${fn}: strata: stratum "${s.id}" appears twice`);
    ids.add(s.id);
    if (s.groups.length === 0) {
      throw new ShapeError(`${fn}: stratum "${s.id}": expected at least one group, found none`);
    }
    for (const g of s.groups) {
      const other = seen.get(g);
      if (other !== undefined) {
        throw new ShapeError(
          `${fn}: group "${g}" appears in stratum "${other}" and in "${s.id}"; ` +
            "expected each group in exactly one stratum",
        );
      }
      seen.set(g, s.id);
    }
  }
}

/**
 * Stratified cluster bootstrap with a percentile interval. Each resample
 * draws, within every stratum, as many groups as the stratum holds, uniformly
 * with replacement; `statistic` receives the draw counts `w_g` and computes the
 * statistic from the data reweighted by them (e.g. `Σ_g w_g CM_g`).
 *
 * `estimate = statistic(w ≡ 1)`; `[lower, upper]` are the `(1 ∓ level) / 2`
 * quantiles (type 7) of the `resamples` resampled statistics. Deterministic
 * for a seed.
 *
 * @throws {ShapeError} no strata, an empty stratum, a repeated stratum or group id.
 * @throws {OptionError} see {@linkcode resolveOptions}.
 * @throws {NonFiniteError} when the statistic is not finite.
 * @example
 * ```ts
 * // per-subject accuracies, subjects held out in two folds
 * const accuracy = new Map([["a", 0.7], ["b", 0.9], ["c", 0.8], ["d", 0.6]]);
 * const ci = clusterBootstrap({
 *   strata: [{ id: "fold0", groups: ["a", "b"] }, { id: "fold1", groups: ["c", "d"] }],
 *   statistic: (w) => {
 *     let sum = 0, n = 0;
 *     for (const [g, k] of w) {
 *       sum += k * accuracy.get(g)!;
 *       n += k;
 *     }
 *     return sum / n;
 *   },
 *   seed: 1,
 * });
 * ci.estimate; // 0.75
 * ```
 */
export function clusterBootstrap(options: ClusterBootstrapOptions): BootstrapInterval {
  const fn = "clusterBootstrap";
  const resolved = resolveOptions(options, fn);
  checkStrata(options.strata, fn);
  const ids = options.strata.flatMap((s) => [...s.groups]);
  const weights = new Map(ids.map((g) => [g, 1]));
  const estimate = options.statistic(weights);
  if (!Number.isFinite(estimate)) {
    throw new NonFiniteError(`${fn}: statistic: expected a finite estimate, found ${estimate}`);
  }
  const sizes = options.strata.map((s) => ({ id: s.id, size: s.groups.length }));
  const distribution = resampleIndexed(
    sizes,
    (counts) => {
      // A fresh map per resample: the statistic may keep what it is given.
      const w = new Map<string, number>();
      ids.forEach((g, i) => w.set(g, counts[i]));
      return options.statistic(w);
    },
    resolved,
    fn,
  );
  return percentileInterval(estimate, distribution, resolved);
}
