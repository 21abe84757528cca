/**
 * Pairing of two variants' runs by (fold, seed), and the result type of a
 * paired comparison.
 *
 * @module
 */
import { DegenerateInputError, ShapeError } from "../errors.ts";
import type { BootstrapInterval } from "./bootstrap.ts";
import type { PMethod } from "./permutation.ts";

/** Identifies a run within one variant and dataset. */
export interface RunKey {
  /** Fold id (the stratum). */
  fold: string;
  /** Training seed. */
  seed: number;
}

/** A paired comparison A − B: estimate, percentile interval and bootstrap p-value. */
export interface PairedComparison extends BootstrapInterval {
  /** Two-sided p-value of "no difference" (see `pMethod`). */
  pValue: number;
  /**
   * `"bootstrap"`: `2 min(P(d* ≤ 0), P(d* ≥ 0))` over the resamples
   * (`bootstrapPValue`); `"permutation"`: a paired swap test (`swapTestPValue`).
   */
  pMethod: PMethod;
  /** Number of (fold, seed) pairs the comparison rests on. */
  pairs: number;
  /** Runs of A and of B without a partner; left out of the comparison. */
  unpaired: { a: RunKey[]; b: RunKey[] };
}

/** A string key for a (fold, seed) pair, distinct for distinct pairs. */
export function runKey(run: RunKey): string {
  return JSON.stringify([run.fold, run.seed]);
}

/** Checks `fold` and `seed` of each run and that no (fold, seed) occurs twice. */
export function checkRunKeys(runs: readonly RunKey[], name: string): void {
  const seen = new Set<string>();
  runs.forEach((run, i) => {
    if (typeof run.fold !== "string") {
      throw new ShapeError(`${name}[${i}].fold: expected a string, found ${typeof run.fold}`);
    }
    if (!Number.isFinite(run.seed)) {
      throw new ShapeError(`${name}[${i}].seed: expected a finite number, found ${run.seed}`);
    }
    const key = runKey(run);
    if (seen.has(key)) {
      throw new ShapeError(
        `${name}[${i}]: fold "${run.fold}", seed ${run.seed} appears twice; expected one run each`,
      );
    }
    seen.add(key);
  });
}

/**
 * Pairs the runs of `a` and `b` with the same (fold, seed), in `a`'s order,
 * and lists the runs of each side that have no partner.
 *
 * @throws {ShapeError} a repeated (fold, seed) within a side.
 * @throws {DegenerateInputError} when no run has a partner.
 */
export function pairRuns<T extends RunKey>(
  a: readonly T[],
  b: readonly T[],
  fn: string,
): { pairs: [T, T][]; unpaired: { a: RunKey[]; b: RunKey[] } } {
  checkRunKeys(a, `${fn}: a`);
  checkRunKeys(b, `${fn}: b`);
  const byKey = new Map(b.map((run) => [runKey(run), run]));
  const pairs: [T, T][] = [];
  const unpairedA: RunKey[] = [];
  for (const run of a) {
    const partner = byKey.get(runKey(run));
    if (partner === undefined) unpairedA.push({ fold: run.fold, seed: run.seed });
    else pairs.push([run, partner]);
  }
  const keysA = new Set(a.map(runKey));
  const unpairedB = b.filter((run) => !keysA.has(runKey(run))).map((run) => ({
    fold: run.fold,
    seed: run.seed,
  }));
  if (pairs.length === 0) {
    throw new DegenerateInputError(
      `${fn}: expected at least one (fold, seed) present in both a and b, found none ` +
        `(${a.length} runs in a, ${b.length} in b)`,
    );
  }
  return { pairs, unpaired: { a: unpairedA, b: unpairedB } };
}
