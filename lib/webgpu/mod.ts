/**
 * WebGPU-specific tooling: counters of what a training step asks of the GPU
 * device (dispatches, allocations, submissions, read-backs).
 *
 * @module
 */
export * from "./counters.ts";
