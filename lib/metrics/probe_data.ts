/**
 * The inputs both probes (linear and logistic) take, checked once: train and
 * evaluation embeddings of equal width, and label vectors of matching length
 * whose entries are −1 (unlabelled) or a class in `0..classes−1`.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";
import { type LabelInput, toLabels } from "./matrix.ts";

/** What a probe is given: embeddings `X` of either split, their labels and the class count. */
export interface ProbeInputs<X> {
  trainX: X;
  evalX: X;
  trainY: LabelInput;
  evalY: LabelInput;
  classes: number;
}

/** {@linkcode ProbeInputs} after {@linkcode probeData}: matrices `M` and `Int32Array` labels. */
export interface ProbeData<M> {
  trainX: M;
  evalX: M;
  trainY: Int32Array;
  evalY: Int32Array;
}

/**
 * Checks that every entry of `y` is −1 or a class in `0..classes−1`.
 *
 * @throws {ShapeError} naming `name[i]` and its value otherwise
 */
export function checkLabels(y: Int32Array, classes: number, name: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] < -1 || y[i] >= classes) {
      throw new ShapeError(`${name}[${i}] is ${y[i]}; expected -1 or a class in 0..${classes - 1}`);
    }
  }
}

/**
 * The probe's inputs as matrices (`toMatrix`, named `<fn>: trainX` and
 * `<fn>: evalX`) and label vectors, checked: equal widths `D`, `trainY [n_train]`,
 * `evalY [n_eval]`, labels in `−1..classes−1`. Whether a split has a labelled
 * row is the caller's to check (each probe words it its own way).
 *
 * @throws {ShapeError} for mismatched widths or lengths, or a label out of range
 * @example
 * ```ts
 * import { probeData, toMatrix } from "./mod.ts";
 *
 * const d = probeData("probe", {
 *   trainX: [[0, 1], [1, 0]],
 *   evalX: [[1, 1]],
 *   trainY: [0, 1],
 *   evalY: [-1],
 *   classes: 2,
 * }, toMatrix);
 * // d.trainX.cols === 2, d.evalY: Int32Array [-1]
 * ```
 */
export function probeData<X, M extends { rows: number; cols: number }>(
  fn: string,
  inputs: ProbeInputs<X>,
  toMatrix: (x: X, name: string) => M,
): ProbeData<M> {
  const trainX = toMatrix(inputs.trainX, `${fn}: trainX`);
  const evalX = toMatrix(inputs.evalX, `${fn}: evalX`);
  if (evalX.cols !== trainX.cols) {
    throw new ShapeError(`${fn}: evalX has ${evalX.cols} columns, trainX ${trainX.cols}`);
  }
  const trainY = toLabels(inputs.trainY, `${fn}: trainY`, trainX.rows);
  const evalY = toLabels(inputs.evalY, `${fn}: evalY`, evalX.rows);
  checkLabels(trainY, inputs.classes, `${fn}: trainY`);
  checkLabels(evalY, inputs.classes, `${fn}: evalY`);
  return { trainX, evalX, trainY, evalY };
}
