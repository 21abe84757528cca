/**
 * Optimisers.
 *
 * @module
 */
export * from "./adamw.ts";
