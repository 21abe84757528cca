/**
 * Typed errors shared by every module. Each names what was wrong, where, and
 * what was expected, so a user can fix the input without reading the code.
 *
 * @module
 */

/**
 * Base class of every error this project raises on purpose. An error's
 * `name` is the name of the class it was constructed as (`ShapeError`, …),
 * so subclasses do not set it.
 */
export class EmarginError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The end of a message about a mismatch: `expected <expected>`, then
 * `, found <found>` when `found` is given.
 */
export function expectation(expected: string, found?: string): string {
  return `expected ${expected}${found === undefined ? "" : `, found ${found}`}`;
}

/** A file (or byte buffer) does not follow its format. */
export class DataFormatError extends EmarginError {
  /** The file path (or a label for an in-memory buffer). */
  readonly file: string;
  /** The offending field, header key, line or byte range. */
  readonly field: string;
  /** What was expected there. */
  readonly expected: string;
  constructor(file: string, field: string, expected: string, found?: string) {
    super(`${file}: ${field}: ${expectation(expected, found)}`);
    this.file = file;
    this.field = field;
    this.expected = expected;
  }
}

/** Data that should be on disk is not there. */
export class MissingDataError extends EmarginError {}

/** A tensor or array has the wrong shape or length. */
export class ShapeError extends EmarginError {}

/** An input contains NaN or ±Infinity where finite numbers are required. */
export class NonFiniteError extends EmarginError {}

/** An input is degenerate for the computation (one cluster, identical points, …). */
export class DegenerateInputError extends EmarginError {}

/** An option has a value outside its domain. */
export class OptionError extends EmarginError {}

/**
 * A path that must be a regular file is a directory, FIFO, socket or device
 * (or a link to one). Raised before the file is opened, so nothing blocks.
 */
export class NotRegularFileError extends DataFormatError {}

/**
 * A file, or an array it declares, is larger than the limit the caller set;
 * raised before the bytes are read or allocated. The message names the option
 * that raises the limit.
 */
export class SizeLimitError extends DataFormatError {}
