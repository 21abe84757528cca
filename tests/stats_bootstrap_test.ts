/**
 * lib/stats, part 2: the stratified cluster bootstrap, intervals of means over
 * runs, paired comparisons (grouped and run-level) and the coverage of the
 * intervals on simulated data.
 */
import assert from "node:assert/strict";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import { makeRng, type Rng } from "../lib/random.ts";
import {
  accuracyFromConfusion,
  balancedAccuracyFromConfusion,
  bootstrapPValue,
  clusterBootstrap,
  type GroupedRun,
  meanMetricInterval,
  pairedDifference,
  pairedRunLevel,
  quantileSorted,
  runLevelInterval,
} from "../lib/stats/mod.ts";
import { assertClose } from "./_util.ts";

const strata = [
  { id: "f0", groups: ["a", "b", "c"] },
  { id: "f1", groups: ["d", "e"] },
  { id: "f2", groups: ["z"] },
];
const value: Record<string, number> = { a: 1, b: 2, c: 4, d: 8, e: 16, z: 32 };
const weightedMean = (w: ReadonlyMap<string, number>): number => {
  let s = 0, n = 0;
  for (const [g, k] of w) (s += k * value[g], n += k);
  return s / n;
};

Deno.test("quantileSorted interpolates like NumPy; bootstrapPValue is two-sided and floored", () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([5], 0.975), 5);
  assert.equal(bootstrapPValue([1, 2, 3, 4]), 1 / 5);
  assert.equal(bootstrapPValue([-1, 2, 3, 4]), 0.5);
  assert.equal(bootstrapPValue([-1, -2, 3, 4]), 1);
  assert.equal(bootstrapPValue([0, 0, 0, 0]), 1);
});

Deno.test("clusterBootstrap: estimate at all-ones weights, deterministic for a seed", () => {
  const run = (seed: number) =>
    clusterBootstrap({ strata, statistic: weightedMean, seed, keepDistribution: true });
  const a = run(3), b = run(3), c = run(4);
  assert.equal(a.estimate, 63 / 6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.distribution, c.distribution);
  assert.equal(a.resamples, 1000);
  assert.equal(a.level, 0.95);
  assert.ok(a.lower < a.estimate && a.estimate < a.upper, `${a.lower} ${a.upper}`);
  assert.equal(run(3).distribution!.length, 1000);
  assert.equal(
    clusterBootstrap({ strata, statistic: weightedMean, seed: 3 }).distribution,
    undefined,
  );
  const wide = clusterBootstrap({ strata, statistic: weightedMean, seed: 3, level: 0.99 });
  assert.ok(wide.lower <= a.lower && wide.upper >= a.upper);
});

Deno.test("clusterBootstrap: each stratum draws only its own groups, as many as it holds", () => {
  let resamples = 0, neverDrawn = 0;
  const seen = new Set<string>();
  clusterBootstrap({
    strata,
    seed: 9,
    statistic: (w) => {
      resamples++;
      assert.deepEqual([...w.keys()].sort(), Object.keys(value).sort());
      for (const s of strata) {
        const drawn = s.groups.reduce((sum, g) => sum + w.get(g)!, 0);
        assert.equal(drawn, s.groups.length, `stratum ${s.id}`);
        for (const g of s.groups) if (w.get(g)! > 0) seen.add(g);
      }
      if (w.get("a") === 0) neverDrawn++;
      return 0;
    },
  });
  assert.equal(resamples, 1001);
  assert.equal(seen.size, 6);
  // a group of a 3-group stratum is left out with probability (2/3)³ ≈ 0.30
  assert.ok(neverDrawn > 240 && neverDrawn < 360, `${neverDrawn}`);
});

Deno.test("clusterBootstrap: a stratum's draws do not depend on the other strata", () => {
  const draws = (s: typeof strata) => {
    const out: number[] = [];
    clusterBootstrap({
      strata: s,
      seed: 5,
      statistic: (w) => (out.push(w.get("a")!, w.get("b")!, w.get("c")!), 0),
    });
    return out;
  };
  assert.deepEqual(draws(strata), draws([strata[2], strata[0]]));
});

Deno.test("clusterBootstrap rejects bad strata and options with typed errors", () => {
  const ok = { strata, statistic: weightedMean, seed: 1 };
  assert.throws(
    () => clusterBootstrap({ ...ok, resamples: 200 }),
    /resamples: expected an integer ≥ 1000, found 200/,
  );
  assert.throws(() => clusterBootstrap({ ...ok, level: 1 }), OptionError);
  assert.throws(() => clusterBootstrap({ ...ok, seed: NaN }), OptionError);
  assert.throws(() => clusterBootstrap({ ...ok, strata: [] }), ShapeError);
  assert.throws(
    () => clusterBootstrap({ ...ok, strata: [...strata, { id: "f3", groups: ["a"] }] }),
    /group "a" appears in stratum "f0" and in "f3"/,
  );
  assert.throws(() => clusterBootstrap({ ...ok, strata: [{ id: "x", groups: [] }] }), ShapeError);
  assert.throws(() => clusterBootstrap({ ...ok, strata: [strata[0], strata[0]] }), /appears twice/);
  assert.throws(
    () => clusterBootstrap({ ...ok, statistic: (w) => (w.get("a") === 0 ? NaN : 1) }),
    NonFiniteError,
  );
});

/** A 2-class confusion matrix of `n` frames per class, each recalled with probability `p`. */
function binaryConfusion(rng: Rng, n: number, p: number): number[][] {
  let hit0 = 0, hit1 = 0;
  for (let i = 0; i < n; i++) (hit0 += rng.next() < p ? 1 : 0, hit1 += rng.next() < p ? 1 : 0);
  return [[hit0, n - hit0], [n - hit1, hit1]];
}

/**
 * Runs of one variant over `folds × seeds`: group `g` of fold `f` has recall
 * `difficulty[f][g] + shift`; each run draws its frames afresh.
 */
function simulateRuns(
  rng: Rng,
  difficulty: number[][],
  seeds: number,
  shift: number,
  frames = 20,
): GroupedRun[] {
  const runs: GroupedRun[] = [];
  difficulty.forEach((groups, f) => {
    for (let seed = 1; seed <= seeds; seed++) {
      const tables: Record<string, number[][]> = {};
      groups.forEach((p, g) => (tables[`f${f}g${g}`] = binaryConfusion(rng, frames, p + shift)));
      runs.push({ fold: `fold${f}`, seed, groups: tables });
    }
  });
  return runs;
}

function difficulties(rng: Rng, folds: number, groups: number, lo = 0.5, hi = 0.9): number[][] {
  return Array.from(
    { length: folds },
    () => Array.from({ length: groups }, () => lo + (hi - lo) * rng.next()),
  );
}

Deno.test("meanMetricInterval: mean of the metric of summed tables; one group per fold leaves no spread", () => {
  const runs: GroupedRun[] = [
    { fold: "0", seed: 1, groups: { s1: [[8, 2], [1, 9]], s2: [[5, 5], [0, 10]] } },
    { fold: "0", seed: 2, groups: { s2: [[6, 4], [2, 8]], s1: [[7, 3], [3, 7]] } },
    { fold: "1", seed: 1, groups: { s3: [[9, 1], [2, 8]], s4: [[7, 3], [3, 7]] } },
  ];
  const ci = meanMetricInterval(runs, accuracyFromConfusion, { seed: 2 });
  assertClose(ci.estimate, (32 / 40 + 28 / 40 + 31 / 40) / 3, { rtol: 1e-15 });
  assert.deepEqual([ci.runs, ci.folds, ci.groups, ci.resamples], [3, 2, 4, 1000]);
  assert.ok(ci.lower < ci.estimate && ci.estimate < ci.upper);
  // input order of runs' groups does not matter
  const reordered = runs.map((r) => ({
    ...r,
    groups: Object.fromEntries(Object.entries(r.groups).reverse()),
  }));
  assert.deepEqual(meanMetricInterval(reordered, accuracyFromConfusion, { seed: 2 }), ci);
  const single: GroupedRun[] = [
    { fold: "0", seed: 1, groups: { s1: [[8, 2], [1, 9]] } },
    { fold: "1", seed: 1, groups: { s2: [[5, 5], [0, 10]] } },
  ];
  const flat = meanMetricInterval(single, balancedAccuracyFromConfusion);
  assert.deepEqual([flat.lower, flat.upper], [flat.estimate, flat.estimate]);
  // groups alike within a fold but not across folds: only a draw from another
  // fold could move the interval off the estimate
  const alike = (fold: string, cm: number[][]): GroupedRun => ({
    fold,
    seed: 1,
    groups: Object.fromEntries(["a", "b", "c"].map((g) => [`${fold}${g}`, cm])),
  });
  const strict = meanMetricInterval(
    [alike("0", [[9, 1], [1, 9]]), alike("1", [[5, 5], [5, 5]])],
    accuracyFromConfusion,
  );
  assert.deepEqual([strict.estimate, strict.lower, strict.upper], [0.7, 0.7, 0.7]);
});

Deno.test("meanMetricInterval and pairedDifference reject inconsistent runs", () => {
  const cm = [[1, 0], [0, 1]];
  const run = (fold: string, seed: number, groups: string[]): GroupedRun => ({
    fold,
    seed,
    groups: Object.fromEntries(groups.map((g) => [g, cm])),
  });
  const ba = balancedAccuracyFromConfusion;
  assert.throws(() => meanMetricInterval([], ba), ShapeError);
  assert.throws(
    () => meanMetricInterval([run("0", 1, ["a"]), run("0", 1, ["a"])], ba),
    /appears twice/,
  );
  assert.throws(
    () => meanMetricInterval([run("0", 1, ["a", "b"]), run("0", 2, ["a", "c"])], ba),
    /runs\[1\]\.groups: expected the groups of fold "0" \(a, b\), found a, c/,
  );
  assert.throws(
    () => meanMetricInterval([run("0", 1, ["a"]), run("1", 1, ["a"])], ba),
    /group "a" is held out in fold "0" and in fold "1"/,
  );
  assert.throws(
    () => meanMetricInterval([{ fold: "0", seed: 1, groups: { a: cm, b: [[1, 0, 0]] } }], ba),
    ShapeError,
  );
  assert.throws(
    () => meanMetricInterval([{ fold: "0", seed: 1, groups: { a: [[1, NaN], [0, 1]] } }], ba),
    NonFiniteError,
  );
  assert.throws(() => meanMetricInterval([run("0", 1, ["a"])], ba, { resamples: 10 }), OptionError);
  assert.throws(
    () => pairedDifference([run("0", 1, ["a"])], [run("0", 2, ["a"])], ba),
    DegenerateInputError,
  );
  assert.throws(
    () => pairedDifference([run("0", 1, ["a"])], [run("0", 1, ["b"])], ba),
    /b \(fold "0", seed 1\)\.groups: expected the groups of fold "0" \(a\), found b/,
  );
});

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
  assert.ok(Math.abs(cmp.pValue - 0.25) < 0.04, `${cmp.pValue}`);
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

/** Null-hypothesis run-level pairs: A and B share a run effect and differ by noise only. */
function nullRunPairs(rng: Rng, folds: number, seeds: number) {
  const a = [], b = [];
  for (let f = 0; f < folds; f++) {
    for (let seed = 1; seed <= seeds; seed++) {
      const run = 3 * rng.normal();
      a.push({ fold: `${f}`, seed, value: run + rng.normal() });
      b.push({ fold: `${f}`, seed, value: run + rng.normal() });
    }
  }
  return [a, b];
}

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
