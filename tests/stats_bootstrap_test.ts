/**
 * lib/stats, part 2: the stratified cluster bootstrap and intervals of means
 * over runs. Paired comparisons are tested in stats_compare_test.ts.
 */
import assert from "node:assert/strict";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import {
  accuracyFromConfusion,
  balancedAccuracyFromConfusion,
  bootstrapPValue,
  clusterBootstrap,
  type GroupedRun,
  meanMetricInterval,
  pairedDifference,
  quantileSorted,
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
