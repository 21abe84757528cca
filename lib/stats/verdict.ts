/**
 * The wording of the study's verdicts: a claim "A is greater (or less) than B"
 * is supported, contradicted, or not resolved by this data, from the paired
 * effect and its family-wise (Holm) adjusted p-value.
 *
 * @module
 */
import { NonFiniteError, OptionError } from "../errors.ts";
import { MIN_RESAMPLES } from "./bootstrap.ts";
import { holm } from "./holm.ts";

/** What the data say about a claim. */
export type Verdict = "supported" | "contradicted" | "not resolved by this data";

/** The direction a claim asserts for the effect A − B. */
export type Direction = "greater" | "less";

/** An effect A − B with its interval. */
export interface Effect {
  /** Point estimate of A − B. */
  estimate: number;
  /** Lower bound of its interval. */
  lower: number;
  /** Upper bound of its interval. */
  upper: number;
}

/** An effect with its Holm-adjusted p-value. */
export interface AdjustedEffect extends Effect {
  /** The p-value adjusted over the family of verdicts (Holm). */
  pAdjusted: number;
}

/** Input of {@linkcode verdict}. */
export interface VerdictInput extends AdjustedEffect {
  /** The claimed sign of A − B: `"greater"` (A > B) or `"less"` (A < B). */
  direction: Direction;
  /** Family-wise significance level, in (0, 1). Default 0.05. */
  alpha?: number;
}

function checkEffect(e: Effect, fn: string): void {
  for (const key of ["estimate", "lower", "upper"] as const) {
    if (!Number.isFinite(e[key])) {
      throw new NonFiniteError(`${fn}: ${key}: expected a finite number, found ${e[key]}`);
    }
  }
  if (e.lower > e.upper) {
    throw new OptionError(`${fn}: expected lower ≤ upper, found [${e.lower}, ${e.upper}]`);
  }
}

function checkP(p: number, fn: string): void {
  if (!(p >= 0 && p <= 1)) {
    throw new OptionError(`${fn}: pAdjusted: expected a p-value in [0, 1], found ${p}`);
  }
}

/**
 * The verdict on a directional claim about A − B:
 * - `"supported"` when `pAdjusted < alpha` and the estimate has the claimed
 *   sign (> 0 for `"greater"`, < 0 for `"less"`);
 * - `"contradicted"` when `pAdjusted < alpha` and the estimate has the
 *   opposite sign;
 * - `"not resolved by this data"` otherwise.
 *
 * With the bootstrap p-value (`pMethod: "bootstrap"`) and a 95 % interval,
 * unadjusted `p < 0.05` and "the interval excludes 0" agree up to the
 * interpolation between two neighbouring order statistics, and the Holm
 * adjustment only raises p, so a resolved verdict comes with an interval on
 * its side of 0. A permutation p-value comes from another procedure: an
 * interval may then exclude 0 while the claim stays unresolved (few units);
 * the verdict follows the p-value.
 *
 * @throws {NonFiniteError} a non-finite estimate or bound.
 * @throws {OptionError} `lower > upper`, a p-value outside [0, 1], alpha outside (0, 1),
 *   or an unknown direction.
 * @example
 * ```ts
 * verdict({ estimate: 0.04, lower: 0.01, upper: 0.07, pAdjusted: 0.004, direction: "greater" });
 * // "supported"
 * ```
 */
export function verdict(input: VerdictInput): Verdict {
  const fn = "verdict";
  const { estimate, pAdjusted, direction, alpha = 0.05 } = input;
  checkEffect(input, fn);
  checkP(pAdjusted, fn);
  if (!(alpha > 0 && alpha < 1)) {
    throw new OptionError(`${fn}: alpha: expected a number in (0, 1), found ${alpha}`);
  }
  if (direction !== "greater" && direction !== "less") {
    throw new OptionError(`${fn}: direction: expected "greater" or "less", found ${direction}`);
  }
  if (!(pAdjusted < alpha) || estimate === 0) return "not resolved by this data";
  return (estimate > 0) === (direction === "greater") ? "supported" : "contradicted";
}

/** Options of {@linkcode formatEffect}. */
export interface FormatOptions {
  /** Significant digits of the largest of estimate and bounds, and of the p-value. Default 2. */
  digits?: number;
  /** Name of the effect. Default `"Δ"`. */
  symbol?: string;
  /** Name of the p-value. Default `"p_Holm"`. */
  pLabel?: string;
  /**
   * Shown in brackets instead of the interval, e.g. "no interval: one run per
   * fold", when the interval means nothing (the decimals then follow the
   * estimate alone). Default: the interval is shown.
   */
  instead?: string;
}

/** Decimals that give the largest magnitude among `values` `digits` significant digits. */
function decimalsFor(values: number[], digits: number): number {
  const max = Math.max(...values.map(Math.abs));
  if (max === 0) return digits;
  const magnitude = Math.floor(Math.log10(max));
  let decimals = Math.max(0, digits - 1 - magnitude);
  // 0.0996 at 2 digits rounds to 0.100: one decimal fewer keeps 2 digits.
  if (decimals > 0 && Math.abs(Number(max.toFixed(decimals))) >= 10 ** (magnitude + 1)) {
    decimals--;
  }
  return Math.min(decimals, 100);
}

function fixed(x: number, decimals: number, signed: boolean): string {
  const s = x.toFixed(decimals);
  if (Number(s) === 0) return (0).toFixed(decimals);
  return signed && x > 0 ? `+${s}` : s;
}

/**
 * Renders an effect as `Δ = +0.043 [0.012, 0.071], p_Holm = 0.004`. The
 * estimate and bounds share one number of decimals, chosen so that the
 * largest of them shows `digits` significant digits; the p-value is rounded
 * to `digits` significant digits, and shown as `< 0.001` below 0.001.
 *
 * @throws {NonFiniteError} a non-finite estimate or bound.
 * @throws {OptionError} `lower > upper`, a p-value outside [0, 1], or digits not an integer in [1, 15].
 * @example
 * ```ts
 * formatEffect({ estimate: 0.0431, lower: 0.0118, upper: 0.0712, pAdjusted: 0.004 });
 * // "Δ = +0.043 [0.012, 0.071], p_Holm = 0.004"
 * ```
 */
export function formatEffect(effect: AdjustedEffect, options: FormatOptions = {}): string {
  const fn = "formatEffect";
  const { digits = 2, symbol = "Δ", pLabel = "p_Holm", instead } = options;
  checkEffect(effect, fn);
  checkP(effect.pAdjusted, fn);
  if (!Number.isInteger(digits) || digits < 1 || digits > 15) {
    throw new OptionError(`${fn}: digits: expected an integer in [1, 15], found ${digits}`);
  }
  const { estimate, lower, upper, pAdjusted } = effect;
  const p = pAdjusted < 0.001 ? "< 0.001" : `= ${Number(pAdjusted.toPrecision(digits))}`;
  if (instead !== undefined) {
    const d = decimalsFor([estimate], digits);
    return `${symbol} = ${fixed(estimate, d, true)} (${instead}), ${pLabel} ${p}`;
  }
  const d = decimalsFor([estimate, lower, upper], digits);
  return `${symbol} = ${fixed(estimate, d, true)} [${fixed(lower, d, false)}, ${
    fixed(upper, d, false)
  }], ${pLabel} ${p}`;
}

/**
 * Resamples for the p-values of a family of `familySize` claims:
 * `max(1000, ⌈margin · m / α⌉)`. The smallest resampled p is `1 / (B + 1)`
 * and Holm's first step multiplies it by m, so B must exceed `m / α − 1` for
 * any claim to be resolved; `margin` (default 10) makes p-values down to
 * `α / (margin · m)` distinguishable.
 *
 * @throws {OptionError} familySize not a positive integer, alpha outside (0, 1), margin < 1.
 * @example
 * ```ts
 * resamplesForFamily(100); // 20000
 * resamplesForFamily(3); // 1000
 * ```
 */
export function resamplesForFamily(familySize: number, alpha = 0.05, margin = 10): number {
  const fn = "resamplesForFamily";
  if (!Number.isInteger(familySize) || familySize < 1) {
    throw new OptionError(`${fn}: familySize: expected a positive integer, found ${familySize}`);
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new OptionError(`${fn}: alpha: expected a number in (0, 1), found ${alpha}`);
  }
  if (!(margin >= 1)) {
    throw new OptionError(`${fn}: margin: expected a number ≥ 1, found ${margin}`);
  }
  return Math.max(MIN_RESAMPLES, Math.ceil((margin * familySize) / alpha));
}

/** A claim of a family: a paired comparison and the direction it asserts. */
export interface Claim extends Effect {
  /** The unadjusted p-value of the comparison. */
  pValue: number;
  /** The claimed sign of A − B. */
  direction: Direction;
}

/** A claim judged within its family. */
export type JudgedClaim<T extends Claim> = T & {
  /** The Holm-adjusted p-value over the family. */
  pAdjusted: number;
  /** The verdict at the family-wise level alpha. */
  verdict: Verdict;
};

/**
 * Judges a family of claims together: Holm-adjusts their p-values
 * ({@linkcode holm}), then gives each its {@linkcode verdict}.
 *
 * A resampled p-value is never below `1 / (B + 1)` and Holm multiplies the
 * smallest by the family size m, so a family of `m ≥ α (B + 1)` claims can
 * resolve none of them (m ≥ 50 at B = 1000, α = 0.05): size the resamples
 * with {@linkcode resamplesForFamily}.
 *
 * @param claims each a paired comparison (e.g. from `pairedDifference`) with a direction
 * @param alpha family-wise significance level. Default 0.05.
 * @example
 * ```ts
 * import { formatEffect, judgeFamily, pairedRunLevel } from "./mod.ts";
 * const dbi = (values: number[]) => values.map((value, i) => ({ fold: "0", seed: i + 1, value }));
 * const judged = judgeFamily([
 *   // claim: eMargin has the lower DBI (the other claims of the family go here too)
 *   { ...pairedRunLevel(dbi([1.1, 1.2, 1.0]), dbi([1.5, 1.4, 1.6])), direction: "less" },
 * ]);
 * judged.map((c) => `${c.verdict}: ${formatEffect(c)}`);
 * ```
 */
export function judgeFamily<T extends Claim>(
  claims: readonly T[],
  alpha = 0.05,
): JudgedClaim<T>[] {
  const adjusted = holm(claims.map((c) => c.pValue));
  return claims.map((c, i) => ({
    ...c,
    pAdjusted: adjusted[i],
    verdict: verdict({ ...c, pAdjusted: adjusted[i], alpha }),
  }));
}
