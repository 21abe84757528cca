/**
 * Errors raised by the notebook runner.
 *
 * @module
 */
import { EmarginError } from "../errors.ts";

/** The kernel could not be started, stopped answering, or broke the protocol. */
export class KernelError extends EmarginError {}

/** A parameter given to a run is malformed or not declared by the notebook's parameters cell. */
export class ParameterError extends EmarginError {}

/** A notebook breaks the nbformat 4 rules; `problems` lists each as `path: what`. */
export class NotebookFormatError extends EmarginError {
  /** The file (or a label for an in-memory notebook). */
  readonly file: string;
  /** One line per rule broken, e.g. `cells[3].outputs[0]: missing "name"`. */
  readonly problems: string[];
  constructor(file: string, problems: string[]) {
    super(`${file}: not a valid nbformat 4 notebook:\n  ${problems.join("\n  ")}`);
    this.file = file;
    this.problems = problems;
  }
}
