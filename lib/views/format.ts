/**
 * One number format for every table of the report: three significant digits
 * below 100, whole numbers above (CHI, effective rank), thin-space thousands.
 *
 * @module
 */

/**
 * Formats a number for a table cell.
 *
 * @example
 * ```ts
 * import { formatNumber } from "./format.ts";
 * formatNumber(0.81234); // "0.812"
 * formatNumber(12427.3); // "12 427"
 * ```
 */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a >= 100) return Math.round(v).toLocaleString("en").replaceAll(",", " ");
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** A signed difference, e.g. "+0.043". */
export function formatSigned(v: number): string {
  return `${v >= 0 ? "+" : "−"}${formatNumber(Math.abs(v))}`;
}
