/**
 * The verdicts table: every claim per dataset with its paired effect, 95 %
 * interval, Holm-adjusted p-value and verdict. The rule is stated once, above
 * the table.
 *
 * @module
 */
import {
  CLAIMS,
  type ClaimTopic,
  judgeClaims,
  type JudgedClaim,
  MAX_NON_FINITE_FRACTION,
  type Study,
  type StudyDataset,
} from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import { escapeHtml } from "../report/mod.ts";
import { formatEffect } from "../stats/mod.ts";

/** The rule every verdict follows, in words (shown once above the verdicts). */
export const VERDICT_RULE =
  `Each claim is a paired comparison A − B over the (fold, seed) runs both variants have. ` +
  `Its 95 % interval resamples the held-out subjects/records/excerpts within each fold for the ` +
  `probe metrics (cluster bootstrap) and the (fold, seed) runs for the clustering indices and ` +
  `similarities; its p-value is a swap test (A and B exchanged within held-out groups, or within ` +
  `runs), which keeps its level with few groups. Each dataset's ${CLAIMS.length} claims are one ` +
  `family, Holm-corrected. "supported": adjusted p < 0.05 ` +
  `with the effect in the claimed direction; "contradicted": adjusted p < 0.05 in the opposite ` +
  `direction; otherwise "not resolved by this data". Runs whose loss was non-finite on more than ` +
  `${MAX_NON_FINITE_FRACTION * 100} % of their steps take no part.`;

/** "Δ = +0.043 [0.012, 0.071], p_Holm = 0.004, 12 pairs" (or the reason there is none). */
export function formatClaimEffect(c: JudgedClaim): string {
  if (!c.effect) return c.reason ?? "no data";
  const e = c.effect;
  const pairs = `${e.pairs} pair${e.pairs === 1 ? "" : "s"}`;
  // a run-level effect with one run per fold resamples nothing: no interval to show
  const instead = e.lower === e.upper ? "no interval: one run per fold" : undefined;
  return `${formatEffect(e, { digits: 3, instead })}, ${pairs}`;
}

/** The verdict of a claim, "no data" when it could not be tested. */
export function verdictOf(c: JudgedClaim): string {
  return c.effect ? c.effect.verdict : "no data";
}

/** The study's judged claims (memoised per study object). */
export function studyClaims(study: Study): JudgedClaim[] {
  const hit = memo.get(study);
  if (hit) return hit;
  const judged = judgeClaims(study.records, study.datasets);
  memo.set(study, judged);
  return judged;
}
const memo = new WeakMap<Study, JudgedClaim[]>();

/** The verdicts as a table, optionally for one dataset and some topics. */
export function claimsTable(
  study: Study,
  { dataset, topics }: { dataset?: StudyDataset; topics?: ClaimTopic[] } = {},
): Displayable {
  const rows = studyClaims(study)
    .filter((c) => (!dataset || c.dataset === dataset) && (!topics || topics.includes(c.topic)))
    .map((c) => [datasetLabel(c.dataset), c.text, verdictOf(c), formatClaimEffect(c)]);
  return html(
    `<p class="rule">${escapeHtml(VERDICT_RULE)}</p><div class="table-scroll">${
      htmlTable(["dataset", "claim (A vs B)", "verdict", "effect A − B [95 % interval]"], rows)
    }</div>`,
  );
}
