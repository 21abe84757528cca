/**
 * Number grammars and line splitting shared by the text readers (HAPT,
 * HARTH, WFDB headers, EDF headers, DREAMS). One definition each, so every
 * reader accepts and refuses the same spellings.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";

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

/** A kind of number in a text file: its grammar, the check of `Number(text)`, and its name in errors. */
export interface NumberKind {
  grammar: RegExp;
  valid: (value: number) => boolean;
  /** What an error says was expected, e.g. "a finite decimal number". */
  expected: string;
}

/** A {@linkcode DECIMAL} whose value is finite. */
export const FINITE_DECIMAL: NumberKind = {
  grammar: DECIMAL,
  valid: Number.isFinite,
  expected: "a finite decimal number",
};

/** A {@linkcode SIGNED_INTEGER} within ±(2^53 − 1). */
export const SAFE_INTEGER: NumberKind = {
  grammar: SIGNED_INTEGER,
  valid: Number.isSafeInteger,
  expected: "an integer",
};

/** An {@linkcode UNSIGNED_INTEGER} below 2^53. */
export const SAFE_COUNT: NumberKind = {
  grammar: UNSIGNED_INTEGER,
  valid: Number.isSafeInteger,
  expected: "a non-negative integer",
};

/**
 * `Number(text)` when `text` is a number of `kind`. The error names `file`
 * and the field: `field` itself, or `line <field> <column>` when `column` is
 * given (so that readers of large files build it only on error).
 *
 * @throws {DataFormatError} quoting `text` otherwise
 * @example
 * ```ts
 * import { FINITE_DECIMAL, parseNumber } from "./parse.ts";
 * parseNumber("-1.5e3", FINITE_DECIMAL, "a.csv", 2, "x"); // -1500
 * // parseNumber("0x1f", FINITE_DECIMAL, "a.csv", 2, "x") throws: a.csv: line 2 x …
 * ```
 */
export function parseNumber(
  text: string,
  kind: NumberKind,
  file: string,
  field: string | number,
  column?: string,
): number {
  const value = Number(text);
  if (!kind.grammar.test(text) || !kind.valid(value)) {
    const where = column === undefined ? String(field) : `line ${field} ${column}`;
    throw new DataFormatError(file, where, kind.expected, JSON.stringify(text));
  }
  return value;
}

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
