/**
 * Which folds a table or chart of means is over, in words.
 *
 * @module
 */
import { sharedFolds, type Study, type StudyDataset } from "../experiments/mod.ts";

/**
 * "fold 0 (the fold every row has runs on; folds 0–3 computed)", "folds 0–3",
 * or, when the rows share no fold, "every computed fold (folds 0, 2; the rows
 * share none)".
 *
 * @example
 * ```ts
 * import { foldsLabel } from "./folds.ts";
 * import { loadStudy } from "../experiments/mod.ts";
 * foldsLabel(await loadStudy({ profile: "quick", dataDir: null }), "synthetic"); // "fold 0"
 * ```
 */
export function foldsLabel(study: Study, dataset: StudyDataset): string {
  const { shared, computed } = sharedFolds(study.records, dataset);
  if (!computed.length) return "no runs";
  if (!shared.length) return `every computed fold (${foldList(computed)}; the rows share none)`;
  if (shared.length === computed.length) return foldList(shared);
  const every = shared.length === 1
    ? "the fold every row has runs on"
    : "the folds every row has runs on";
  return `${foldList(shared)} (${every}; ${foldList(computed)} computed)`;
}

/** "fold 2", "folds 0–3", "folds 0, 2". */
export function foldList(folds: readonly number[]): string {
  if (folds.length === 1) return `fold ${folds[0]}`;
  const contiguous = folds.every((f, i) => i === 0 || f === folds[i - 1] + 1);
  return `folds ${contiguous ? `${folds[0]}–${folds.at(-1)}` : folds.join(", ")}`;
}
