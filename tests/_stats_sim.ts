/**
 * Simulated studies for the lib/stats tests: per-group confusion matrices of
 * runs whose groups differ in difficulty, and run-level values under no
 * difference.
 *
 * @module
 */
import type { Rng } from "../lib/random.ts";
import type { GroupedRun, RunValue } from "../lib/stats/mod.ts";

/** A 2-class confusion matrix of `n` frames per class, each recalled with probability `p`. */
export function binaryConfusion(rng: Rng, n: number, p: number): number[][] {
  let hit0 = 0, hit1 = 0;
  for (let i = 0; i < n; i++) (hit0 += rng.next() < p ? 1 : 0, hit1 += rng.next() < p ? 1 : 0);
  return [[hit0, n - hit0], [n - hit1, hit1]];
}

/**
 * Runs of one variant over `folds × seeds`: group `g` of fold `f` has recall
 * `difficulty[f][g] + shift`; each run draws its frames afresh.
 */
export function simulateRuns(
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

/** Recall of every group of every fold, uniform in [lo, hi). */
export function difficulties(
  rng: Rng,
  folds: number,
  groups: number,
  lo = 0.5,
  hi = 0.9,
): number[][] {
  return Array.from(
    { length: folds },
    () => Array.from({ length: groups }, () => lo + (hi - lo) * rng.next()),
  );
}

/** Null-hypothesis run-level pairs: A and B share a run effect and differ by noise only. */
export function nullRunPairs(rng: Rng, folds: number, seeds: number): [RunValue[], RunValue[]] {
  const a: RunValue[] = [], b: RunValue[] = [];
  for (let f = 0; f < folds; f++) {
    for (let seed = 1; seed <= seeds; seed++) {
      const run = 3 * rng.normal();
      a.push({ fold: `${f}`, seed, value: run + rng.normal() });
      b.push({ fold: `${f}`, seed, value: run + rng.normal() });
    }
  }
  return [a, b];
}
