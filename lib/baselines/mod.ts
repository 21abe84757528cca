/**
 * The baselines of the eMargin reference (spec `baselines.md`), each as the
 * official wrapper ships it: an encoder whose parameters are what the
 * official optimiser updates, and an objective for `pretrain({ objective })`.
 *
 * @module
 */
export * from "./types.ts";
export * from "./common.ts";
export * from "./cpc.ts";
export * from "./softclt.ts";
export * from "./infots.ts";
export * from "./infots_aug.ts";
export * from "./tnc.ts";
export * from "./composite.ts";
export * from "./timedrl.ts";
export * from "./simmtm.ts";
export * from "./cost.ts";
export * from "./cost_net.ts";
export * from "./mf_clr.ts";
export * from "./mf_clr_aug.ts";
