/**
 * lib/stats, part 1: scores from confusion matrices and contingency tables
 * (by hand and against lib/metrics on the same labels), Holm's adjustment and
 * the verdict wording. The bootstrap is tested in stats_bootstrap_test.ts and
 * stats_compare_test.ts.
 */
import assert from "node:assert/strict";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  f1Macro,
  nmi,
  perClassRecall,
  recallMacro,
} from "../lib/metrics/mod.ts";
import { makeRng, type Rng } from "../lib/random.ts";
import {
  accuracyFromConfusion,
  balancedAccuracyFromConfusion,
  formatEffect,
  holm,
  judgeFamily,
  macroF1FromConfusion,
  nmiFromContingency,
  perClassRecallFromConfusion,
  resamplesForFamily,
  sumTables,
  verdict,
} from "../lib/stats/mod.ts";
import { assertClose } from "./_util.ts";

Deno.test("accuracy, balanced accuracy and per-class recall from a confusion matrix, by hand", () => {
  assert.equal(accuracyFromConfusion([[3, 1], [0, 4]]), 7 / 8);
  // class 2 is only predicted: it has no support and does not count
  const cm = [[3, 0, 1], [0, 4, 0], [0, 0, 0]];
  assert.equal(balancedAccuracyFromConfusion(cm), (0.75 + 1) / 2);
  assert.deepEqual(perClassRecallFromConfusion(cm), [0.75, 1, null]);
  assert.deepEqual(perClassRecallFromConfusion([[3, 1, 0], [0, 4, 0], [0, 1, 0]]), [0.75, 1, 0]);
  // the majority-class predictor: accuracy 0.9, balanced accuracy 0.5
  assert.equal(accuracyFromConfusion([[90, 0], [10, 0]]), 0.9);
  assert.equal(balancedAccuracyFromConfusion([[90, 0], [10, 0]]), 0.5);
});

Deno.test("macro-F1 from a confusion matrix, by hand: labels in true ∪ predicted", () => {
  // class 0: P = 1, R = 1/2, F1 = 2/3; class 1: P = 2/3, R = 1, F1 = 4/5
  assertClose(macroF1FromConfusion([[2, 2], [0, 4]]), (2 / 3 + 4 / 5) / 2, { rtol: 1e-15 });
  // class 2 only predicted: it counts, with F1 = 0
  assertClose(macroF1FromConfusion([[1, 0, 1], [0, 2, 0], [0, 0, 0]]), (2 / 3 + 1 + 0) / 3, {
    rtol: 1e-15,
  });
  // class 2 neither true nor predicted: left out
  assert.equal(macroF1FromConfusion([[1, 0, 0], [0, 1, 0], [0, 0, 0]]), 1);
  // a class never predicted correctly: P = R = 0 gives F1 = 0, not NaN
  assert.equal(macroF1FromConfusion([[0, 2], [0, 2]]), (0 + 2 / 3) / 2);
});

Deno.test("NMI from a contingency table, by hand and at the limits", () => {
  assert.equal(nmiFromContingency([[5, 0], [0, 5]]), 1);
  assert.equal(nmiFromContingency([[2, 2], [2, 2]]), 0);
  assert.equal(nmiFromContingency([[3, 2]]), 0); // one true class, two clusters
  assert.equal(nmiFromContingency([[4, 0], [0, 0]]), 1); // both constant once empty rows go
  // a = (2, 2), b = (3, 1) over n = 4
  const mi = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
  const hB = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
  assertClose(nmiFromContingency([[2, 0], [1, 1]]), mi / ((Math.log(2) + hB) / 2), {
    rtol: 1e-14,
  });
  // an empty cluster column changes nothing
  assert.equal(nmiFromContingency([[2, 0, 0], [1, 0, 1]]), nmiFromContingency([[2, 0], [1, 1]]));
});

Deno.test("table scores reject malformed tables with typed errors naming the argument", () => {
  assert.throws(() => accuracyFromConfusion([]), ShapeError);
  assert.throws(() => balancedAccuracyFromConfusion([[1, 2, 3], [4, 5, 6]]), /square/);
  assert.throws(() => macroF1FromConfusion([[1, 2], [3]]), /row 1 has 1 columns, expected 2/);
  assert.throws(() => accuracyFromConfusion([[1, NaN], [0, 1]]), NonFiniteError);
  assert.throws(() => accuracyFromConfusion([[1, -1], [0, 1]]), DegenerateInputError);
  assert.throws(
    () => balancedAccuracyFromConfusion([[0, 0], [0, 0]]),
    /balancedAccuracyFromConfusion: confusion: expected a positive total, found 0/,
  );
  assert.throws(() => nmiFromContingency([[]]), ShapeError);
  assert.throws(() => sumTables([[[1]], [[1, 2]]]), ShapeError);
  assert.throws(() => sumTables([[[1]]], [1, 2]), /expected 1 weights/);
});

/** Random labels over `K` classes, some classes made absent or rare. */
function randomLabels(rng: Rng, n: number, K: number): Int32Array {
  const weights = Array.from({ length: K }, () => (rng.next() < 0.25 ? 0 : rng.next()));
  weights[rng.int(K)] += 0.5;
  const total = weights.reduce((s, w) => s + w, 0);
  return Int32Array.from({ length: n }, () => {
    let u = rng.next() * total, k = 0;
    while (k < K - 1 && u >= weights[k]) u -= weights[k++];
    return k;
  });
}

Deno.test("scores from summed per-group tables equal lib/metrics on the frames, to the last bit", () => {
  const rng = makeRng(17);
  for (let trial = 0; trial < 60; trial++) {
    const K = 2 + rng.int(5), C = 2 + rng.int(5), n = 5 + rng.int(300), G = 1 + rng.int(6);
    const yTrue = randomLabels(rng, n, K);
    // predictions right with probability 0.6, else a random (possibly absent) class
    const yPred = yTrue.map((t) => (rng.next() < 0.6 ? t : rng.int(K + 1)));
    const clusters = randomLabels(rng, n, C);
    const group = Int32Array.from({ length: n }, () => rng.int(G));
    const labels = Array.from({ length: K + 1 }, (_, k) => k);
    const clusterIds = Array.from({ length: C }, (_, c) => c);
    const perGroup = Array.from({ length: G }, (_, g) => {
      const idx = [...group.keys()].filter((i) => group[i] === g);
      const t = idx.map((i) => yTrue[i]), p = idx.map((i) => yPred[i]);
      const c = idx.map((i) => clusters[i]);
      const contingency = labels.map(() => clusterIds.map(() => 0));
      t.forEach((y, i) => contingency[y][c[i]]++);
      const confusion = t.length === 0
        ? labels.map(() => labels.map(() => 0))
        : confusionMatrix(t, p, { labels });
      return { confusion, contingency };
    });
    const cm = sumTables(perGroup.map((g) => g.confusion));
    const table = sumTables(perGroup.map((g) => g.contingency));
    const present = [...new Set(yTrue)].sort((a, b) => a - b);
    const label = `trial ${trial} (K=${K}, n=${n})`;
    assert.equal(accuracyFromConfusion(cm), accuracy(yTrue, yPred), label);
    assert.equal(
      balancedAccuracyFromConfusion(cm),
      recallMacro(yTrue, yPred, { labels: present }),
      label,
    );
    assert.equal(macroF1FromConfusion(cm), f1Macro(yTrue, yPred), label);
    assert.equal(balancedAccuracyFromConfusion(cm), balancedAccuracy(yTrue, yPred), label);
    assert.deepEqual(perClassRecallFromConfusion(cm), perClassRecall(yTrue, yPred, K + 1), label);
    assert.equal(nmiFromContingency(table), nmi(yTrue, clusters), label);
  }
});

Deno.test("holm: hand-worked step-down examples, monotone and capped at 1", () => {
  assertClose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06], { rtol: 1e-15, atol: 0 });
  // m = 5: 5·0.01, 4·0.02, 3·0.03, then max(0.09, 2·0.04), max(0.09, 0.05)
  assertClose(holm([0.05, 0.04, 0.03, 0.02, 0.01]), [0.09, 0.09, 0.09, 0.08, 0.05], {
    rtol: 1e-15,
    atol: 0,
  });
  assert.deepEqual(holm([0.5, 0.6]), [1, 1]);
  assert.deepEqual(holm([0.02, 0.02]), [0.04, 0.04]);
  assert.deepEqual(holm([0.3]), [0.3]);
  assert.deepEqual(holm([]), []);
  assert.deepEqual(holm([0, 1, 0.001]), [0, 1, 0.002]);
  const p = Array.from({ length: 40 }, (_, i) => ((i * 7919) % 97) / 970);
  const adjusted = holm(p);
  const order = p.map((_, i) => i).sort((x, y) => p[x] - p[y]);
  order.slice(1).forEach((i, r) => assert.ok(adjusted[i] >= adjusted[order[r]]));
  p.forEach((x, i) => assert.ok(adjusted[i] >= x && adjusted[i] <= 1));
  assert.throws(() => holm([0.1, NaN]), NonFiniteError);
  assert.throws(() => holm([1.2]), /holm: pValues\[0\]: expected a p-value in \[0, 1\], found 1.2/);
});

Deno.test("verdict: supported, contradicted or not resolved by this data", () => {
  const base = { estimate: 0.04, lower: 0.01, upper: 0.07, pAdjusted: 0.004 };
  assert.equal(verdict({ ...base, direction: "greater" }), "supported");
  assert.equal(verdict({ ...base, direction: "less" }), "contradicted");
  const negative = { estimate: -0.04, lower: -0.07, upper: -0.01, pAdjusted: 0.004 };
  assert.equal(verdict({ ...negative, direction: "less" }), "supported");
  assert.equal(verdict({ ...negative, direction: "greater" }), "contradicted");
  const unclear = { estimate: 0.02, lower: -0.01, upper: 0.05, pAdjusted: 0.2 };
  assert.equal(verdict({ ...unclear, direction: "greater" }), "not resolved by this data");
  assert.equal(
    verdict({ ...base, pAdjusted: 0.05, direction: "greater" }),
    "not resolved by this data",
  );
  assert.equal(
    verdict({ ...base, pAdjusted: 0.05, alpha: 0.1, direction: "greater" }),
    "supported",
  );
  assert.throws(() => verdict({ ...base, lower: 0.1, direction: "greater" }), OptionError);
  assert.throws(() => verdict({ ...base, estimate: NaN, direction: "greater" }), NonFiniteError);
  assert.throws(() => verdict({ ...base, pAdjusted: 2, direction: "greater" }), OptionError);
  assert.throws(() => verdict({ ...base, alpha: 0, direction: "greater" }), OptionError);
});

Deno.test("formatEffect: shared decimals from the largest magnitude, p to significant digits", () => {
  const effect = { estimate: 0.0431, lower: 0.0118, upper: 0.0712, pAdjusted: 0.004 };
  assert.equal(formatEffect(effect), "Δ = +0.043 [0.012, 0.071], p_Holm = 0.004");
  assert.equal(
    formatEffect({ estimate: -0.0045, lower: -0.0045, upper: -0.0045, pAdjusted: 1 }, {
      digits: 3,
      instead: "no interval: one run per fold",
    }),
    "Δ = -0.00450 (no interval: one run per fold), p_Holm = 1",
    "the note replaces the interval; decimals follow the estimate",
  );
  assert.equal(
    formatEffect({ estimate: -0.12, lower: -0.253, upper: 0.0049, pAdjusted: 0.2712 }),
    "Δ = -0.12 [-0.25, 0.00], p_Holm = 0.27",
  );
  assert.equal(
    formatEffect({ estimate: 0.0996, lower: 0.05, upper: 0.0961, pAdjusted: 0.0004 }),
    "Δ = +0.10 [0.05, 0.10], p_Holm < 0.001",
  );
  assert.equal(
    formatEffect({ estimate: 12.34, lower: 3.2, upper: 25.01, pAdjusted: 1 }, {
      digits: 3,
      symbol: "ΔCHI",
      pLabel: "p",
    }),
    "ΔCHI = +12.3 [3.2, 25.0], p = 1",
  );
  assert.equal(
    formatEffect({ estimate: 0, lower: 0, upper: 0, pAdjusted: 1 }),
    "Δ = 0.00 [0.00, 0.00], p_Holm = 1",
  );
  assert.throws(() => formatEffect({ ...effect, upper: Infinity }), NonFiniteError);
  assert.throws(() => formatEffect(effect, { digits: 0 }), OptionError);
});

Deno.test("judgeFamily: Holm over the family, then a verdict per claim", () => {
  const claims = [
    {
      estimate: 0.05,
      lower: 0.02,
      upper: 0.08,
      pValue: 0.01,
      direction: "greater" as const,
      id: "a",
    },
    {
      estimate: -0.03,
      lower: -0.05,
      upper: -0.01,
      pValue: 0.02,
      direction: "greater" as const,
      id: "b",
    },
    {
      estimate: 0.01,
      lower: 0.002,
      upper: 0.03,
      pValue: 0.03,
      direction: "greater" as const,
      id: "c",
    },
  ];
  const judged = judgeFamily(claims);
  assertClose(judged.map((c) => c.pAdjusted), [0.03, 0.04, 0.04], { rtol: 1e-15, atol: 0 });
  assert.deepEqual(judged.map((c) => [c.id, c.verdict]), [
    ["a", "supported"],
    ["b", "contradicted"],
    ["c", "supported"],
  ]);
  assert.deepEqual(
    judgeFamily(claims, 0.035).map((c) => c.verdict),
    ["supported", "not resolved by this data", "not resolved by this data"],
  );
});

Deno.test("resamplesForFamily: enough resamples for Holm to resolve a claim of the family", () => {
  assert.equal(resamplesForFamily(3), 1000);
  assert.equal(resamplesForFamily(100), 20000);
  assert.equal(resamplesForFamily(100, 0.05, 1), 2000);
  // the smallest resampled p, Holm-adjusted over the family, falls below alpha
  for (const m of [1, 10, 60, 100, 250]) {
    const B = resamplesForFamily(m, 0.05, 1);
    assert.ok(holm([1 / (B + 1), ...new Array(m - 1).fill(0.5)])[0] < 0.05, `m = ${m}`);
  }
  assert.ok(holm([1 / 1001, ...new Array(99).fill(0.5)])[0] >= 0.05);
  assert.throws(() => resamplesForFamily(0), OptionError);
  assert.throws(() => resamplesForFamily(5, 1), OptionError);
});
