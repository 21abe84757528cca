/**
 * The direction of imports between the modules of `lib/`, written down once
 * and checked by `tests/architecture_test.ts` against the import graph.
 *
 * A module is a folder of `lib/` (`data`, `losses`, …) or a file directly in
 * `lib/` (`errors`, `tf`, …; `mod` is the package's entry point). A module
 * imports another only through its entry point (`lib/<folder>/mod.ts`, the
 * file itself, or one of {@linkcode ENTRY_POINTS}), and only from a layer
 * below its own: modules of one layer do
 * not import each other, so the modules form no cycle. Files in `scripts/` and
 * `bench/` are above every layer and import folders through `mod.ts` as well;
 * tests may import any file.
 *
 * @example Where a module sits
 * ```ts
 * import { LAYERS } from "./architecture.ts";
 * const layerOf = (module: string) => LAYERS.findIndex((layer) => layer.includes(module));
 * console.assert(layerOf("views") > layerOf("experiments"));
 * ```
 *
 * @module
 */

/**
 * Files besides `mod.ts` that other folders may import, each for a reason:
 * `lib/notebook/nbformat.ts` is the notebook format without the kernel
 * client, so that the report builder — and every notebook that imports the
 * report's helpers — does not load the native ZeroMQ addon.
 */
export const ENTRY_POINTS: readonly string[] = ["lib/notebook/nbformat.ts"];

/** Layers from the bottom up: a module may import modules of lower layers only. */
export const LAYERS: readonly (readonly string[])[] = [
  // foundations: typed errors (and this table), the TensorFlow.js handle, files, paths,
  // seeded randomness
  ["errors", "architecture"],
  ["tf", "io", "paths", "random"],
  // WebAssembly kernels: the emitter, and the GEMM the wasm backend's products run on
  ["wasm"],
  ["backend"],
  // building blocks, and the notebook runner (infrastructure)
  ["features", "ops", "optim", "stats", "notebook"],
  ["data", "encoders", "losses", "metrics"],
  // the WebGPU step's counters and fused programs (over the encoders and losses)
  ["webgpu"],
  ["train"],
  ["ts2vec"],
  ["baselines"],
  // the study (grid, runs, records, summaries, claims) and the HTML report (infrastructure)
  ["experiments", "report"],
  // study results as tables, charts and findings for the notebooks
  ["views"],
  // lib/mod.ts, the package's entry point
  ["mod"],
];
