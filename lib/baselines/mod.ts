/**
 * The baselines of the eMargin reference (spec `baselines.md`), each as the
 * official wrapper ships it: an encoder whose parameters are what the
 * official optimiser updates (its eval-mode `apply` is the shipped
 * `encode`), and an objective for `pretrain({ objective })`. Auxiliary nets
 * the official optimiser never updates stay at their seeded init inside the
 * objective; `spec.dispose()` frees them.
 *
 * @example
 * ```ts
 * import { BASELINES } from "./mod.ts";
 *
 * for (const spec of Object.values(BASELINES)) {
 *   console.log(spec.name, spec.specSection, spec.defects.length);
 * }
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./registry.ts";
export * from "./spec.ts";
export * from "./common.ts";
export * from "./composite.ts";
export * from "./cpc.ts";
export * from "./tnc.ts";
export * from "./infots.ts";
export * from "./infots_aug.ts";
export * from "./softclt.ts";
export * from "./softclt_published.ts";
export * from "./cost.ts";
export * from "./cost_layers.ts";
export * from "./cost_net.ts";
export * from "./cost_unfrozen.ts";
export * from "./timedrl.ts";
export * from "./timedrl_patched.ts";
export * from "./simmtm.ts";
export * from "./mf_clr.ts";
export * from "./mf_clr_aug.ts";
export * from "./simmtm_blocked.ts";
