/**
 * The study: experiment grid, single runs, result records and their cache.
 *
 * @module
 */
export * from "./config.ts";
export * from "./hyper.ts";
export * from "./record.ts";
export * from "./grid.ts";
export * from "./result_cache.ts";
export * from "./run_experiment.ts";
export * from "./study.ts";
export * from "./projection.ts";
export * from "./defects.ts";
export * from "./summary.ts";
export * from "./shared_folds.ts";
export * from "./evaluate.ts";
export * from "./adjacency.ts";
export * from "./evidence.ts";
export * from "./claims.ts";
export * from "./weights_cache.ts";
