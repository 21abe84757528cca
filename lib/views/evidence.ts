/**
 * Tables of the study's numbers with their 95 % intervals: the main results
 * table (variants and controls), the probe table, the mechanism table, the
 * folds and the runs whose training failed.
 *
 * @module
 */
import {
  EVIDENCE_HIGHER_IS_BETTER,
  EVIDENCE_LABEL,
  type EvidenceMetric,
  hasNonFinite,
  isExcluded,
  MAX_NON_FINITE_FRACTION,
  onSharedFolds,
  RESAMPLES,
  type Study,
  type StudyDataset,
  VARIANT_TABLE,
  type VariantEvidence,
  variantEvidence,
} from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import type { MetricInterval } from "../stats/mod.ts";
import { formatNumber } from "./format.ts";
import { foldsLabel } from "./folds.ts";

/**
 * "0.812 [0.790, 0.833]" — a mean and its 95 % interval, or "—"; a run-level
 * mean over one run per fold has no interval and says so.
 */
export function formatInterval(ci: MetricInterval | undefined): string {
  if (!ci) return "—";
  // resampling runs within folds says nothing when each fold has one run
  if (ci.groups === 0 && ci.runs === ci.folds) {
    return `${formatNumber(ci.estimate)} (${ci.runs === 1 ? "one run" : "one run per fold"})`;
  }
  return `${formatNumber(ci.estimate)} [${formatNumber(ci.lower)}, ${formatNumber(ci.upper)}]`;
}

/**
 * The variant whose interval clears every other's (lower bound above every
 * other upper bound, or the reverse when smaller is better), or null when the
 * intervals overlap.
 */
export function clearBest(
  rows: readonly VariantEvidence[],
  m: EvidenceMetric,
): VariantEvidence | null {
  const withCi = rows.filter((r) => r.intervals[m]);
  if (withCi.length < 2) return null;
  const up = EVIDENCE_HIGHER_IS_BETTER[m];
  const sorted = [...withCi].sort((a, b) =>
    (up ? -1 : 1) * (a.intervals[m]!.estimate - b.intervals[m]!.estimate)
  );
  const [best, ...rest] = sorted;
  const ci = best.intervals[m]!;
  const clears = rest.every((r) =>
    up ? ci.lower > r.intervals[m]!.upper : ci.upper < r.intervals[m]!.lower
  );
  return clears ? best : null;
}

/** The variant's name with its marks: † some run had a non-finite loss, ‡ runs excluded. */
export function variantName(e: VariantEvidence): string {
  const marks = (e.nonFiniteRuns ? " †" : "") + (e.excludedRuns ? ` ‡${e.excludedRuns}` : "");
  return `${e.variant}${marks}`;
}

const MARKS_NOTE = `† some run had a non-finite loss; ‡n: n runs were non-finite on more than ${
  MAX_NON_FINITE_FRACTION * 100
} % of their steps and are left out of the means and verdicts (listed under "Failed training").`;

/** The metrics of the main results table. */
export const MAIN_METRICS: readonly EvidenceMetric[] = [
  "balancedAccuracy",
  "f1Macro",
  "nmi",
  "daviesBouldin",
  "effectiveRank",
];

/** Options of {@linkcode evidenceTable}. */
export interface EvidenceTableOptions {
  /** Rows of these roles (default: methods, baselines and controls). */
  roles?: string[];
  /** Words after the dataset's name in the caption. */
  caption?: string;
  /**
   * Every computed fold rather than the folds every row has runs on (the
   * default, so that no row's mean is over other held-out units than another's).
   */
  allFolds?: boolean;
}

/**
 * A table per dataset: methods and controls (rows) × `metrics`, each a mean
 * over (fold, seed) runs with its 95 % interval, on the folds every row has
 * runs on; ★ marks a value whose interval clears every other row's.
 */
export function evidenceTable(
  study: Study,
  dataset: StudyDataset,
  metrics: readonly EvidenceMetric[] = MAIN_METRICS,
  { roles = ["method", "baseline", "control"], caption = "", allFolds = false }:
    EvidenceTableOptions = {},
): Displayable {
  const rows = studyEvidence(study, dataset, { allFolds })
    .filter((e) => roles.includes(VARIANT_TABLE[e.variant].role));
  const best = new Map(metrics.map((m) => [m, clearBest(rows, m)]));
  const body = rows.map((e) => [
    variantName(e),
    VARIANT_TABLE[e.variant].role,
    e.runs,
    ...metrics.map((m) => `${formatInterval(e.intervals[m])}${best.get(m) === e ? " ★" : ""}`),
  ]);
  const head = ["variant", "role", "runs", ...metrics.map((m) => EVIDENCE_LABEL[m])];
  const folds = allFolds ? "every computed fold" : foldsLabel(study, dataset);
  const note =
    `${datasetLabel(dataset)}${caption ? ` — ${caption}` : ""}, ${folds}: mean over (fold, seed) ` +
    `runs [95 % interval; probe metrics: cluster bootstrap over held-out subjects/records/excerpts, ` +
    `others over runs; ${RESAMPLES} resamples]. ★ = the interval clears every other row's. ${MARKS_NOTE}`;
  return html(`<div class="table-scroll">${htmlTable(head, body, { caption: note })}</div>`);
}

const memo = new WeakMap<Study, Map<string, VariantEvidence[]>>();

/**
 * {@linkcode variantEvidence} of one dataset on the folds every variant has
 * runs on (or, with `allFolds`, on every computed fold), computed once per
 * study object.
 */
export function studyEvidence(
  study: Study,
  dataset: StudyDataset,
  { allFolds = false }: { allFolds?: boolean } = {},
): VariantEvidence[] {
  const byDataset = memo.get(study) ?? new Map<string, VariantEvidence[]>();
  memo.set(study, byDataset);
  const key = `${dataset}|${allFolds}`;
  let rows = byDataset.get(key);
  if (!rows) {
    const records = allFolds ? study.records : onSharedFolds(study.records, [dataset]);
    rows = variantEvidence(records, [dataset]);
    byDataset.set(key, rows);
  }
  return rows;
}

/** The main results table of every dataset of the study (methods, baselines, controls by default). */
export function mainResults(
  study: Study,
  roles: string[] = ["method", "baseline", "control"],
): Displayable {
  const parts = study.datasets.map((d) =>
    symbolHtml(evidenceTable(study, d, MAIN_METRICS, { roles }))
  );
  return html(parts.join(""));
}

/** The HTML inside a display object. */
export function symbolHtml(d: Displayable): string {
  return d[Symbol.for("Jupyter.display")]()["text/html"] ?? "";
}

/** Probe table: converged probe (primary), reference probe, per dataset. */
export function probeTable(study: Study, dataset: StudyDataset): Displayable {
  return evidenceTable(
    study,
    dataset,
    ["balancedAccuracy", "f1Macro", "accuracy", "referenceAccuracy"],
    { caption: "converged logistic probe and the reference protocol" },
  );
}

/**
 * The controls' converged-probe balanced accuracy on each computed fold and
 * over all of them: how much the held-out subjects / records / excerpts move
 * the scores (the main tables use the folds every row shares).
 */
export function controlsAcrossFolds(study: Study, dataset: StudyDataset): Displayable {
  const metric: EvidenceMetric = "balancedAccuracy";
  const records = study.records.filter((r) =>
    r.config.dataset === dataset && VARIANT_TABLE[r.config.variant].role === "control"
  );
  const folds = [...new Set(records.map((r) => r.config.fold))].sort((a, b) => a - b);
  const columns = [
    ...folds.map((f) => variantEvidence(records.filter((r) => r.config.fold === f), [dataset])),
    variantEvidence(records, [dataset]),
  ];
  const variants = columns.at(-1)!.map((e) => e.variant);
  const body = variants.map((v) => [
    v,
    ...columns.map((col) => {
      const e = col.find((x) => x.variant === v);
      return e ? `${formatInterval(e.intervals[metric])} (${e.runs})` : "—";
    }),
  ]);
  const caption =
    `${datasetLabel(dataset)} — the controls' ${
      EVIDENCE_LABEL[metric]
    } per fold (runs in brackets) and over every fold [95 % interval: cluster bootstrap over ` +
    `held-out subjects/records/excerpts, ${RESAMPLES} resamples]`;
  return html(
    `<div class="table-scroll">${
      htmlTable(["variant", ...folds.map((f) => `fold ${f}`), "all folds"], body, { caption })
    }</div>`,
  );
}

/** The mechanism the margin claims: near label changes, and adjacent-frame similarity. */
export function mechanismTable(study: Study, dataset: StudyDataset): Displayable {
  return evidenceTable(
    study,
    dataset,
    ["boundaryBalancedAccuracy", "interiorBalancedAccuracy", "adjacentSame", "adjacentDifferent"],
    { roles: ["method", "control"], caption: "near label changes vs elsewhere" },
  );
}

/** The folds of each dataset: which subjects / records / excerpts each evaluates. */
export function foldsTable(study: Study): Displayable {
  const seen = new Map<string, string[]>();
  const absent = new Map<string, Set<string>>();
  for (const r of study.records) {
    const id = `${r.config.dataset}|${r.config.fold}`;
    if (!seen.has(id)) seen.set(id, r.data.subjects.eval);
    for (const c of r.probe?.absentFromTraining ?? []) {
      absent.set(id, (absent.get(id) ?? new Set()).add(c));
    }
  }
  const rows = [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, ev]) => {
    const [dataset, fold] = id.split("|");
    const missing = [...(absent.get(id) ?? [])];
    return [
      datasetLabel(dataset as StudyDataset),
      fold,
      ev.join(", "),
      missing.length ? `${missing.join(", ")} (scored only where present)` : "none",
    ];
  });
  return html(
    `<div class="table-scroll">${
      htmlTable(["dataset", "fold", "evaluated", "classes absent from training"], rows, {
        caption: "cross-validation folds (deterministic): the held-out units of each fold",
      })
    }</div>`,
  );
}

/** Every run with a non-finite loss, and whether it is left out of verdicts. */
export function failedTrainingTable(study: Study): Displayable {
  const rows = study.records.filter(hasNonFinite).map((r) => [
    datasetLabel(r.config.dataset),
    r.config.variant,
    r.config.fold,
    r.config.seed,
    `${r.training.nonFinite} / ${r.training.losses.length}`,
    isExcluded(r) ? "excluded from means and verdicts" : "kept (marked †)",
  ]);
  if (!rows.length) return html("<p>No run had a non-finite loss.</p>");
  return html(
    `<div class="table-scroll">${
      htmlTable(["dataset", "variant", "fold", "seed", "non-finite steps", "treatment"], rows, {
        caption: "Failed training: runs with non-finite losses",
      })
    }</div>`,
  );
}
