/**
 * The study's numbers with their uncertainty: per (dataset, variant) means
 * with 95 % cluster-bootstrap intervals over held-out subjects / records /
 * excerpts (pooled over folds and seeds), and the runs that cannot carry a
 * verdict. Metrics that decompose over held-out groups (the probe's
 * confusion matrices) are resampled by group; the clustering indices and the
 * adjacency measures, which do not decompose, by (fold, seed) run.
 *
 * @module
 */
import {
  accuracyFromConfusion,
  balancedAccuracyFromConfusion,
  type GroupedRun,
  macroF1FromConfusion,
  meanMetricInterval,
  type MetricInterval,
  runLevelInterval,
  type RunValue,
} from "../stats/mod.ts";
import { DegenerateInputError } from "../errors.ts";
import type { StudyDataset, Variant } from "./config.ts";
import { VARIANTS } from "./config.ts";
import type { Confusion, ResultRecord } from "./record.ts";
import { HIGHER_IS_BETTER, type Metric } from "./summary.ts";

/** Resamples behind every interval of the report. */
export const RESAMPLES = 1000;
/** Seed of every bootstrap of the report. */
export const BOOTSTRAP_SEED = 20250718;
/** Runs non-finite for more than this fraction of their steps are left out of verdicts. */
export const MAX_NON_FINITE_FRACTION = 0.5;

/** The quantities with an interval. */
export const EVIDENCE_METRICS = [
  "balancedAccuracy",
  "f1Macro",
  "accuracy",
  "boundaryBalancedAccuracy",
  "interiorBalancedAccuracy",
  "referenceAccuracy",
  "nmi",
  "daviesBouldin",
  "calinskiHarabasz",
  "silhouette",
  "effectiveRank",
  "adjacentSame",
  "adjacentDifferent",
] as const;

/** A quantity of {@linkcode EVIDENCE_METRICS}. */
export type EvidenceMetric = typeof EVIDENCE_METRICS[number];

/** The quantities of {@linkcode EVIDENCE_METRICS} that the summary's {@linkcode METRICS} lacks. */
type EvidenceOnlyMetric = Exclude<EvidenceMetric, Metric>;

/** Direction of the quantities the summary lacks (adjacency: not a quality, larger listed as true). */
const EVIDENCE_ONLY_HIGHER_IS_BETTER: Record<EvidenceOnlyMetric, boolean> = {
  boundaryBalancedAccuracy: true,
  interiorBalancedAccuracy: true,
  adjacentSame: true,
  adjacentDifferent: false,
};

function isSummaryMetric(m: EvidenceMetric): m is Extract<EvidenceMetric, Metric> {
  return m in HIGHER_IS_BETTER;
}

/**
 * Whether larger is better: the summary's {@linkcode HIGHER_IS_BETTER} for
 * the quantities it has too (DBI: smaller), else
 * {@linkcode EVIDENCE_ONLY_HIGHER_IS_BETTER}; in the order of {@linkcode EVIDENCE_METRICS}.
 */
export const EVIDENCE_HIGHER_IS_BETTER: Record<EvidenceMetric, boolean> = Object.fromEntries(
  EVIDENCE_METRICS.map((m) => [
    m,
    isSummaryMetric(m) ? HIGHER_IS_BETTER[m] : EVIDENCE_ONLY_HIGHER_IS_BETTER[m],
  ]),
) as Record<EvidenceMetric, boolean>;

/** Short label of each quantity. */
export const EVIDENCE_LABEL: Record<EvidenceMetric, string> = {
  balancedAccuracy: "balanced accuracy",
  f1Macro: "macro-F1",
  accuracy: "accuracy",
  boundaryBalancedAccuracy: "balanced accuracy near label changes (±2 frames)",
  interiorBalancedAccuracy: "balanced accuracy elsewhere",
  referenceAccuracy: "accuracy, reference probe (spec §2.5)",
  nmi: "NMI",
  daviesBouldin: "DBI",
  calinskiHarabasz: "CHI",
  silhouette: "silhouette",
  effectiveRank: "effective rank",
  adjacentSame: "cos(adjacent frames), same label",
  adjacentDifferent: "cos(adjacent frames), different labels",
};

/** How a metric is resampled. */
export function isGroupedMetric(m: EvidenceMetric): boolean {
  return m === "balancedAccuracy" || m === "f1Macro" || m === "accuracy" ||
    m === "boundaryBalancedAccuracy" || m === "interiorBalancedAccuracy";
}

/** The count-table metric behind each grouped quantity. */
export const TABLE_METRIC = {
  balancedAccuracy: balancedAccuracyFromConfusion,
  f1Macro: macroF1FromConfusion,
  accuracy: accuracyFromConfusion,
  boundaryBalancedAccuracy: balancedAccuracyFromConfusion,
  interiorBalancedAccuracy: balancedAccuracyFromConfusion,
} as const;

/** Whether a run is too broken to enter verdicts (listed, not hidden). */
export function isExcluded(r: ResultRecord): boolean {
  return r.training.nonFiniteFraction > MAX_NON_FINITE_FRACTION;
}

/** Whether a run had any non-finite loss (marked in every table). */
export function hasNonFinite(r: ResultRecord): boolean {
  return r.training.nonFinite > 0;
}

/** Records of one (dataset, variant), optionally without the excluded runs. */
export function runsOf(
  records: readonly ResultRecord[],
  dataset: StudyDataset,
  variant: Variant,
  { forVerdicts = false } = {},
): ResultRecord[] {
  return records.filter((r) =>
    r.config.dataset === dataset && r.config.variant === variant &&
    (!forVerdicts || !isExcluded(r))
  );
}

function subtract(a: Confusion, b: Confusion | undefined): Confusion {
  return a.map((row, i) => row.map((v, j) => v - (b?.[i][j] ?? 0)));
}

/** The per-group tables of a grouped metric, or null when the run has no probe. */
export function groupedRun(r: ResultRecord, m: EvidenceMetric): GroupedRun | null {
  if (!r.probe) return null;
  const key = { fold: String(r.config.fold), seed: r.config.seed };
  const k = r.data.classNames.length;
  const zero = () => Array.from({ length: k }, () => new Array<number>(k).fill(0));
  switch (m) {
    case "boundaryBalancedAccuracy": {
      const groups: Record<string, Confusion> = {};
      for (const g of Object.keys(r.probe.groups)) groups[g] = r.probe.boundaryGroups[g] ?? zero();
      return { ...key, groups };
    }
    case "interiorBalancedAccuracy": {
      const groups: Record<string, Confusion> = {};
      for (const [g, t] of Object.entries(r.probe.groups)) {
        groups[g] = subtract(t, r.probe.boundaryGroups[g]);
      }
      return { ...key, groups };
    }
    default:
      return { ...key, groups: r.probe.groups };
  }
}

/** A run-level value, or null when missing / not finite. */
export function runValue(r: ResultRecord, m: EvidenceMetric): number | null {
  const v = (() => {
    switch (m) {
      case "referenceAccuracy":
        return r.referenceProbe?.accuracy ?? null;
      case "nmi":
      case "daviesBouldin":
      case "calinskiHarabasz":
      case "silhouette":
      case "effectiveRank":
        return r.clustering.status === "ok" ? r.clustering[m] : null;
      case "adjacentSame":
        return r.adjacency?.sameLabel ?? null;
      case "adjacentDifferent":
        return r.adjacency?.differentLabel ?? null;
      default:
        return r.probe ? TABLE_METRIC[m](sumGroups(groupedRun(r, m)!)) : null;
    }
  })();
  return v !== null && Number.isFinite(v) ? v : null;
}

function sumGroups(run: GroupedRun): number[][] {
  const tables = Object.values(run.groups);
  return tables[0].map((row, i) => row.map((_, j) => tables.reduce((a, t) => a + t[i][j], 0)));
}

/** The interval of a metric over runs, or null when no run has it. */
export function metricInterval(
  runs: readonly ResultRecord[],
  m: EvidenceMetric,
): MetricInterval | null {
  const options = { resamples: RESAMPLES, seed: BOOTSTRAP_SEED };
  if (isGroupedMetric(m)) {
    const grouped = runs.map((r) => groupedRun(r, m)).filter((g): g is GroupedRun =>
      g !== null && Object.keys(g.groups).length > 0
    );
    if (!grouped.length) return null;
    try {
      return meanMetricInterval(grouped, TABLE_METRIC[m as keyof typeof TABLE_METRIC], options);
    } catch (err) {
      // a resample without any scored frame (e.g. no label change in the drawn records)
      if (err instanceof DegenerateInputError) return null;
      throw err;
    }
  }
  const values: RunValue[] = [];
  for (const r of runs) {
    const v = runValue(r, m);
    if (v !== null) values.push({ fold: String(r.config.fold), seed: r.config.seed, value: v });
  }
  return values.length ? runLevelInterval(values, options) : null;
}

/** One (dataset, variant) with its runs and intervals. */
export interface VariantEvidence {
  dataset: StudyDataset;
  variant: Variant;
  runs: number;
  /** Runs with any non-finite loss (marked). */
  nonFiniteRuns: number;
  /** Runs left out of verdicts (non-finite for more than half their steps). */
  excludedRuns: number;
  intervals: Partial<Record<EvidenceMetric, MetricInterval>>;
}

/**
 * Means with intervals for every (dataset, variant) that has records, in
 * report order. Excluded runs are left out of the intervals too (they are
 * counted in `excludedRuns`).
 */
export function variantEvidence(
  records: readonly ResultRecord[],
  datasets: readonly StudyDataset[],
): VariantEvidence[] {
  const out: VariantEvidence[] = [];
  for (const dataset of datasets) {
    for (const variant of VARIANTS) {
      const all = runsOf(records, dataset, variant);
      if (!all.length) continue;
      const kept = all.filter((r) => !isExcluded(r));
      const intervals: Partial<Record<EvidenceMetric, MetricInterval>> = {};
      for (const m of EVIDENCE_METRICS) {
        const ci = kept.length ? metricInterval(kept, m) : null;
        if (ci) intervals[m] = ci;
      }
      out.push({
        dataset,
        variant,
        runs: all.length,
        nonFiniteRuns: all.filter(hasNonFinite).length,
        excludedRuns: all.length - kept.length,
        intervals,
      });
    }
  }
  return out;
}
