/**
 * Feature extraction: STFT magnitudes, frame labels and windows, resampling
 * and z-score normalisation.
 *
 * @module
 */
export * from "./stft.ts";
export * from "./frames.ts";
export * from "./normalise.ts";
export * from "./resample.ts";
