/**
 * Dataset readers (one per file format), the dataset pipeline (`datasets/`)
 * and the featurised-dataset cache.
 *
 * @module
 */
export * from "./types.ts";
export * from "./hapt.ts";
export * from "./harth.ts";
export * from "./npz.ts";
export * from "./synthetic.ts";
export * from "./cache.ts";
export * from "./datasets/mod.ts";
export * from "./wfdb/mod.ts";
export * from "./edf.ts";
export * from "./hypnogram.ts";
export * from "./download.ts";
export * from "./hash.ts";
export * from "./dreams.ts";
