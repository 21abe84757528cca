/**
 * The dataset pipeline: the registry ({@linkcode loadDataset}), the one build
 * (`build.ts`), the subject folds (`split.ts`) and one module per recipe —
 * HAR (HAPT, HARTH), ECG (MIT-BIH, AFDB), sleep-EDF, DREAMS, synthetic.
 *
 * @module
 */
export * from "./build.ts";
export * from "./split.ts";
export * from "./har.ts";
export * from "./ecg.ts";
export * from "./sleep_edf.ts";
export * from "./dreams_frames.ts";
export * from "./dreams.ts";
export * from "./synthetic.ts";
export * from "./registry.ts";
