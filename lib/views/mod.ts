/**
 * What turns study records into the report's tables and sentences: the
 * front page, the main results with intervals, the verdicts, the mechanism
 * and defect tables. Each function returns a display object for the Deno
 * Jupyter kernel.
 *
 * @module
 */
export * from "./format.ts";
export * from "./display.ts";
export * from "./data_views.ts";
export * from "./scatter_view.ts";
export * from "./coverage.ts";
export * from "./evidence.ts";
export * from "./folds.ts";
export * from "./claims.ts";
export * from "./defects.ts";
export * from "./front_page.ts";
export * from "./baselines.ts";
