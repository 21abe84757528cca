/**
 * One number format for the report's figures, keys and colour scales: a fixed
 * number of significant digits.
 *
 * @module
 */

/**
 * `v` with `digits` significant digits (default 3), trailing zeros kept so a
 * column reads evenly: `0.500`, `12.3`, `0.0123`. Integers of more digits are
 * rounded (`1235`), magnitudes below 1e-4 or from 1e6 up use exponent form
 * (`1.23e-5`); NaN and ±Infinity are spelled out, null is `—`.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./format.ts";
 * formatNumber(0.123456); // "0.123"
 * formatNumber(1234.5); // "1235"
 * ```
 */
export function formatNumber(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return "—";
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "−Inf";
  if (v === 0) return "0";
  const abs = Math.abs(v);
  if (abs < 1e-4 || abs >= 1e6) return v.toExponential(digits - 1);
  if (abs >= 10 ** digits) return String(Math.round(v));
  const text = v.toPrecision(digits);
  // 999.96 at 3 digits rounds up to "1.00e+3"
  return text.includes("e") ? String(Math.round(v)) : text;
}
