/**
 * Signed differences for the verdict tables, in the report's one number
 * format ({@linkcode formatNumber}: three significant digits).
 *
 * @module
 */
import { formatNumber } from "../report/mod.ts";

export { formatNumber };

/**
 * A signed difference with a true minus sign, e.g. "+0.0430" or "−1.20".
 *
 * @example
 * ```ts
 * import { formatSigned } from "./format.ts";
 * formatSigned(-0.0123); // "−0.0123"
 * ```
 */
export function formatSigned(v: number): string {
  return `${v >= 0 ? "+" : "−"}${formatNumber(Math.abs(v))}`;
}
