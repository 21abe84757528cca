/**
 * Aggregation of result records into the tables and verdicts the notebooks
 * show: mean ± std over seeds × folds per (dataset, variant).
 *
 * @module
 */
import type { ResultRecord } from "./record.ts";
import { VARIANTS } from "./config.ts";
import type { StudyDataset, Variant } from "./config.ts";

/** Mean, sample standard deviation and count of the finite values (null when none). */
export interface Stat {
  mean: number | null;
  std: number | null;
  n: number;
}

/** Mean ± sample std of the finite numbers among `values`. */
export function stat(values: (number | null | undefined)[]): Stat {
  const xs = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (xs.length === 0) return { mean: null, std: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1
    ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1))
    : 0;
  return { mean, std, n: xs.length };
}

/** "0.512 ± 0.031" (or "—" when no value), with `digits` decimals. */
export function formatStat(s: Stat, digits = 3): string {
  if (s.mean === null) return "—";
  return s.n > 1
    ? `${s.mean.toFixed(digits)} ± ${(s.std ?? 0).toFixed(digits)}`
    : s.mean.toFixed(digits);
}

/** The metrics summarised per (dataset, variant). */
export const METRICS = [
  "daviesBouldin",
  "calinskiHarabasz",
  "silhouette",
  "nmi",
  "ari",
  "effectiveRank",
  "accuracy",
  "f1Weighted",
  "f1Macro",
  "precisionMacro",
  "recallMacro",
  "itPerSec",
  "finalLoss",
] as const;

/** A metric name of {@linkcode METRICS}. */
export type Metric = typeof METRICS[number];

/** Whether larger values of a metric are better (DBI: smaller is better). */
export const HIGHER_IS_BETTER: Record<Metric, boolean> = {
  daviesBouldin: false,
  calinskiHarabasz: true,
  silhouette: true,
  nmi: true,
  ari: true,
  effectiveRank: true,
  accuracy: true,
  f1Weighted: true,
  f1Macro: true,
  precisionMacro: true,
  recallMacro: true,
  itPerSec: true,
  finalLoss: false,
};

/** The value of a metric in one record (null when not available). */
export function metricOf(r: ResultRecord, m: Metric): number | null {
  switch (m) {
    case "daviesBouldin":
    case "calinskiHarabasz":
    case "silhouette":
    case "nmi":
    case "ari":
    case "effectiveRank":
      return r.clustering[m];
    case "accuracy":
    case "f1Weighted":
    case "f1Macro":
    case "precisionMacro":
    case "recallMacro":
      return r.probe ? r.probe[m] : null;
    case "itPerSec":
      return r.training.itPerSec;
    case "finalLoss": {
      const l = r.training.losses;
      return l.length ? l[l.length - 1] : null;
    }
  }
}

/** One row of the summary table: a (dataset, variant) over its seeds and folds. */
export interface SummaryRow {
  dataset: StudyDataset;
  variant: Variant;
  runs: number;
  /** Runs whose clustering status was not "ok" (D6), by status. */
  statuses: Record<string, number>;
  /** Runs with at least one non-finite loss. */
  runsWithNonFinite: number;
  /** Total non-finite losses over all runs. */
  nonFiniteSteps: number;
  diverged: number;
  metrics: Record<Metric, Stat>;
}

/** Groups records by (dataset, variant) and summarises every metric. */
export function summarise(records: ResultRecord[]): SummaryRow[] {
  const groups = new Map<string, ResultRecord[]>();
  for (const r of records) {
    const key = `${r.config.dataset}|${r.config.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: SummaryRow[] = [];
  for (const rs of groups.values()) {
    const statuses: Record<string, number> = {};
    for (const r of rs) statuses[r.clustering.status] = (statuses[r.clustering.status] ?? 0) + 1;
    const metrics = Object.fromEntries(
      METRICS.map((m) => [m, stat(rs.map((r) => metricOf(r, m)))]),
    ) as Record<Metric, Stat>;
    rows.push({
      dataset: rs[0].config.dataset,
      variant: rs[0].config.variant,
      runs: rs.length,
      statuses,
      runsWithNonFinite: rs.filter((r) => r.training.nonFinite > 0).length,
      nonFiniteSteps: rs.reduce((a, r) => a + r.training.nonFinite, 0),
      diverged: rs.filter((r) => r.training.diverged).length,
      metrics,
    });
  }
  const order = (v: Variant) => VARIANTS.indexOf(v);
  return rows.sort((a, b) =>
    a.dataset.localeCompare(b.dataset) || order(a.variant) - order(b.variant)
  );
}

/** The outcome of comparing one metric between two variants on one dataset. */
export interface Comparison {
  dataset: StudyDataset;
  metric: Metric;
  a: Variant;
  b: Variant;
  meanA: number | null;
  meanB: number | null;
  /** Runs behind the smaller side. */
  runs: number;
  /** "a" or "b" when one side is better by more than the margin; "tie" otherwise; "n/a" when a value is missing. */
  winner: "a" | "b" | "tie" | "n/a";
}

/**
 * Smallest difference treated as an effect, relative to the larger of the two
 * means: below it two variants tie whatever the spread (with one run per side
 * there is no spread to go by).
 */
export const MIN_RELATIVE_EFFECT = 0.02;

/**
 * Compares variants `a` and `b` on a metric. A side wins only when its mean is
 * better by more than both the sum of the two standard deviations and
 * {@linkcode MIN_RELATIVE_EFFECT} of the larger mean — a deliberately
 * conservative rule for 1–12 runs.
 */
export function compare(
  rows: SummaryRow[],
  dataset: StudyDataset,
  metric: Metric,
  a: Variant,
  b: Variant,
): Comparison {
  const ra = rows.find((r) => r.dataset === dataset && r.variant === a);
  const rb = rows.find((r) => r.dataset === dataset && r.variant === b);
  const sa = ra?.metrics[metric], sb = rb?.metrics[metric];
  const base = {
    dataset,
    metric,
    a,
    b,
    meanA: sa?.mean ?? null,
    meanB: sb?.mean ?? null,
    runs: Math.min(sa?.n ?? 0, sb?.n ?? 0),
  };
  if (!sa || !sb || sa.mean === null || sb.mean === null) return { ...base, winner: "n/a" };
  const gap = (sa.mean - sb.mean) * (HIGHER_IS_BETTER[metric] ? 1 : -1);
  const margin = Math.max(
    (sa.std ?? 0) + (sb.std ?? 0),
    MIN_RELATIVE_EFFECT * Math.max(Math.abs(sa.mean), Math.abs(sb.mean)),
  );
  return { ...base, winner: gap > margin ? "a" : -gap > margin ? "b" : "tie" };
}
