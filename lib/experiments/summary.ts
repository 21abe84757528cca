/**
 * Aggregation of result records into the descriptive tables the notebooks
 * show: mean ± std over seeds × folds per (dataset, variant). Verdicts and
 * intervals come from `evidence.ts` and `claims.ts`.
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
  "balancedAccuracy",
  "f1Macro",
  "accuracy",
  "f1Weighted",
  "referenceAccuracy",
  "referenceF1Macro",
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
  balancedAccuracy: true,
  f1Macro: true,
  accuracy: true,
  f1Weighted: true,
  referenceAccuracy: true,
  referenceF1Macro: true,
  itPerSec: true,
  finalLoss: false,
};

/** Column label of each metric (arrow: which direction is better). */
export const METRIC_LABEL: Record<Metric, string> = {
  daviesBouldin: "DBI ↓",
  calinskiHarabasz: "CHI ↑",
  silhouette: "SIL ↑",
  nmi: "NMI ↑",
  ari: "ARI ↑",
  effectiveRank: "eff. rank",
  balancedAccuracy: "bal. acc ↑",
  f1Macro: "macro-F1 ↑",
  accuracy: "acc ↑",
  f1Weighted: "F1 (weighted) ↑",
  referenceAccuracy: "acc, reference probe ↑",
  referenceF1Macro: "macro-F1, reference probe ↑",
  itPerSec: "it/s",
  finalLoss: "final loss",
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
    case "balancedAccuracy":
    case "accuracy":
    case "f1Weighted":
    case "f1Macro":
      return r.probe ? r.probe[m] : null;
    case "referenceAccuracy":
      return r.referenceProbe?.accuracy ?? null;
    case "referenceF1Macro":
      return r.referenceProbe?.f1Macro ?? null;
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

/**
 * Which kernel multiplied the matrices of the wasm runs among `records`
 * (`backend.products`, absent in records written before records named it),
 * as one sentence for the report's header; null when no record trained on
 * wasm. The kernels differ in float32 rounding only (the packed GEMM rounds
 * each multiply-add once).
 *
 * @example
 * ```ts
 * import { productKernelNote } from "./summary.ts";
 * productKernelNote([]); // null
 * ```
 */
export function productKernelNote(records: ResultRecord[]): string | null {
  const wasm = records.filter((r) => r.backend.name === "wasm");
  if (wasm.length === 0) return null;
  const count = (k: string) => wasm.filter((r) => r.backend.products === k).length;
  const gemm = count("gemm-fma") + count("gemm"), xnnpack = count("xnnpack");
  const unnamed = wasm.length - gemm - xnnpack;
  const parts = [
    gemm ? `${gemm} on the packed GEMM (lib/wasm/gemm.ts, one rounding per multiply-add)` : "",
    xnnpack ? `${xnnpack} on tfjs' XNNPACK kernel` : "",
    unnamed
      ? `${unnamed} written before records named their product kernel (tfjs' XNNPACK kernel for runs started before 2026-12-05 10:38 UTC, the packed GEMM after)`
      : "",
  ].filter((p) => p !== "");
  return `Matrix products of the ${wasm.length} wasm runs: ${parts.join("; ")}. ` +
    "The kernels differ in float32 rounding only.";
}
