/**
 * Contrastive losses of the study (spec §2.2, §2.3, §3, §6): the reference
 * losses bug-for-bug, their log-space corrections, and the related methods.
 *
 * @module
 */
export * from "./similarity.ts";
export * from "./sim_vector.ts";
export * from "./hatcl.ts";
export * from "./margin.ts";
