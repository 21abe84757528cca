/**
 * Typed errors shared by every module. Each names what was wrong, where, and
 * what was expected, so a user can fix the input without reading the code.
 *
 * @module
 */

/** Base class of every error this project raises on purpose. */
export class EmarginError extends Error {
  override name = "EmarginError";
}

/** A file (or byte buffer) does not follow its format. */
export class DataFormatError extends EmarginError {
  override name = "DataFormatError";
  /** The file path (or a label for an in-memory buffer). */
  readonly file: string;
  /** The offending field, header key, line or byte range. */
  readonly field: string;
  /** What was expected there. */
  readonly expected: string;
  constructor(file: string, field: string, expected: string, found?: string) {
    super(
      `${file}: ${field}: expected ${expected}${found === undefined ? "" : `, found ${found}`}`,
    );
    this.file = file;
    this.field = field;
    this.expected = expected;
  }
}

/** Data that should be on disk is not there. */
export class MissingDataError extends EmarginError {
  override name = "MissingDataError";
}

/** A tensor or array has the wrong shape or length. */
export class ShapeError extends EmarginError {
  override name = "ShapeError";
}

/** An input contains NaN or ±Infinity where finite numbers are required. */
export class NonFiniteError extends EmarginError {
  override name = "NonFiniteError";
}

/** An input is degenerate for the computation (one cluster, identical points, …). */
export class DegenerateInputError extends EmarginError {
  override name = "DegenerateInputError";
}

/** An option has a value outside its domain. */
export class OptionError extends EmarginError {
  override name = "OptionError";
}
