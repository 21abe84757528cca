/**
 * Paired randomisation tests: under the null hypothesis that A and B are
 * exchangeable within each unit (a held-out group, or a (fold, seed) pair),
 * swapping A and B in any set of units leaves the distribution of the data
 * unchanged, so the observed statistic is compared with its values under
 * random swaps.
 *
 * Unlike the percentile bootstrap p-value, whose false-positive rate exceeds
 * its level when there are few units (measured in `tests/stats_compare_test.ts`),
 * this test holds its level for any number of units: with n units the smallest
 * attainable p is `2 / 2ⁿ` (0.25 with 3 seeds), which is the honest answer.
 *
 * @module
 */
import { deriveSeed, makeRng } from "../random.ts";
import { NonFiniteError, OptionError } from "../errors.ts";

/** How the p-value of a paired comparison was computed. */
export type PMethod = "bootstrap" | "permutation";

/**
 * The smallest two-sided p-value an exact swap test over `units` units can
 * give, `2 / 2^units` (both the observed and the all-swapped pattern are as
 * extreme); `1` without units.
 *
 * @example
 * ```ts
 * smallestSwapP(3); // 0.25: 3 seeds cannot reach p < 0.05
 * ```
 */
export function smallestSwapP(units: number): number {
  return units < 1 ? 1 : Math.min(1, 2 / 2 ** units);
}

/** The fewest units from which an exact swap test can reach `p < alpha` (`2 / 2^n < α`). */
export function unitsForSwapP(alpha: number): number {
  return Math.floor(Math.log2(2 / alpha)) + 1;
}

/**
 * Two-sided p-value of a paired swap test, `T_obs = T(nothing swapped)`:
 * - exact, when `2^units ≤ exactUpTo`: the fraction of all `2^units` swap
 *   patterns `s` with `|T(s)| ≥ |T_obs|` (at least `2 / 2^units` when
 *   `T_obs ≠ 0`: no swap and all swapped);
 * - else Monte Carlo: `p = (1 + #{b : |T(s_b)| ≥ |T_obs|}) / (B + 1)` over
 *   `B = resamples` random patterns (each unit swapped with probability ½,
 *   seeded), the add-one form that keeps the test valid for a finite `B`.
 *
 * Values within a relative 1e-12 of `|T_obs|` count as at least as extreme.
 *
 * @param units number of exchangeable units
 * @param statistic `T(s)`; `swapped[u] === 1` when unit `u` has A and B swapped.
 *   The buffer is reused between calls.
 * @param exactUpTo enumerate every pattern when there are at most this many
 * @throws {NonFiniteError} when the statistic is not finite.
 */
export function swapTestPValue(
  units: number,
  statistic: (swapped: Uint8Array) => number,
  { resamples, seed, exactUpTo }: { resamples: number; seed: number; exactUpTo: number },
  fn: string,
): number {
  const swapped = new Uint8Array(units);
  const evaluate = (b: number): number => {
    const t = statistic(swapped);
    if (!Number.isFinite(t)) {
      throw new NonFiniteError(
        `${fn}: statistic: expected a finite number on swap ${b}, found ${t}`,
      );
    }
    return Math.abs(t);
  };
  const threshold = evaluate(-1) * (1 - 1e-12);
  let extreme = 0;
  if (units < 31 && 2 ** units <= exactUpTo) {
    const patterns = 2 ** units;
    for (let mask = 0; mask < patterns; mask++) {
      for (let u = 0; u < units; u++) swapped[u] = (mask >>> u) & 1;
      if (evaluate(mask) >= threshold) extreme++;
    }
    return extreme / patterns;
  }
  const rng = makeRng(deriveSeed("swapTest", seed));
  for (let b = 0; b < resamples; b++) {
    for (let u = 0; u < units; u++) swapped[u] = rng.next() < 0.5 ? 1 : 0;
    if (evaluate(b) >= threshold) extreme++;
  }
  return (1 + extreme) / (resamples + 1);
}

/**
 * Checks a `pMethod` option and fills in its default.
 *
 * @throws {OptionError} a value other than `"bootstrap"` or `"permutation"`.
 */
export function checkPMethod(
  pMethod: PMethod | undefined,
  fn: string,
  fallback: PMethod = "bootstrap",
): PMethod {
  if (pMethod === undefined) return fallback;
  if (pMethod !== "bootstrap" && pMethod !== "permutation") {
    throw new OptionError(
      `${fn}: pMethod: expected "bootstrap" or "permutation", found ${pMethod}`,
    );
  }
  return pMethod;
}
