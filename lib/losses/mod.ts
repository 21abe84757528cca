/**
 * Contrastive losses of the study (spec §2.2, §2.3, §3, §6): the reference
 * losses bug-for-bug, their log-space corrections, the related methods, and
 * a factory with one signature for the training loop.
 *
 * @module
 */
export * from "./similarity.ts";
export * from "./exp_domain.ts";
export * from "./sim_vector.ts";
export * from "./hatcl.ts";
export * from "./margin.ts";
export * from "./log_sum_exp.ts";
export * from "./neighbours.ts";
export * from "./log_space.ts";
export * from "./infonce.ts";
export * from "./stable.ts";
export * from "./difficult.ts";
export * from "./vrns.ts";
export * from "./combine.ts";
export * from "./factory.ts";
export * from "./fused/mod.ts";
