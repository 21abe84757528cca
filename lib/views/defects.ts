/**
 * The evaluation defects shown on real runs: D6 (what the reference's
 * evaluator would print for a failed run, and how it would rank the
 * variants) and D5 (z-score statistics over all files instead of the
 * training split).
 *
 * @module
 */
import {
  type ResultRecord,
  type Study,
  type StudyDataset,
  type Variant,
  VARIANT_TABLE,
  VARIANTS,
} from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import { formatNumber } from "./format.ts";
import { claimsTable } from "./claims.ts";

/** One variant under the reference evaluator (D6) and under this project's. */
export interface D6Row {
  dataset: StudyDataset;
  variant: Variant;
  /** Mean DBI as the reference prints it: a failed run counts as 0 (the best possible DBI). */
  referenceDbi: number;
  /** Mean DBI over runs whose clustering succeeded, or null when none did. */
  dbi: number | null;
  failedRuns: number;
  runs: number;
  /** Rank by the reference's mean DBI (1 = best). */
  referenceRank: number;
  /** Rank by this project's mean DBI (null when the variant has no valid run). */
  rank: number | null;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/**
 * D6 per dataset: the reference's evaluator maps a failed clustering (NaN
 * embeddings, one cluster) to DBI = CHI = SIL = 0, and a DBI of 0 is the
 * best score; this table ranks the trained variants both ways.
 */
export function d6Rows(records: readonly ResultRecord[], dataset: StudyDataset): D6Row[] {
  const rows = VARIANTS.filter((v) => VARIANT_TABLE[v].role === "method").flatMap((variant) => {
    const rs = records.filter((r) => r.config.dataset === dataset && r.config.variant === variant);
    if (!rs.length) return [];
    const ok = rs.filter((r) =>
      r.clustering.status === "ok" && r.clustering.daviesBouldin !== null
    );
    return [{
      dataset,
      variant,
      referenceDbi: mean(rs.map((r) => (ok.includes(r) ? r.clustering.daviesBouldin! : 0))),
      dbi: ok.length ? mean(ok.map((r) => r.clustering.daviesBouldin!)) : null,
      failedRuns: rs.length - ok.length,
      runs: rs.length,
      referenceRank: 0,
      rank: null as number | null,
    }];
  });
  [...rows].sort((a, b) => a.referenceDbi - b.referenceDbi)
    .forEach((r, i) => (r.referenceRank = i + 1));
  [...rows].filter((r) => r.dbi !== null).sort((a, b) => a.dbi! - b.dbi!)
    .forEach((r, i) => (r.rank = i + 1));
  return rows;
}

/** {@linkcode d6Rows} of every dataset as one table. */
export function d6Table(study: Study): Displayable {
  const rows = study.datasets.flatMap((d) => d6Rows(study.records, d)).map((r) => [
    datasetLabel(r.dataset),
    r.variant,
    `${r.failedRuns} / ${r.runs}`,
    formatNumber(r.referenceDbi),
    r.referenceRank,
    formatNumber(r.dbi),
    r.rank ?? "not ranked (no valid run)",
  ]);
  return html(
    `<div class="table-scroll">${
      htmlTable(
        [
          "dataset",
          "variant",
          "failed clustering runs",
          "DBI as the reference prints it",
          "its rank",
          "DBI (valid runs)",
          "rank",
        ],
        rows,
        {
          caption: "D6: the reference evaluator prints DBI = CHI = SIL = 0 for a failed run, " +
            "and 0 is the best DBI: a failed variant can rank first",
        },
      )
    }</div>`,
  );
}

/** D5: the ablations beside their methods, fold 0 (paired by seed). */
export function d5Table(study: Study): Displayable {
  return claimsTable(study, { topics: ["ablation"] });
}
