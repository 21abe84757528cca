/**
 * Number grammars and line splitting shared by the text readers (HAPT,
 * HARTH, WFDB headers, EDF headers, DREAMS). One definition each, so every
 * reader accepts and refuses the same spellings.
 *
 * @module
 */

/**
 * A decimal number: optional sign, digits with an optional point (or a
 * leading point), optional exponent — `"-1.5e3"`, `".5"`, `"7."`. No `NaN`,
 * `Infinity`, hex or empty string.
 */
export const DECIMAL: RegExp = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A fixed-point number without sign or exponent: `"30"`, `"0.5"`, `".5"`, `"7."`. */
export const FIXED_POINT: RegExp = /^(?:\d+\.?\d*|\.\d+)$/;

/** A fixed-point number with a mandatory sign (EDF+ onsets): `"+30"`, `"-0.5"`. */
export const SIGNED_FIXED_POINT: RegExp = /^[+-](?:\d+\.?\d*|\.\d+)$/;

/** A decimal integer with an optional sign: `"-12"`, `"+3"`, `"0"`. */
export const SIGNED_INTEGER: RegExp = /^[+-]?\d+$/;

/** A decimal integer without sign: `"12"`, `"0"`. */
export const UNSIGNED_INTEGER: RegExp = /^\d+$/;

/**
 * A token as it appears in an error message: JSON-quoted and cut to 40
 * characters.
 */
export function shownToken(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * Splits text into lines (LF or CRLF). A single final newline ends the last
 * line and does not start an empty one.
 *
 * @example
 * ```ts
 * import { splitLines } from "./parse.ts";
 * splitLines("a\r\nb\n"); // ["a", "b"]
 * ```
 */
export function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return lines;
}
