/**
 * Every baseline by name, for the study grid.
 *
 * @module
 */
import { cpcBaseline } from "./cpc.ts";
import { tncBaseline } from "./tnc.ts";
import { infotsBaseline } from "./infots.ts";
import { softcltBaseline } from "./softclt.ts";
import { softcltPublishedBaseline } from "./softclt_published.ts";
import { costBaseline } from "./cost_net.ts";
import { costUnfrozenBaseline } from "./cost_unfrozen.ts";
import { timedrlBaseline } from "./timedrl.ts";
import { simmtmBaseline } from "./simmtm.ts";
import { mfclrBaseline } from "./mf_clr.ts";
import type { BaselineName, BaselineSpec } from "./types.ts";

/**
 * The baselines as shipped with the eMargin reference, and the published
 * method where the spec marks a material discrepancy (`softclt-published`,
 * `cost-unfrozen`).
 *
 * @example
 * ```ts
 * import { BASELINES } from "./mod.ts";
 * import { pretrain } from "../train/mod.ts";
 *
 * const spec = BASELINES["cpc"];
 * const encoder = spec.createEncoder({ inFeatures: 156, seed: 1, T: 119 });
 * const objective = spec.createObjective({ seed: 1, T: 119, paperConfig: "HARTH" });
 * // await pretrain({ encoder, objective, batches, steps: 600, mode: "reference" });
 * encoder.dispose();
 * spec.dispose?.();
 * ```
 */
export const BASELINES: Record<BaselineName, BaselineSpec> = {
  "cpc": cpcBaseline,
  "tnc": tncBaseline,
  "infots": infotsBaseline,
  "softclt": softcltBaseline,
  "softclt-published": softcltPublishedBaseline,
  "cost": costBaseline,
  "cost-unfrozen": costUnfrozenBaseline,
  "timedrl": timedrlBaseline,
  "simmtm": simmtmBaseline,
  "mf-clr": mfclrBaseline,
};

/** The names of {@linkcode BASELINES}, in the spec's order. */
export const BASELINE_NAMES = Object.keys(BASELINES) as BaselineName[];
