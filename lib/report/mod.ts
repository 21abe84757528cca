/**
 * The study's static HTML report and its chart helper.
 *
 * The report is one HTML file that loads nothing: CSS and SVG inline, images
 * as `data:` URIs, no JavaScript. The only URLs it may hold are plain
 * `<a href>` links written in markdown (e.g. to a dataset's page): following
 * one is the reader's choice, and the page renders the same offline. Markup
 * outputs (`text/html`, `image/svg+xml`) and raw HTML in markdown are embedded
 * only for trusted notebooks (by default those in the repository's
 * `notebooks/` folder) and only when {@linkcode findExternalReferences} finds
 * nothing; otherwise they appear as escaped text or the build fails.
 *
 * ```ts
 * import { readNotebook } from "./lib/notebook/mod.ts";
 * import { buildReport, collectHeader } from "./lib/report/mod.ts";
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
  isFrontPage,
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
export { dotsAsPaths } from "./svg_dots.ts";
export { findExternalReferences } from "./resources.ts";
export { checkReport, type ReportCheck } from "./check.ts";
export { JUPYTER_DISPLAY, legend, plot, type PlotFigure, roundGeometry } from "./plot.ts";
export { formatNumber } from "./format.ts";
export { colourTransform, heatmap, type HeatmapOptions, heatmapPng } from "./heatmap.ts";
export {
  type HeatmapAxis,
  type HeatmapFigure,
  heatmapFigure,
  type HeatmapFigureOptions,
} from "./heatmap_figure.ts";
export {
  type LabelPoint,
  type PlacedLabel,
  placeLabels,
  type PlaceLabelsOptions,
} from "./labels.ts";
export { isNumericCell, layoutTables } from "./tables.ts";
export { type BrowserOptions, dumpDom, findChromium, screenshot } from "./browser.ts";
export {
  checkLayout,
  LAYOUT_PROBE,
  type LayoutReport,
  readLayoutProbe,
  withLayoutProbe,
} from "./layout.ts";
