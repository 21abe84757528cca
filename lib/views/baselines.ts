/**
 * The paper's baselines beside eMargin: whether eMargin beats every baseline
 * on the clustering indices (the paper's comparative claim), and each
 * baseline's shipped defects set against the untrained-encoder control.
 *
 * @module
 */
import { BASELINE_NAMES, BASELINES } from "../baselines/mod.ts";
import {
  type ClaimSpec,
  compareClaim,
  type ResultRecord,
  type Study,
  type StudyDataset,
  type Variant,
} from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import { formatEffect, holm, type PairedComparison } from "../stats/mod.ts";
import { escapeHtml } from "../report/mod.ts";
import { formatNumber, formatSigned } from "./format.ts";

/** The verdict on "eMargin beats every baseline on a metric" for one dataset. */
export interface BaselineClaim {
  dataset: StudyDataset;
  metric: "daviesBouldin" | "calinskiHarabasz" | "silhouette";
  /** Baselines with a paired comparison, and each one's Holm-adjusted p in the claimed direction. */
  compared: { baseline: Variant; cmp: PairedComparison; pAdjusted: number }[];
  /** Baselines without runs (or without comparable pairs). */
  missing: Variant[];
  verdict: "supported" | "contradicted" | "not resolved by this data" | "no data";
}

const CLAIM_METRICS = [
  ["daviesBouldin", "less"],
  ["calinskiHarabasz", "greater"],
  ["silhouette", "greater"],
] as const;

/**
 * "emargin-reference beats every baseline on DBI / CHI / silhouette", per
 * dataset: one paired comparison per baseline, Holm-corrected over the
 * baselines. Supported when every baseline has runs and every comparison is
 * significant in eMargin's favour (an intersection-union rule); contradicted
 * when some baseline is significantly better than eMargin; otherwise not
 * resolved.
 */
export function baselineClaims(
  records: readonly ResultRecord[],
  dataset: StudyDataset,
): BaselineClaim[] {
  return CLAIM_METRICS.map(([metric, direction]) => {
    const compared: BaselineClaim["compared"] = [];
    const missing: Variant[] = [];
    for (const b of BASELINE_NAMES) {
      const claim: ClaimSpec = {
        id: `beats-${b}`,
        topic: "paper",
        text: "",
        metric,
        a: "emargin-reference",
        b,
        direction,
      };
      const cmp = compareClaim(records, dataset, claim);
      if (typeof cmp === "string") missing.push(b);
      else compared.push({ baseline: b, cmp, pAdjusted: NaN });
    }
    const adjusted = holm(compared.map((c) => c.cmp.pValue));
    compared.forEach((c, i) => (c.pAdjusted = adjusted[i]));
    const favours = (c: BaselineClaim["compared"][number]) =>
      direction === "less" ? c.cmp.estimate < 0 : c.cmp.estimate > 0;
    const significant = compared.filter((c) => c.pAdjusted < 0.05);
    const verdict: BaselineClaim["verdict"] = !compared.length
      ? "no data"
      : significant.some((c) => !favours(c))
      ? "contradicted"
      : !missing.length && significant.length === compared.length && compared.every(favours)
      ? "supported"
      : "not resolved by this data";
    return { dataset, metric, compared, missing, verdict };
  });
}

const METRIC_NAME = { daviesBouldin: "DBI", calinskiHarabasz: "CHI", silhouette: "silhouette" };

/** {@linkcode baselineClaims} of every dataset as one table. */
export function baselineClaimsTable(study: Study): Displayable {
  const rows = study.datasets.flatMap((d) => baselineClaims(study.records, d)).map((c) => [
    datasetLabel(c.dataset),
    `emargin-reference beats every baseline on ${METRIC_NAME[c.metric]}`,
    c.verdict,
    c.compared.map((x) =>
      `${x.baseline}: ${formatEffect({ ...x.cmp, pAdjusted: x.pAdjusted }, { digits: 3 })}`
    ).join("; ") || "—",
    c.missing.length ? c.missing.join(", ") : "none",
  ]);
  return html(
    `<p class="rule">${
      escapeHtml(
        "One paired comparison (emargin-reference − baseline) per baseline, Holm-corrected over " +
          "the baselines; the claim is supported only when every baseline was run and every " +
          "comparison favours eMargin significantly, contradicted when a baseline is " +
          "significantly better.",
      )
    }</p><div class="table-scroll">${
      htmlTable(["dataset", "claim", "verdict", "per baseline", "baselines without runs"], rows)
    }</div>`,
  );
}

/**
 * Each baseline's shipped defects beside its distance from the untrained
 * FeatureProjector (`random-encoder`): a baseline whose probe and DBI sit at
 * the control's cannot have learned much, whatever the paper's table says.
 */
export function baselineDefectsTable(study: Study): Displayable {
  const rows = study.datasets.flatMap((dataset) =>
    BASELINE_NAMES.map((b) => {
      const vs = (metric: "balancedAccuracy" | "daviesBouldin") => {
        const cmp = compareClaim(study.records, dataset, {
          id: "",
          topic: "controls",
          text: "",
          metric,
          a: b,
          b: "random-encoder",
          direction: "greater",
        });
        return typeof cmp === "string"
          ? cmp
          : `${formatSigned(cmp.estimate)} [${formatNumber(cmp.lower)}, ${
            formatNumber(cmp.upper)
          }]`;
      };
      return [
        datasetLabel(dataset),
        `${b} (${BASELINES[b].specSection})`,
        BASELINES[b].defects.join(" "),
        vs("balancedAccuracy"),
        vs("daviesBouldin"),
      ];
    })
  );
  return html(
    `<div class="table-scroll">${
      htmlTable(
        [
          "dataset",
          "baseline",
          "defects of the shipped code",
          "Δ balanced accuracy vs random-encoder",
          "Δ DBI vs random-encoder",
        ],
        rows,
        {
          caption: "The baselines' defects against the untrained-encoder yardstick (paired, 95 %)",
        },
      )
    }</div>`,
  );
}
