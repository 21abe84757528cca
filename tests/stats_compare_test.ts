/**
 * lib/stats, part 3: paired comparisons (grouped and run-level), the coverage
 * of the intervals and the level of the p-values on simulated studies.
 */
import assert from "node:assert/strict";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import { makeRng } from "../lib/random.ts";
import {
  accuracyFromConfusion,
  balancedAccuracyFromConfusion,
  meanMetricInterval,
  pairedDifference,
  pairedRunLevel,
  quantileSorted,
  runLevelInterval,
  swapTestPValue,
} from "../lib/stats/mod.ts";
import { assertClose } from "./_util.ts";
import { difficulties, nullRunPairs, simulateRuns } from "./_stats_sim.ts";

Deno.test("pairedDifference: pairs by (fold, seed), lists the unpaired, identical variants differ by 0", () => {
  const rng = makeRng(21);
  const d = difficulties(rng, 2, 5);
  const a = simulateRuns(rng, d, 3, 0.08);
  const b = simulateRuns(rng, d, 3, 0);
  const bMissing = b.filter((r) => !(r.fold === "fold1" && r.seed === 3));
  const aExtra = [...a, { ...a[0], seed: 9 }];
  const cmp = pairedDifference(aExtra, bMissing, balancedAccuracyFromConfusion, { seed: 1 });
  assert.equal(cmp.pairs, 5);
  assert.deepEqual(cmp.unpaired, {
    a: [{ fold: "fold1", seed: 3 }, { fold: "fold0", seed: 9 }],
    b: [],
  });
  const paired = a.filter((r) => !(r.fold === "fold1" && r.seed === 3));
  const meanA = meanMetricInterval(paired, balancedAccuracyFromConfusion).estimate;
  const meanB = meanMetricInterval(bMissing, balancedAccuracyFromConfusion).estimate;
  assertClose(cmp.estimate, meanA - meanB, { rtol: 1e-12 });
  assert.ok(cmp.lower > 0 && cmp.pValue < 0.05, JSON.stringify(cmp));
  const same = pairedDifference(b, b, balancedAccuracyFromConfusion, { seed: 1 });
  assert.deepEqual([same.estimate, same.lower, same.upper, same.pValue], [0, 0, 0, 1]);
  assert.deepEqual(
    pairedDifference(a, b, balancedAccuracyFromConfusion, { seed: 4 }),
    pairedDifference(a, b, balancedAccuracyFromConfusion, { seed: 4 }),
  );
});

Deno.test("pairing removes the between-group spread an unpaired comparison keeps", () => {
  const rng = makeRng(33);
  // groups differ a lot in difficulty; A is better by 0.03 on every group
  const d = difficulties(rng, 4, 6, 0.3, 0.9);
  const a = simulateRuns(rng, d, 3, 0.03, 400);
  const b = simulateRuns(rng, d, 3, 0, 400);
  const metric = accuracyFromConfusion;
  const paired = pairedDifference(a, b, metric, { seed: 1 });
  const options = { seed: 1, keepDistribution: true };
  const distA = meanMetricInterval(a, metric, options).distribution!;
  const distB = meanMetricInterval(b, metric, { ...options, seed: 2 }).distribution!;
  const unpaired = distA.map((x, i) => x - distB[i]).sort();
  const [lo, hi] = [quantileSorted(unpaired, 0.025), quantileSorted(unpaired, 0.975)];
  assert.ok(paired.lower > 0, `paired [${paired.lower}, ${paired.upper}]`);
  assert.ok(lo < 0, `unpaired [${lo}, ${hi}]`);
  assert.ok(
    hi - lo > 3 * (paired.upper - paired.lower),
    `${hi - lo} vs ${paired.upper - paired.lower}`,
  );
});

// With n groups per fold the stratified bootstrap's variance is (n − 1)/n of the
// sampling variance: with 8 groups per fold a 95 % interval covers ≈ 93 % (928 of
// 1000 simulated datasets of this design; 184 of these 200).
Deno.test("coverage: with no true difference, the 95 % interval holds 0 in ~93–95 % of 200 datasets", () => {
  const rng = makeRng(2026);
  let covered = 0, rejected = 0;
  for (let dataset = 0; dataset < 200; dataset++) {
    const d = difficulties(rng, 4, 8);
    const a = simulateRuns(rng, d, 1, 0);
    const b = simulateRuns(rng, d, 1, 0);
    const cmp = pairedDifference(a, b, accuracyFromConfusion, { seed: dataset });
    if (cmp.lower <= 0 && 0 <= cmp.upper) covered++;
    if (cmp.pValue < 0.05) rejected++;
  }
  assert.ok(covered >= 176 && covered <= 198, `covered ${covered} of 200`);
  assert.ok(
    Math.abs(200 - covered - rejected) <= 4,
    `${200 - covered} misses, ${rejected} p < 0.05`,
  );
});

Deno.test("runLevelInterval and pairedRunLevel resample runs within folds", () => {
  const values = [
    { fold: "a", seed: 1, value: 1 },
    { fold: "a", seed: 2, value: 2 },
    { fold: "a", seed: 3, value: 6 },
    { fold: "b", seed: 1, value: 10 },
  ];
  const ci = runLevelInterval(values, { seed: 3 });
  assert.equal(ci.estimate, 19 / 4);
  assert.deepEqual([ci.runs, ci.folds], [4, 2]);
  // fold b always contributes its single run; fold a's mean lies in [1, 6]
  assert.ok(ci.lower >= (3 + 10) / 4 && ci.upper <= (18 + 10) / 4 && ci.lower < ci.upper);
  assert.deepEqual(runLevelInterval([...values].reverse(), { seed: 3 }), ci);
  // strata: a fold whose runs agree adds no spread
  const flat = runLevelInterval([
    { fold: "a", seed: 1, value: 0 },
    { fold: "a", seed: 2, value: 0 },
    { fold: "b", seed: 1, value: 9 },
  ]);
  assert.deepEqual([flat.lower, flat.upper], [3, 3]);
  const b = values.map((v) => ({ ...v, value: v.value - 0.5 }));
  const cmp = pairedRunLevel(values, b.slice(1), { seed: 3 });
  assert.deepEqual([cmp.estimate, cmp.lower, cmp.upper, cmp.pairs], [0.5, 0.5, 0.5, 3]);
  // 3 pairs of one sign: the sign-flip test cannot go below 2 / 2³; the bootstrap can
  assert.equal(cmp.pMethod, "permutation");
  assert.equal(cmp.pValue, 2 / 8);
  // 12 pairs of one sign, exactly enumerated: 2 of 4096 patterns are as extreme
  const twelve = (shift: number) =>
    Array.from({ length: 12 }, (_, i) => ({ fold: `${i % 4}`, seed: i, value: i + shift }));
  assert.equal(pairedRunLevel(twelve(0.5), twelve(0)).pValue, 2 / 4096);
  const boot = pairedRunLevel(values, b.slice(1), { seed: 3, pMethod: "bootstrap" });
  assert.deepEqual([boot.pValue, boot.pMethod], [1 / 1001, "bootstrap"]);
  assert.deepEqual(cmp.unpaired, { a: [{ fold: "a", seed: 1 }], b: [] });
  assert.throws(() => runLevelInterval([{ fold: "a", seed: 1, value: NaN }]), NonFiniteError);
  assert.throws(() => runLevelInterval([]), ShapeError);
  assert.throws(
    () => pairedRunLevel(values, [{ fold: "c", seed: 1, value: 0 }]),
    DegenerateInputError,
  );
});

Deno.test("pairedRunLevel: the sign-flip p holds its level where the bootstrap p does not", () => {
  const rng = makeRng(5);
  for (const folds of [1, 4]) {
    let permutation = 0, bootstrap = 0;
    for (let t = 0; t < 200; t++) {
      const [a, b] = nullRunPairs(rng, folds, 3);
      if (pairedRunLevel(a, b, { seed: t }).pValue < 0.05) permutation++;
      if (pairedRunLevel(a, b, { seed: t, pMethod: "bootstrap" }).pValue < 0.05) bootstrap++;
    }
    // 200 × 0.05 = 10 expected for a test at its level
    assert.ok(permutation <= 16, `${folds} folds: permutation rejects ${permutation} of 200`);
    assert.ok(bootstrap >= 24, `${folds} folds: bootstrap rejects ${bootstrap} of 200`);
  }
});

Deno.test("pairedDifference with pMethod permutation: at its level with 3 groups per fold, and powerful", () => {
  const rng = makeRng(8);
  let rejected = 0;
  for (let dataset = 0; dataset < 100; dataset++) {
    const d = difficulties(rng, 4, 3);
    const a = simulateRuns(rng, d, 1, 0), b = simulateRuns(rng, d, 1, 0);
    const cmp = pairedDifference(a, b, accuracyFromConfusion, {
      seed: dataset,
      pMethod: "permutation",
    });
    assert.equal(cmp.pMethod, "permutation");
    if (cmp.pValue < 0.05) rejected++;
  }
  assert.ok(rejected <= 10, `permutation rejects ${rejected} of 100 under no difference`);
  const d = difficulties(rng, 4, 8);
  const a = simulateRuns(rng, d, 2, 0.1), b = simulateRuns(rng, d, 2, 0);
  const shifted = pairedDifference(a, b, balancedAccuracyFromConfusion, {
    seed: 1,
    pMethod: "permutation",
  });
  assert.ok(shifted.pValue < 0.01, `${shifted.pValue}`);
  const same = pairedDifference(b, b, balancedAccuracyFromConfusion, { pMethod: "permutation" });
  assert.equal(same.pValue, 1);
  assert.throws(
    () => pairedDifference(a, b, accuracyFromConfusion, { pMethod: "exact" as "bootstrap" }),
    OptionError,
  );
});

Deno.test("swapTestPValue: exact enumeration by hand, Monte Carlo with the add-one rule", () => {
  const d = [1, 2, 3];
  const mean = (s: Uint8Array) => d.reduce((sum, x, i) => sum + (s[i] ? -x : x), 0) / d.length;
  const options = { resamples: 1000, seed: 1, exactUpTo: 8 };
  // |±1 ± 2 ± 3| ≥ 6 only for + + + and − − −
  assert.equal(swapTestPValue(3, mean, options, "t"), 2 / 8);
  // |T| ≥ 0 for every pattern
  assert.equal(swapTestPValue(3, () => 0, options, "t"), 1);
  const sampled = swapTestPValue(3, mean, { ...options, exactUpTo: 0 }, "t");
  assert.ok(
    Math.abs(sampled - 0.25) < 0.04 && Math.abs(sampled * 1001 - Math.round(sampled * 1001)) < 1e-9,
    `${sampled}`,
  );
  assert.throws(() => swapTestPValue(2, (s) => (s[0] ? NaN : 1), options, "t"), NonFiniteError);
});
