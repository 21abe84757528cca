/**
 * Holm–Bonferroni adjustment of a family of p-values.
 *
 * Written by hand: a dozen lines, and the npm packages that offer it are
 * unmaintained or pull in a whole statistics suite.
 *
 * @module
 */
import { NonFiniteError, OptionError } from "../errors.ts";

/**
 * Holm's step-down adjusted p-values, in the input order. With the m p-values
 * sorted ascending, `p_(1) ≤ … ≤ p_(m)`:
 * `p̃_(i) = min(1, max_{j ≤ i} (m − j + 1) p_(j))`; rejecting `p̃ < α` controls
 * the family-wise error rate at α. Ties keep their input order (the result
 * does not depend on it).
 *
 * @param pValues the family's unadjusted p-values, each in [0, 1]
 * @returns adjusted p-values `[m]`, monotone in the sorted order, capped at 1
 * @throws {NonFiniteError} a NaN p-value.
 * @throws {OptionError} a p-value outside [0, 1].
 * @example
 * ```ts
 * holm([0.01, 0.04, 0.03]); // [0.03, 0.06, 0.06]
 * ```
 */
export function holm(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (Number.isNaN(p)) {
      throw new NonFiniteError(`holm: pValues[${i}]: expected a number, found NaN`);
    }
    if (!(p >= 0 && p <= 1)) {
      throw new OptionError(`holm: pValues[${i}]: expected a p-value in [0, 1], found ${p}`);
    }
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((x, y) => pValues[x] - pValues[y] || x - y);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[i]));
    adjusted[i] = running;
  });
  return adjusted;
}
