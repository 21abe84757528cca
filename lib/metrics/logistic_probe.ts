/**
 * The converged linear probe (issue 17): multinomial logistic regression on
 * embeddings standardised with training-split statistics, L2 penalty, solved
 * to convergence, C fixed or chosen by grouped inner cross-validation, scored
 * by balanced accuracy and macro-F1 (accuracy alongside). Matches
 * scikit-learn's `LogisticRegression` at its optimum
 * (`../shared/golden/probe.json`). The reference probe of spec §2.5 stays in
 * `linear_probe.ts`.
 *
 * @module
 */
import { DegenerateInputError, OptionError } from "../errors.ts";
import { probeScores } from "./classification.ts";
import { type GroupedCvResult, selectCGroupedCv } from "./grouped_cv.ts";
import {
  fitLogisticData,
  labelledRows,
  type LogisticFit,
  predictLogistic,
} from "./logistic_regression.ts";
import { type LabelInput, type MatrixInput, toFiniteMatrix } from "./matrix.ts";
import { probeData } from "./probe_data.ts";
import { applyStandardisation, type Standardisation, standardise } from "./standardise.ts";

/** Options of {@linkcode logisticProbe}. */
export interface LogisticProbeOptions {
  /** Training embeddings `[nTrain, d]`. */
  trainX: MatrixInput;
  /** Training labels `[nTrain]` in `0..classes-1`; −1 marks an unlabelled row (ignored). */
  trainY: LabelInput;
  /** Group (subject / record / excerpt) id per training row `[nTrain]`; needed to choose C. */
  trainGroups?: LabelInput;
  /** Evaluation embeddings `[nEval, d]`. */
  evalX: MatrixInput;
  /** Evaluation labels `[nEval]` in `0..classes-1`; −1 rows are predicted but not scored. */
  evalY: LabelInput;
  /** Number of class ids of the task. */
  classes: number;
  /** A fixed C; when absent, C is chosen by grouped cross-validation over `cGrid`. */
  C?: number;
  /** Grid searched when `C` is absent. Default `[1e-3, 1e-2, 1e-1, 1, 10, 100]`. */
  cGrid?: readonly number[];
  /** `"balanced"`: sample weights `n / (k · n_c)`. Default `null` (weight 1). */
  classWeight?: "balanced" | null;
  /** Inner folds of the C search (groups dealt round-robin). Default 5. */
  innerFolds?: number;
  /** Relative gradient tolerance of every fit (see `fitLogistic`). */
  tolerance?: number;
  /** Iteration cap of every fit. Default 1000. */
  maxIterations?: number;
  /**
   * Tolerance of the inner cross-validation's fits (default `tolerance`): they
   * only rank the grid by held-out balanced accuracy, so a looser one is cheaper.
   */
  cvTolerance?: number;
  /** Iteration cap of the inner cross-validation's fits (default `maxIterations`). */
  cvMaxIterations?: number;
}

/** Result of {@linkcode logisticProbe}; scores are fractions in [0, 1]. */
export interface LogisticProbeResult {
  /** The C of the final fit. */
  C: number;
  /** How C was set. */
  chosenBy: "fixed" | "grouped-cv";
  /** The C grid searched, `null` for a fixed C. */
  cvGrid: number[] | null;
  /** Group ids held out in each inner fold, `null` for a fixed C. */
  cvFoldGroups: number[][] | null;
  /** Held-out balanced accuracy `[grid][folds]`, `null` for a fixed C. */
  cvScores: number[][] | null;
  /** Mean over folds `[grid]`, `null` for a fixed C. */
  cvMeanScores: number[] | null;
  /** False when any inner fit stopped before its tolerance; `null` for a fixed C. */
  cvConverged: boolean | null;
  /** The final fit on all labelled training rows (standardised). */
  fit: LogisticFit;
  /** Training statistics applied to train and eval. */
  standardisation: Standardisation;
  /** True when the final fit reached its gradient tolerance. */
  converged: boolean;
  /** L-BFGS iterations of the final fit. */
  iterations: number;
  /** max |∇| of the final fit's objective. */
  maxAbsGradient: number;
  /** `C · Σ w_i CE_i + ½‖W‖²` of the final fit. */
  objective: number;
  /** Class ids present among the labelled training rows (the fit's outputs). */
  classesPresent: number[];
  /** Predicted class id of every evaluation row (−1 rows included), `[nEval]`. */
  evalPred: Int32Array;
  /** Accuracy over the scored (labelled) evaluation rows. */
  accuracy: number;
  /** Mean recall over the classes present in the scored evaluation rows. */
  balancedAccuracy: number;
  /** Macro F1 over the labels in true ∪ predicted (sklearn). */
  f1Macro: number;
  /** Support-weighted F1. */
  f1Weighted: number;
  /** Recall per class id `0..classes-1`, `null` for a class absent from the scored rows. */
  perClassRecall: (number | null)[];
  /** `[classes][classes]` over class ids, rows true, columns predicted. */
  confusionMatrix: number[][];
  /** Scored evaluation rows per class id, `[classes]`. */
  support: number[];
}

/** Validated inputs: float64 matrices and label vectors. */
function prepare(o: LogisticProbeOptions) {
  if (!Number.isInteger(o.classes) || o.classes < 2) {
    throw new OptionError(`logisticProbe: classes is ${o.classes}; expected an integer >= 2`);
  }
  const { trainX, evalX, trainY, evalY } = probeData("logisticProbe", o, toFiniteMatrix);
  if (!evalY.some((v) => v >= 0)) {
    throw new DegenerateInputError("logisticProbe: evalY: no labelled evaluation row to score");
  }
  return { trainX, evalX, trainY, evalY };
}

/** Scores of `pred` against the labelled rows of `evalY`. */
function score(evalY: Int32Array, pred: Int32Array, classes: number) {
  return probeScores(evalY, pred, classes, [
    "accuracy",
    "balancedAccuracy",
    "f1Macro",
    "f1Weighted",
    "perClassRecall",
  ]);
}

/**
 * Fits the converged linear probe on `trainX` and scores it on `evalX`.
 *
 * 1. Keep the labelled training rows (`trainY ≠ −1`); standardise with their
 *    mean and population std (ddof 0, a constant feature gets σ = 1) and
 *    apply the same statistics to `evalX`.
 * 2. C: `options.C` when given (`"fixed"`), else grouped inner
 *    cross-validation over `cGrid` on the raw training rows grouped by
 *    `trainGroups` (`"grouped-cv"`: groups sorted and dealt round-robin to
 *    `innerFolds` folds, leave-one-group-out with fewer groups; each fold
 *    standardised on its training groups; balanced accuracy; first best mean).
 * 3. Fit the multinomial logistic regression over the k ≥ 2 classes present,
 *    minimising `C · Σ_i w_i · CE_i + ½‖W‖²_F` (intercept unpenalised;
 *    `w_i = 1`, or `n / (k · n_c)` for `classWeight: "balanced"`) by L-BFGS to
 *    max |∇| ≤ `tolerance · max(1, C·n)`.
 * 4. Predict `argmax_c (W x + b)_c` for every evaluation row; score the
 *    labelled ones. An evaluation row whose true class was absent from
 *    training is scored like any other: it can only be a wrong prediction
 *    (its class counts in balanced accuracy and macro-F1 with recall 0).
 *
 * Shapes: `trainX` `[nTrain, d]`, `evalX` `[nEval, d]`; `fit.coef` `[k][d]`.
 *
 * @example Two classes, four subjects: C chosen by grouped cross-validation
 * ```ts
 * import assert from "node:assert/strict";
 * import { logisticProbe } from "./logistic_probe.ts";
 *
 * const rows = (n: number) => Array.from({ length: n }, (_, i) => [i % 2 ? 1 : -1, (i % 7) / 7]);
 * const r = logisticProbe({
 *   trainX: rows(40),
 *   trainY: Array.from({ length: 40 }, (_, i) => i % 2),
 *   trainGroups: Array.from({ length: 40 }, (_, i) => Math.floor(i / 10)), // subject of each row
 *   evalX: rows(10),
 *   evalY: Array.from({ length: 10 }, (_, i) => i % 2),
 *   classes: 2,
 *   innerFolds: 4,
 * });
 * assert.ok(r.chosenBy === "grouped-cv" && r.balancedAccuracy === 1 && r.converged);
 * ```
 * @throws {ShapeError} mismatched lengths or widths, labels outside `-1..classes-1`.
 * @throws {NonFiniteError} NaN / ±Inf in an embedding.
 * @throws {DegenerateInputError} fewer than 2 classes in training, no labelled
 *   evaluation row, or fewer than 2 training groups when C is searched.
 * @throws {OptionError} `classes < 2`, a bad C, grid, `innerFolds`, tolerance,
 *   or no `trainGroups` while C is to be searched.
 */
export function logisticProbe(options: LogisticProbeOptions): LogisticProbeResult {
  const { trainX, evalX, trainY, evalY } = prepare(options);
  const fitOptions = {
    classWeight: options.classWeight ?? null,
    tolerance: options.tolerance,
    maxIterations: options.maxIterations,
  };
  const raw = labelledRows(trainX, trainY, "logisticProbe: trainY");
  if (raw.classes.length < 2) {
    throw new DegenerateInputError(
      `logisticProbe: trainY: expected at least 2 classes among the labelled rows, found ${raw.classes.length}`,
    );
  }
  let C = options.C, cv: Omit<GroupedCvResult, "C"> | null = null;
  if (C === undefined) {
    if (options.trainGroups === undefined) {
      throw new OptionError("logisticProbe: trainGroups is required to choose C (or pass C)");
    }
    const { C: chosen, ...table } = selectCGroupedCv({
      x: trainX,
      y: trainY,
      groups: options.trainGroups,
      cGrid: options.cGrid,
      innerFolds: options.innerFolds,
      ...fitOptions,
      tolerance: options.cvTolerance ?? options.tolerance,
      maxIterations: options.cvMaxIterations ?? options.maxIterations,
    });
    C = chosen;
    cv = table;
  }
  const standardisation = standardise(raw.x, "logisticProbe: trainX");
  const data = { ...raw, x: applyStandardisation(raw.x, standardisation) };
  const fit = fitLogisticData(data, { C, ...fitOptions });
  const evalPred = predictLogistic(fit, applyStandardisation(evalX, standardisation));
  return {
    C,
    chosenBy: cv === null ? "fixed" : "grouped-cv",
    cvGrid: cv?.grid ?? null,
    cvFoldGroups: cv?.foldGroups ?? null,
    cvScores: cv?.scores ?? null,
    cvMeanScores: cv?.meanScores ?? null,
    cvConverged: cv?.converged ?? null,
    fit,
    standardisation,
    converged: fit.converged,
    iterations: fit.iterations,
    maxAbsGradient: fit.maxAbsGradient,
    objective: fit.objective,
    classesPresent: fit.classes,
    evalPred,
    ...score(evalY, evalPred, options.classes),
  };
}
