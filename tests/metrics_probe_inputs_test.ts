import assert from "node:assert/strict";
import { ShapeError } from "../lib/errors.ts";
import {
  checkLabels,
  probeData,
  probeScores,
  toFiniteMatrix,
  toLabelledMatrix,
} from "../lib/metrics/mod.ts";

Deno.test("probeData: matrices and labels checked against each other, errors named after the probe", () => {
  const ok = probeData("p", {
    trainX: [[0, 1], [1, 0]],
    evalX: [[1, 1]],
    trainY: [0, 1],
    evalY: [-1],
    classes: 2,
  }, toFiniteMatrix);
  assert.equal(ok.trainX.cols, 2);
  assert.deepEqual([...ok.trainY], [0, 1]);
  assert.deepEqual([...ok.evalY], [-1]);
  const base = {
    trainX: [[0, 1], [1, 0]],
    evalX: [[1, 1]],
    trainY: [0, 1],
    evalY: [0],
    classes: 2,
  };
  assert.throws(
    () => probeData("p", { ...base, evalX: [[1, 1, 1]] }, toFiniteMatrix),
    { name: "ShapeError", message: "p: evalX has 3 columns, trainX 2" },
  );
  assert.throws(
    () => probeData("p", { ...base, trainY: [0] }, toFiniteMatrix),
    { message: "p: trainY: expected 2 labels, got 1" },
  );
  assert.throws(
    () => probeData("p", { ...base, evalY: [2] }, toFiniteMatrix),
    { message: "p: evalY[0] is 2; expected -1 or a class in 0..1" },
  );
  assert.throws(() => checkLabels(Int32Array.of(0, -2), 2, "y"), ShapeError);
});

Deno.test("probeScores: the named scores in the given order, then confusion table and support", () => {
  const s = probeScores(Int32Array.of(0, -1, 1, 1), Int32Array.of(0, 0, 1, 0), 2, [
    "perClassRecall",
    "accuracy",
  ]);
  assert.deepEqual(Object.keys(s), ["perClassRecall", "accuracy", "confusionMatrix", "support"]);
  assert.deepEqual(s.perClassRecall, [1, 0.5]);
  assert.ok(Math.abs(s.accuracy - 2 / 3) < 1e-12);
  assert.deepEqual(s.confusionMatrix, [[1, 0], [1, 1]]);
  assert.deepEqual(s.support, [1, 2]);
});

Deno.test("toLabelledMatrix: one integer label per finite row", () => {
  const { x, y } = toLabelledMatrix([[0, 1], [2, 3]], [1, 0], "x", "y");
  assert.equal(x.rows, 2);
  assert.deepEqual([...y], [1, 0]);
  assert.throws(() => toLabelledMatrix([[0, 1]], [1, 0], "x", "y"), {
    message: "y: expected 1 labels, got 2",
  });
  assert.throws(() => toLabelledMatrix([[NaN, 1]], [1], "x", "y"), { name: "NonFiniteError" });
});
