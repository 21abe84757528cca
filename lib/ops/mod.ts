/**
 * Tensor operations shared by the losses, encoders and probes.
 *
 * @module
 */
export * from "./matmul.ts";
