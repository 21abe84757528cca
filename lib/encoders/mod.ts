/**
 * Frame encoders `[B, T, F] → [B, T, D]` and their state-dict helpers.
 *
 * @module
 */
export * from "./types.ts";
export * from "./feature_projector.ts";
export {
  batchNormEval,
  batchNormReluTrain,
  batchNormTrain,
  BN_EPS,
  BN_MOMENTUM,
} from "./batch_norm.ts";
export type { BatchNormState } from "./batch_norm.ts";
export * from "./state.ts";
