import assert from "node:assert/strict";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import {
  applyStandardisation,
  balancedAccuracy,
  fitLogistic,
  groupFolds,
  logisticProbe,
  minimizeLbfgs,
  perClassRecall,
  predictLogistic,
  predictProba,
  selectCGroupedCv,
  standardise,
} from "../lib/metrics/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose, flat, readGolden } from "./_util.ts";

interface ProbeCase {
  name: string;
  C: number;
  class_weight: "balanced" | null;
  x_train: number[][];
  y_train: number[];
  x_eval: number[][];
  y_eval: number[];
  mean: number[];
  std: number[];
  classes: number[];
  coef: number[][];
  intercept: number[];
  objective: number;
  eval_proba: number[][];
  eval_pred: number[];
  accuracy: number;
  balanced_accuracy: number;
  f1_macro: number;
}

interface ProbeGolden {
  cases: ProbeCase[];
  grouped_cv: {
    x: number[][];
    y: number[];
    groups: number[];
    C_grid: number[];
    scores: number[][];
    mean_scores: number[];
    chosen_C: number;
  };
}

const golden = readGolden<ProbeGolden>("probe.json");

/** rtol 1e-4 with an absolute floor of 1e-6 · max |expected| for near-zero entries. */
function assertProbeClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string) {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  assertClose(actual, expected, { rtol: 1e-4, atol: 1e-6 * scale, label });
}

for (const c of golden.cases) {
  Deno.test(`fitLogistic matches the golden optimum: ${c.name}`, () => {
    const s = standardise(c.x_train);
    assertClose(s.mean, c.mean, { rtol: 1e-12, atol: 1e-12, label: "mean" });
    assertClose(s.std, c.std, { rtol: 1e-12, atol: 1e-12, label: "std" });
    const fit = fitLogistic(applyStandardisation(c.x_train, s), c.y_train, {
      C: c.C,
      classWeight: c.class_weight,
    });
    assert.ok(fit.converged, `converged (max |g| ${fit.maxAbsGradient})`);
    assert.deepEqual(fit.classes, c.classes);
    assertProbeClose(flat(fit.coef), flat(c.coef), "coef");
    assertProbeClose(fit.intercept, c.intercept, "intercept");
    assertClose(fit.objective, c.objective, { rtol: 1e-6, atol: 0, label: "objective" });
    const proba = predictProba(fit, applyStandardisation(c.x_eval, s));
    assert.deepEqual([proba.rows, proba.cols], [c.x_eval.length, c.classes.length]);
    assertProbeClose(proba.data, flat(c.eval_proba), "eval_proba");
  });

  Deno.test(`logisticProbe with a fixed C scores as the golden: ${c.name}`, () => {
    const r = logisticProbe({
      trainX: c.x_train,
      trainY: c.y_train,
      evalX: c.x_eval,
      evalY: c.y_eval,
      classes: c.classes.length,
      C: c.C,
      classWeight: c.class_weight,
    });
    assert.equal(r.chosenBy, "fixed");
    assert.equal(r.cvScores, null);
    assert.ok(r.converged);
    assert.deepEqual([...r.evalPred], c.eval_pred);
    assertClose(r.objective, c.objective, { rtol: 1e-6, atol: 0, label: "objective" });
    // Ratios of counts: equal up to the last bit of the division order.
    assertClose(r.accuracy, c.accuracy, { rtol: 1e-14, atol: 0, label: "accuracy" });
    assertClose(r.balancedAccuracy, c.balanced_accuracy, { rtol: 1e-14, atol: 0, label: "bacc" });
    assertClose(r.f1Macro, c.f1_macro, { rtol: 1e-14, atol: 0, label: "f1Macro" });
    assert.deepEqual(r.support.reduce((a, b) => a + b, 0), c.y_eval.length);
  });
}

Deno.test("selectCGroupedCv reproduces the golden leave-one-group-out choice of C", () => {
  const g = golden.grouped_cv;
  const groups = new Set(g.groups).size;
  const cv = selectCGroupedCv({
    x: g.x,
    y: g.y,
    groups: g.groups,
    cGrid: g.C_grid,
    innerFolds: groups,
  });
  assert.equal(cv.scores.length, g.C_grid.length);
  cv.scores.forEach((row, i) => assertClose(row, g.scores[i], { rtol: 0, atol: 1e-9 }));
  assertClose(cv.meanScores, g.mean_scores, { rtol: 0, atol: 1e-9, label: "mean" });
  assert.equal(cv.C, g.chosen_C);
  assert.ok(cv.converged);
  assert.deepEqual(cv.foldGroups, [...new Set(g.groups)].sort((a, b) => a - b).map((id) => [id]));
});

Deno.test("logisticProbe chooses C by grouped CV when C is absent", () => {
  const g = golden.grouped_cv;
  const r = logisticProbe({
    trainX: g.x,
    trainY: g.y,
    trainGroups: g.groups,
    evalX: g.x,
    evalY: g.y,
    classes: 4,
    innerFolds: 6,
  });
  assert.equal(r.chosenBy, "grouped-cv");
  assert.equal(r.C, g.chosen_C);
  assert.deepEqual(r.cvGrid, g.C_grid); // the default grid is the golden's
  assertClose(r.cvMeanScores!, g.mean_scores, { rtol: 0, atol: 1e-9 });
  assert.equal(r.cvScores!.length, 6);
  assert.ok(r.converged && r.cvConverged);
});

Deno.test("groupFolds deals sorted group ids round-robin; LOGO with few groups", () => {
  const f = groupFolds([7, 7, 3, 9, 5, 11, 1], 3);
  assert.deepEqual(f.groups, [[1, 7], [3, 9], [5, 11]]);
  assert.deepEqual([...f.fold], [0, 0, 1, 1, 2, 2, 0]);
  assert.deepEqual(groupFolds([4, 2, 4], 5).groups, [[2], [4]]);
  assert.throws(() => groupFolds([1, 1, 1]), DegenerateInputError);
  assert.throws(() => groupFolds([1, 2], 1), OptionError);
});

Deno.test("balancedAccuracy and perClassRecall follow sklearn", () => {
  const yTrue = [0, 0, 0, 1, 1, 3], yPred = [0, 0, 1, 1, 2, 0];
  // recalls: class 0 → 2/3, class 1 → 1/2, class 3 → 0; class 2 (predicted only) is not counted.
  assert.equal(balancedAccuracy(yTrue, yPred), (2 / 3 + 1 / 2 + 0) / 3);
  assert.deepEqual(perClassRecall(yTrue, yPred, 4), [2 / 3, 1 / 2, null, 0]);
  assert.deepEqual(perClassRecall([-1, 1], [0, 1], 2), [null, 1]);
  assert.throws(() => balancedAccuracy([0, 1], [0]), ShapeError);
});

/** Gaussian blobs of `k` classes in `d` dimensions, class c shifted along axis c. */
function blobs(n: number, d: number, k: number, seed: number) {
  const rng = makeRng(seed);
  const x: number[][] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y.push(c);
    x.push(Array.from({ length: d }, (_, j) => rng.normal() + (j === c ? 2 : 0)));
  }
  return { x, y };
}

Deno.test("fitLogistic: a warm start reaches the cold solution in fewer iterations", () => {
  const { x, y } = blobs(300, 8, 3, 1);
  const near = fitLogistic(x, y, { C: 1 });
  const cold = fitLogistic(x, y, { C: 2 });
  const warm = fitLogistic(x, y, { C: 2, init: near });
  assert.ok(warm.iterations < cold.iterations, `${warm.iterations} vs ${cold.iterations}`);
  assertProbeClose(flat(warm.coef), flat(cold.coef), "coef");
  assertClose(warm.objective, cold.objective, { rtol: 1e-12, atol: 0 });
  // A common shift of the intercepts changes nothing and is centred away.
  const shifted = fitLogistic(x, y, {
    C: 2,
    init: { coef: cold.coef, intercept: cold.intercept.map((b) => b + 5) },
  });
  assertClose(shifted.intercept, cold.intercept, { rtol: 1e-6, atol: 1e-6 });
  assert.ok(Math.abs(shifted.intercept.reduce((a, b) => a + b, 0)) < 1e-12);
});

Deno.test("fitLogistic: −1 rows are ignored and labels map to the sorted present classes", () => {
  const { x, y } = blobs(200, 5, 2, 2);
  const ids = y.map((c) => (c === 0 ? 1 : 3));
  const base = fitLogistic(x, ids, { C: 0.5 });
  assert.deepEqual(base.classes, [1, 3]);
  const noisyX = [...x, [99, -99, 99, -99, 99], [1e3, 0, 0, 0, 0]];
  const withUnlabelled = fitLogistic(noisyX, [...ids, -1, -1], { C: 0.5 });
  assert.deepEqual(withUnlabelled.coef, base.coef);
  const pred = predictLogistic(base, x);
  assert.ok(pred.every((p) => p === 1 || p === 3));
  assert.ok(pred.filter((p, i) => p === ids[i]).length > 180);
});

Deno.test("fitLogistic: an iteration cap reports a fit that did not converge", () => {
  const { x, y } = blobs(200, 6, 3, 3);
  const capped = fitLogistic(x, y, { C: 10, maxIterations: 2 });
  assert.equal(capped.iterations, 2);
  assert.equal(capped.converged, false);
  assert.ok(capped.maxAbsGradient > 1e-9 * 10 * 200);
});

Deno.test("logisticProbe scores eval rows of a class absent from training as wrong", () => {
  const { x, y } = blobs(240, 6, 3, 4);
  const train = y.map((c, i) => (c === 2 ? -1 : y[i])); // class 2 never trained
  const r = logisticProbe({ trainX: x, trainY: train, evalX: x, evalY: y, classes: 4, C: 1 });
  assert.deepEqual(r.classesPresent, [0, 1]);
  assert.equal(r.perClassRecall[2], 0);
  assert.equal(r.perClassRecall[3], null);
  assert.deepEqual(r.support, [80, 80, 80, 0]);
  assert.equal(r.confusionMatrix.length, 4);
  assert.equal(r.confusionMatrix[2][2], 0);
  assert.ok(r.accuracy <= 2 / 3 && r.balancedAccuracy <= 2 / 3);
  assert.equal(r.evalPred.length, 240);
});

Deno.test("logisticProbe: −1 eval rows are predicted but not scored", () => {
  const { x, y } = blobs(120, 4, 2, 5);
  const evalY = y.map((c, i) => (i < 20 ? -1 : c));
  const r = logisticProbe({ trainX: x, trainY: y, evalX: x, evalY, classes: 2, C: 1 });
  assert.equal(r.evalPred.length, 120);
  assert.equal(r.support[0] + r.support[1], 100);
});

Deno.test("logisticProbe rejects bad input with typed errors", () => {
  const { x, y } = blobs(40, 3, 2, 6);
  const base = { trainX: x, trainY: y, evalX: x, evalY: y, classes: 2, C: 1 };
  assert.throws(() => logisticProbe({ ...base, trainY: y.map(() => 0) }), DegenerateInputError);
  assert.throws(
    () => logisticProbe({ ...base, C: undefined, trainGroups: y, trainY: y.map(() => -1) }),
    DegenerateInputError,
  );
  assert.throws(() => logisticProbe({ ...base, C: 0 }), OptionError);
  assert.throws(() => logisticProbe({ ...base, C: undefined }), OptionError); // no trainGroups
  assert.throws(
    () => logisticProbe({ ...base, C: undefined, trainGroups: y.map(() => 1) }),
    DegenerateInputError,
  );
  assert.throws(
    () => logisticProbe({ ...base, C: undefined, trainGroups: y, cGrid: [] }),
    OptionError,
  );
  assert.throws(() => logisticProbe({ ...base, trainY: y.map(() => 2) }), ShapeError);
  assert.throws(() => logisticProbe({ ...base, evalY: y.slice(1) }), ShapeError);
  assert.throws(() => logisticProbe({ ...base, evalY: y.map(() => -1) }), DegenerateInputError);
  assert.throws(() => logisticProbe({ ...base, evalX: x.map((r) => r.slice(1)) }), ShapeError);
  assert.throws(() => logisticProbe({ ...base, classes: 1 }), OptionError);
  const bad = x.map((r) => [...r]);
  bad[3][1] = NaN;
  assert.throws(() => logisticProbe({ ...base, trainX: bad }), NonFiniteError);
  assert.throws(
    () => fitLogistic(x, y, { C: 1, init: { coef: [[0]], intercept: [0] } }),
    ShapeError,
  );
  assert.throws(() => fitLogistic(x, y, { C: 1, tolerance: 0 }), OptionError);
});

Deno.test("minimizeLbfgs converges on the Rosenbrock function", () => {
  const fg = (p: Float64Array, g: Float64Array) => {
    const [a, b] = p;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const r = minimizeLbfgs(fg, Float64Array.from([-1.2, 1]), {
    gradientTolerance: 1e-10,
    maxIterations: 200,
  });
  assert.ok(r.converged);
  assertClose(r.x, [1, 1], { rtol: 0, atol: 1e-8 });
});

/** max |∇| of `C Σ CE_i + ½‖W‖²` at a fit, computed naively (no class blocks). */
function naiveMaxGradient(x: number[][], y: number[], C: number, coef: number[][], b: number[]) {
  const k = coef.length, d = x[0].length;
  const gW = coef.map((row) => [...row]), gb = new Array<number>(k).fill(0);
  x.forEach((row, i) => {
    const z = coef.map((w, c) => b[c] + w.reduce((s, v, j) => s + v * row[j], 0));
    const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), sum = e.reduce((s, v) => s + v);
    for (let c = 0; c < k; c++) {
      const r = C * (e[c] / sum - (c === y[i] ? 1 : 0));
      gb[c] += r;
      for (let j = 0; j < d; j++) gW[c][j] += r * row[j];
    }
  });
  return Math.max(...gW.flat().map(Math.abs), ...gb.map(Math.abs));
}

for (const k of [2, 5, 6, 7, 9, 13]) {
  Deno.test(`fitLogistic reaches a stationary point with ${k} classes (class blocks)`, () => {
    const { x, y } = blobs(20 * k + 1, 7, k, 10 + k); // odd: the last row is paired with itself
    const fit = fitLogistic(x, y, { C: 0.7 });
    assert.ok(fit.converged);
    const g = naiveMaxGradient(x, y, 0.7, fit.coef, fit.intercept);
    assert.ok(g < 1e-9 * 0.7 * x.length * 10, `max |grad| ${g}`);
  });
}
