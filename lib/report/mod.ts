/**
 * The study's static HTML report and its chart helper.
 *
 * ```ts
 * import { buildReport, collectHeader, readNotebook } from "./lib/report/mod.ts";
 * const header = await collectHeader({ backend: "wasm", profile: "quick" });
 * const path = "notebooks/01_data.ipynb";
 * await buildReport({ title: "eMargin study", header, notebooks: [{ path, notebook: await readNotebook(path) }] });
 * ```
 *
 * @module
 */
export {
  buildReport,
  type BuildReportOptions,
  type BuildReportResult,
  isOwnNotebook,
  type NotebookSummary,
  renderReport,
  type ReportNotebook,
} from "./build.ts";
export { NotebookFailedError, ReportError, UnsafeContentError } from "./errors.ts";
export {
  collectHeader,
  type CollectHeaderOptions,
  gitCommit,
  type ReportHeader,
} from "./header.ts";
export { escapeHtml, stripAnsi } from "./html.ts";
export { cellSeconds, notebookSeconds, readNotebook, validateNotebook } from "./input.ts";
export { findExternalReferences } from "./resources.ts";
export { JUPYTER_DISPLAY, plot, type PlotFigure } from "./plot.ts";
