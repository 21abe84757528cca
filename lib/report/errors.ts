/**
 * Errors raised while building the HTML report.
 *
 * @module
 */
import { EmarginError, expectation } from "../errors.ts";

/** A report could not be built; the previous report file is left untouched. */
export class ReportError extends EmarginError {
  /** Path of the notebook at fault, or `null` for the report as a whole. */
  readonly notebook: string | null;
  constructor(notebook: string | null, message: string) {
    super(notebook === null ? message : `${notebook}: ${message}`);
    this.notebook = notebook;
  }
}

/** A notebook holds an `error` output and the build was asked to fail on errors. */
export class NotebookFailedError extends ReportError {
  /** Index of the failing cell in `notebook.cells`. */
  readonly cell: number;
  /** Exception name reported by the kernel, e.g. "TypeError". */
  readonly ename: string;
  constructor(notebook: string, cell: number, ename: string, evalue: string) {
    super(notebook, `cells[${cell}] raised ${ename}: ${evalue}`);
    this.cell = cell;
    this.ename = ename;
  }
}

const SELF_CONTAINED = "a self-contained fragment (no scripts, no external resources)";

/** Trusted markup would load something from outside the report, or run a script. */
export class UnsafeContentError extends ReportError {
  /** Where the markup came from, e.g. "cells[4].outputs[0] text/html". */
  readonly where: string;
  /** The offending references, e.g. `img src="https://…"`. */
  readonly found: string[];
  constructor(notebook: string | null, where: string, found: string[]) {
    super(notebook, `${where}: ${expectation(SELF_CONTAINED, found.join(", "))}`);
    this.where = where;
    this.found = found;
  }
}
