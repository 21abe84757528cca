/**
 * Classification scores with sklearn's conventions: the label set is the
 * sorted union of `yTrue` and `yPred` unless `labels` is given; a 0/0
 * precision or recall counts as 0 (`zero_division=0`).
 *
 * @module
 */
import { ShapeError } from "../errors.ts";
import { type LabelInput, toLabels } from "./matrix.ts";

/** Options shared by the per-class scores. */
export interface LabelOptions {
  /**
   * Classes to score, in this order; samples whose true or predicted label is
   * outside the set are left out of the confusion matrix and the per-class
   * counts. Default: sorted union of `yTrue` and `yPred`.
   */
  labels?: readonly number[];
}

/** Per-class scores in the order of `labels`. */
export interface PerClassScores {
  /** The classes scored. */
  labels: number[];
  /** `TP / (TP + FP)`, 0 when nothing was predicted as the class. */
  precision: Float64Array;
  /** `TP / (TP + FN)`, 0 when the class never occurs. */
  recall: Float64Array;
  /** `2 P R / (P + R)`, 0 when `P + R = 0`. */
  f1: Float64Array;
  /** Number of true samples per class. */
  support: Float64Array;
}

function pair(yTrue: LabelInput, yPred: LabelInput, fn: string): [Int32Array, Int32Array] {
  const t = toLabels(yTrue, `${fn}: yTrue`);
  const p = toLabels(yPred, `${fn}: yPred`, t.length);
  if (t.length === 0) throw new ShapeError(`${fn}: expected at least one sample`);
  return [t, p];
}

function labelSet(t: Int32Array, p: Int32Array, labels?: readonly number[]): number[] {
  if (labels !== undefined) {
    if (labels.length === 0) throw new ShapeError("labels: expected at least one class");
    return [...labels];
  }
  return [...new Set([...t, ...p])].sort((a, b) => a - b);
}

/**
 * Confusion matrix `C[i][j]` = number of samples with true class `labels[i]`
 * predicted as `labels[j]` (rows true, columns predicted).
 *
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function confusionMatrix(
  yTrue: LabelInput,
  yPred: LabelInput,
  options: LabelOptions = {},
): number[][] {
  const [t, p] = pair(yTrue, yPred, "confusionMatrix");
  const labels = labelSet(t, p, options.labels);
  const index = new Map(labels.map((c, i) => [c, i]));
  const out = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < t.length; i++) {
    const r = index.get(t[i]), c = index.get(p[i]);
    if (r !== undefined && c !== undefined) out[r][c]++;
  }
  return out;
}

/**
 * Precision, recall, F1 and support per class (sklearn's
 * `precision_recall_fscore_support` with `zero_division=0`).
 *
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function perClassScores(
  yTrue: LabelInput,
  yPred: LabelInput,
  options: LabelOptions = {},
): PerClassScores {
  const [t, p] = pair(yTrue, yPred, "perClassScores");
  const labels = labelSet(t, p, options.labels);
  const index = new Map(labels.map((c, i) => [c, i]));
  const K = labels.length;
  const tp = new Float64Array(K), predicted = new Float64Array(K), support = new Float64Array(K);
  for (let i = 0; i < t.length; i++) {
    const r = index.get(t[i]), c = index.get(p[i]);
    if (r !== undefined) support[r]++;
    if (c !== undefined) predicted[c]++;
    if (r !== undefined && t[i] === p[i]) tp[r]++;
  }
  const precision = new Float64Array(K), recall = new Float64Array(K), f1 = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    precision[k] = predicted[k] === 0 ? 0 : tp[k] / predicted[k];
    recall[k] = support[k] === 0 ? 0 : tp[k] / support[k];
    const denom = precision[k] + recall[k];
    f1[k] = denom === 0 ? 0 : (2 * precision[k] * recall[k]) / denom;
  }
  return { labels, precision, recall, f1, support };
}

function mean(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x;
  return s / v.length;
}

/** Fraction of samples with `yPred[i] === yTrue[i]` (the reference prints 100 × this). */
export function accuracy(yTrue: LabelInput, yPred: LabelInput): number {
  const [t, p] = pair(yTrue, yPred, "accuracy");
  let hits = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hits++;
  return hits / t.length;
}

/** Support-weighted mean of the per-class F1 (`average='weighted'`); 0 when no class has support. */
export function f1Weighted(yTrue: LabelInput, yPred: LabelInput, options?: LabelOptions): number {
  const s = perClassScores(yTrue, yPred, options);
  let num = 0, den = 0;
  for (let k = 0; k < s.labels.length; k++) {
    num += s.f1[k] * s.support[k];
    den += s.support[k];
  }
  return den === 0 ? 0 : num / den;
}

/** Unweighted mean of the per-class F1 (`average='macro'`). */
export function f1Macro(yTrue: LabelInput, yPred: LabelInput, options?: LabelOptions): number {
  return mean(perClassScores(yTrue, yPred, options).f1);
}

/** Unweighted mean of the per-class precision (`average='macro'`, `zero_division=0`). */
export function precisionMacro(
  yTrue: LabelInput,
  yPred: LabelInput,
  options?: LabelOptions,
): number {
  return mean(perClassScores(yTrue, yPred, options).precision);
}

/** Unweighted mean of the per-class recall (`average='macro'`, `zero_division=0`). */
export function recallMacro(
  yTrue: LabelInput,
  yPred: LabelInput,
  options?: LabelOptions,
): number {
  return mean(perClassScores(yTrue, yPred, options).recall);
}

/**
 * Recall of each class id `0..classes-1`: `TP_c / (TP_c + FN_c)`, `null` for a
 * class absent from `yTrue` (its recall is undefined, not 0). Samples whose
 * true label is outside `0..classes-1` (e.g. −1) are left out.
 *
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function perClassRecall(
  yTrue: LabelInput,
  yPred: LabelInput,
  classes: number,
): (number | null)[] {
  const [t, p] = pair(yTrue, yPred, "perClassRecall");
  const hits = new Float64Array(classes), support = new Float64Array(classes);
  for (let i = 0; i < t.length; i++) {
    if (t[i] < 0 || t[i] >= classes) continue;
    support[t[i]]++;
    if (p[i] === t[i]) hits[t[i]]++;
  }
  return Array.from(support, (s, c) => s === 0 ? null : hits[c] / s);
}

/**
 * Balanced accuracy (sklearn's `balanced_accuracy_score`): the mean recall
 * over the classes present in `yTrue`; predictions of other labels count as
 * misses.
 *
 * @throws {ShapeError} when the lengths differ or are 0.
 */
export function balancedAccuracy(yTrue: LabelInput, yPred: LabelInput): number {
  const [t, p] = pair(yTrue, yPred, "balancedAccuracy");
  const hits = new Map<number, number>(), support = new Map<number, number>();
  for (let i = 0; i < t.length; i++) {
    support.set(t[i], (support.get(t[i]) ?? 0) + 1);
    if (p[i] === t[i]) hits.set(t[i], (hits.get(t[i]) ?? 0) + 1);
  }
  let sum = 0;
  for (const c of [...support.keys()].sort((a, b) => a - b)) {
    sum += (hits.get(c) ?? 0) / support.get(c)!;
  }
  return sum / support.size;
}

/** The labelled rows of a prediction and their confusion table (see {@linkcode labelledScores}). */
export interface LabelledScores {
  /** True and predicted labels of the rows with `evalY ≥ 0`. */
  yTrue: number[];
  yPred: number[];
  /** `[classes][classes]`, rows true, columns predicted. */
  confusionMatrix: number[][];
  /** Frames per true class, `[classes]`. */
  support: number[];
}

/**
 * Keeps the rows whose label is ≥ 0 (unlabelled rows are −1) and counts
 * their confusion table over classes `0..classes−1`: what every probe's
 * scores start from.
 *
 * @example
 * ```ts
 * labelledScores(Int32Array.of(0, -1, 1), Int32Array.of(0, 1, 0), 2).support; // [1, 1]
 * ```
 */
export function labelledScores(
  evalY: Int32Array,
  pred: Int32Array,
  classes: number,
): LabelledScores {
  const scored = [...evalY.keys()].filter((i) => evalY[i] >= 0);
  const yTrue = scored.map((i) => evalY[i]), yPred = scored.map((i) => pred[i]);
  const labels = Array.from({ length: classes }, (_, c) => c);
  const matrix = confusionMatrix(yTrue, yPred, { labels });
  return {
    yTrue,
    yPred,
    confusionMatrix: matrix,
    support: matrix.map((row) => row.reduce((s, v) => s + v, 0)),
  };
}

/** The scores a probe can report of its labelled rows, by name. */
const PROBE_SCORES = {
  accuracy: (t: number[], p: number[]) => accuracy(t, p),
  balancedAccuracy: (t: number[], p: number[]) => balancedAccuracy(t, p),
  f1Macro: (t: number[], p: number[]) => f1Macro(t, p),
  f1Weighted: (t: number[], p: number[]) => f1Weighted(t, p),
  precisionMacro: (t: number[], p: number[]) => precisionMacro(t, p),
  recallMacro: (t: number[], p: number[]) => recallMacro(t, p),
  perClassRecall: (t: number[], p: number[], classes: number) => perClassRecall(t, p, classes),
};

/** A name of a score {@linkcode probeScores} computes. */
export type ProbeScoreName = keyof typeof PROBE_SCORES;

/** The named scores, then the confusion table and support of {@linkcode labelledScores}. */
export type ProbeScores<K extends ProbeScoreName> =
  & { [k in K]: ReturnType<typeof PROBE_SCORES[k]> }
  & Pick<LabelledScores, "confusionMatrix" | "support">;

/**
 * The scores `names` (in that order) of `pred` against the labelled rows of
 * `evalY` ({@linkcode labelledScores}), followed by `confusionMatrix` and
 * `support`: what a probe reports.
 *
 * @example
 * ```ts
 * import { probeScores } from "./mod.ts";
 *
 * const s = probeScores(Int32Array.of(0, -1, 1, 1), Int32Array.of(0, 0, 1, 0), 2, [
 *   "accuracy",
 *   "perClassRecall",
 * ]);
 * // s.accuracy ≈ 0.667, s.perClassRecall: [1, 0.5], s.support: [1, 2]
 * ```
 */
export function probeScores<K extends ProbeScoreName>(
  evalY: Int32Array,
  pred: Int32Array,
  classes: number,
  names: readonly K[],
): ProbeScores<K> {
  const { yTrue, yPred, confusionMatrix, support } = labelledScores(evalY, pred, classes);
  const scores: Record<string, unknown> = {};
  for (const name of names) scores[name] = PROBE_SCORES[name](yTrue, yPred, classes);
  return { ...scores, confusionMatrix, support } as ProbeScores<K>;
}
