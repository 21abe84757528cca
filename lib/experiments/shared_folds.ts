/**
 * The folds a dataset's rows can be compared on. While the grid is partly
 * computed, the controls (cheap) may cover every fold and a method only
 * fold 0; a table of means over each row's own runs would then set one fold's
 * methods against four folds' controls, and folds differ more than seeds do
 * (on MIT-BIH some folds hold out records without a rhythm class). Tables of
 * means therefore use the folds every row has runs on.
 *
 * @module
 */
import type { ResultRecord } from "./record.ts";
import type { StudyDataset } from "./config.ts";
import type { Study } from "./study.ts";
import { summarise, type SummaryRow } from "./summary.ts";

/** Which folds of a dataset the rows share. */
export interface FoldCoverage {
  /** Folds every variant with runs on the dataset has at least one run on (ascending). */
  shared: number[];
  /** Folds any run is on (ascending). */
  computed: number[];
}

/**
 * The folds of `dataset` that every variant with a run on it shares, beside
 * every fold computed. A variant's excluded (non-finite) runs count: they are
 * runs, shown as such.
 *
 * @example
 * ```ts
 * import { sharedFolds } from "./shared_folds.ts";
 * const { shared, computed } = sharedFolds([], "hapt"); // { shared: [], computed: [] }
 * ```
 */
export function sharedFolds(records: readonly ResultRecord[], dataset: StudyDataset): FoldCoverage {
  const byVariant = new Map<string, Set<number>>();
  for (const r of records) {
    if (r.config.dataset !== dataset) continue;
    const folds = byVariant.get(r.config.variant) ?? new Set<number>();
    byVariant.set(r.config.variant, folds.add(r.config.fold));
  }
  const sets = [...byVariant.values()];
  const computed = [...new Set(sets.flatMap((s) => [...s]))].sort((a, b) => a - b);
  const shared = computed.filter((f) => sets.every((s) => s.has(f)));
  return { shared, computed };
}

/**
 * The records of `datasets` on each dataset's shared folds; a dataset whose
 * variants share no fold keeps every record (its tables then say so).
 */
export function onSharedFolds(
  records: readonly ResultRecord[],
  datasets: readonly StudyDataset[],
): ResultRecord[] {
  const keep = new Map(datasets.map((d) => {
    const { shared, computed } = sharedFolds(records, d);
    return [d, new Set(shared.length ? shared : computed)];
  }));
  return records.filter((r) => keep.get(r.config.dataset)?.has(r.config.fold) ?? false);
}

const summaries = new WeakMap<Study, SummaryRow[]>();

/**
 * The study's summary rows over each dataset's shared folds (computed once
 * per study object): what charts of means compare.
 */
export function comparableSummary(study: Study): SummaryRow[] {
  let rows = summaries.get(study);
  if (!rows) {
    const shared = onSharedFolds(study.records, study.datasets);
    // every record already on a shared fold: the study's own summary is that summary
    rows = shared.length === study.records.length ? study.summary : summarise(shared);
    summaries.set(study, rows);
  }
  return rows;
}
