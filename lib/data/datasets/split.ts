/**
 * Subject folds: the split unit of every recording, and the deterministic
 * k-fold split by subject shared by the dataset recipes.
 *
 * @module
 */
import { OptionError } from "../../errors.ts";

/** Cross-validation folds by subject (fewer when there are fewer subjects). */
export const SUBJECT_FOLDS = 4;

/** Subjects of the two splits and the rule that produced them. */
export interface SubjectSplit {
  train: string[];
  eval: string[];
  /** The rule in words, for `meta.splitRule`. */
  rule: string;
}

/** MIT-BIH records from the same subject (Moody & Mark: 201 and 202). */
export const SAME_SUBJECT: Readonly<Record<string, string>> = {
  "201": "201+202",
  "202": "201+202",
};

/** Sorts ids numerically where they hold numbers ("user2" before "user10"). */
export function sortIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/**
 * Deterministic k-fold split by subject, `k = min(4, n)`. The `n` subjects are
 * sorted and cut into `k` consecutive blocks counted from the end, the first
 * `n mod k` blocks one subject larger; fold `f` evaluates block `f` and trains
 * on the rest. The folds are disjoint and together evaluate every subject
 * once (HAPT, 30 users: fold 0 evaluates users 23–30, fold 3 users 1–7).
 *
 * @throws {OptionError} for fewer than 2 subjects or a fold out of range.
 */
export function splitSubjects(subjects: readonly string[], fold = 0): SubjectSplit {
  const sorted = sortIds(subjects);
  const n = sorted.length;
  if (n < 2) throw new OptionError(`splitSubjects: need at least 2 subjects, got ${n}`);
  const nFolds = Math.min(SUBJECT_FOLDS, n);
  if (!Number.isInteger(fold) || fold < 0 || fold >= nFolds) {
    throw new OptionError(
      `fold must be an integer in [0, ${nFolds - 1}] for ${n} subjects, got ${fold}`,
    );
  }
  const size = (f: number) => Math.floor(n / nFolds) + (f < n % nFolds ? 1 : 0);
  let end = n;
  for (let f = 0; f < fold; f++) end -= size(f);
  const start = end - size(fold);
  const evalSet = new Set(sorted.slice(start, end));
  return {
    train: sorted.filter((s) => !evalSet.has(s)),
    eval: sorted.slice(start, end),
    rule: `by subject: ${n} subjects sorted into ${nFolds} consecutive blocks from the end; ` +
      `fold ${fold} evaluates positions ${start + 1}–${end} (${sorted[start]} … ${
        sorted[end - 1]
      }), the other ${n - (end - start)} train`,
  };
}

/**
 * The split unit of a sequence's recording id: the HAR user
 * (`exp01_user01` → `user01`), the MIT-BIH subject (records 201 and 202 are
 * one), else the recording itself (ECG records, DREAMS excerpts, Sleep-EDF
 * nights). Folds, the probe's inner cross-validation and the bootstrap resample
 * these units.
 *
 * @example
 * ```ts
 * import { subjectOfRecording } from "./split.ts";
 * subjectOfRecording("hapt", "exp03_user02"); // "user02"
 * ```
 */
export function subjectOfRecording(dataset: string, recording: string): string {
  const user = /user\d+/.exec(recording);
  if (user && (dataset === "hapt" || dataset === "harth")) return user[0];
  if (dataset === "mitdb") return SAME_SUBJECT[recording] ?? recording;
  if (dataset === "sleep-edf" && /^SC4\d\d/.test(recording)) return `SC4${recording.slice(3, 5)}`;
  return recording;
}
