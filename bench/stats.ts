/**
 * Speed of the study's interval statistics (lib/stats): 1000 cluster-bootstrap
 * resamples over 12 runs (4 folds × 3 seeds) × 30 held-out groups × 6×6
 * confusion matrices, for a mean over runs and for a paired comparison of two
 * variants (bootstrap and permutation p), the same with the resamples a
 * 100-claim family needs (`resamplesForFamily(100)`), and 1000 run-level
 * resamples. Target: well under a second each at 1000 resamples.
 *
 * @module
 */
import { makeRng } from "../lib/random.ts";
import {
  balancedAccuracyFromConfusion,
  type GroupedRun,
  macroF1FromConfusion,
  meanMetricInterval,
  pairedDifference,
  resamplesForFamily,
  runLevelInterval,
} from "../lib/stats/mod.ts";
import { median } from "./timing.ts";

function simulate(seed: number, folds: number, seeds: number, groups: number): GroupedRun[] {
  const rng = makeRng(seed);
  const runs: GroupedRun[] = [];
  for (let f = 0; f < folds; f++) {
    for (let s = 1; s <= seeds; s++) {
      const tables: Record<string, number[][]> = {};
      for (let g = 0; g < groups; g++) {
        tables[`f${f}g${g}`] = Array.from(
          { length: 6 },
          (_, i) => Array.from({ length: 6 }, (_, j) => rng.int(i === j ? 200 : 30)),
        );
      }
      runs.push({ fold: `${f}`, seed: s, groups: tables });
    }
  }
  return runs;
}

function time(fn: () => unknown, repeats = 5): number {
  fn(); // warm-up
  const ms: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** One row per statistic: shape, resamples and median wall time (ms) of 5 repeats. */
export function benchStats(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const a = simulate(1, 4, 3, 30), b = simulate(2, 4, 3, 30);
  const shape = "12 runs × 30 groups × 6×6";
  const values = a.map((r, i) => ({ fold: r.fold, seed: r.seed, value: i % 5 }));
  const rows = [
    {
      statistic: "meanMetricInterval (balanced accuracy)",
      shape,
      resamples: 1000,
      ms: time(() => meanMetricInterval(a, balancedAccuracyFromConfusion, { seed: 1 })),
    },
    {
      statistic: "pairedDifference (macro-F1)",
      shape,
      resamples: 1000,
      ms: time(() => pairedDifference(a, b, macroF1FromConfusion, { seed: 1 })),
    },
    {
      statistic: "pairedDifference (macro-F1), permutation p",
      shape,
      resamples: 1000,
      ms: time(() =>
        pairedDifference(a, b, macroF1FromConfusion, { seed: 1, pMethod: "permutation" })
      ),
    },
    {
      statistic: "pairedDifference (macro-F1), a 100-claim family",
      shape,
      resamples: resamplesForFamily(100),
      ms: time(
        () =>
          pairedDifference(a, b, macroF1FromConfusion, {
            seed: 1,
            resamples: resamplesForFamily(100),
          }),
        1,
      ),
    },
    {
      statistic: "runLevelInterval",
      shape: "12 runs",
      resamples: 1000,
      ms: time(() => runLevelInterval(values, { seed: 1 })),
    },
  ];
  return Promise.resolve({ rows, notes: ["target: each well under 1000 ms"] });
}

if (import.meta.main) {
  console.table((await benchStats()).rows);
}
