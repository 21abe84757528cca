/**
 * Cost of the converged logistic probe on plain float64 TypedArrays: one fit
 * at C = 1 on standardised rows and the full probe with the C chosen by grouped cross-validation
 * (4 inner folds × the default grid of 6 C values, warm-started, then the
 * final fit and the evaluation), on 6 000 × 320 seeded embeddings of 5
 * classes from 24 groups (class means plus a per-group offset, like
 * subjects).
 *
 * Time = median of 3 timed fits after one warm-up fit (single fit), one run
 * for the grouped-CV probe; wall and process CPU time are both reported,
 * since a shared machine inflates the wall time.
 *
 * @module
 */
import process from "node:process";
import {
  applyStandardisation,
  type DenseMatrix,
  fitLogistic,
  logisticProbe,
  standardise,
} from "../lib/metrics/mod.ts";
import { makeRng } from "../lib/random.ts";
import { median } from "./timing.ts";

const N = 6000, D = 320, K = 5, GROUPS = 24;
const TARGET_FIT_MS = 1000;

/** Seeded embeddings: class mean + group offset + N(0, 1) noise per feature. */
function embeddings(n: number, seed: number): { x: DenseMatrix; y: Int32Array; g: Int32Array } {
  const rng = makeRng(seed);
  const mean = (s: number) => Float64Array.from({ length: D }, () => s * rng.normal());
  const classMeans = Array.from({ length: K }, () => mean(0.25));
  const groupMeans = Array.from({ length: GROUPS }, () => mean(0.5));
  const data = new Float64Array(n * D), y = new Int32Array(n), g = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.int(K);
    g[i] = i % GROUPS;
    for (let j = 0; j < D; j++) {
      data[i * D + j] = classMeans[y[i]][j] + groupMeans[g[i]][j] + rng.normal();
    }
  }
  return { x: { data, rows: n, cols: D }, y, g };
}

/** Wall and CPU milliseconds of `fn()`, with its result. */
function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const cpu = process.cpuUsage(), start = performance.now();
  const value = fn();
  const used = process.cpuUsage(cpu);
  return { value, wallMs: performance.now() - start, cpuMs: (used.user + used.system) / 1000 };
}

/** Runs the probe benchmark. */
export function benchProbe(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const train = embeddings(N, 1), test = embeddings(N / 4, 2);
  const trainX = applyStandardisation(train.x, standardise(train.x)); // as the probe does
  const fit = () => fitLogistic(trainX, train.y, { C: 1 });
  fit(); // warm-up (JIT)
  const fits = [0, 1, 2].map(() => timed(fit));
  const one = fits[0].value;
  const rows: Record<string, unknown>[] = [{
    case: `fit C=1, ${N}x${D}, ${K} classes`,
    wall_ms: median(fits.map((f) => f.wallMs)),
    cpu_ms: median(fits.map((f) => f.cpuMs)),
    iterations: one.iterations,
    evaluations: one.evaluations,
    cpu_ms_per_evaluation: median(fits.map((f) => f.cpuMs)) / one.evaluations,
    converged: one.converged,
    target_ms: TARGET_FIT_MS,
  }];
  const probe = timed(() =>
    logisticProbe({
      trainX: train.x,
      trainY: train.y,
      trainGroups: train.g,
      evalX: test.x,
      evalY: test.y,
      classes: K,
      innerFolds: 4,
    })
  );
  rows.push({
    case: `grouped-CV probe, 4 folds x 6 C + final fit`,
    wall_ms: probe.wallMs,
    cpu_ms: probe.cpuMs,
    iterations: probe.value.iterations,
    converged: probe.value.converged && probe.value.cvConverged,
    chosen_C: probe.value.C,
  });
  const ok = rows[0].cpu_ms as number < TARGET_FIT_MS;
  return Promise.resolve({
    rows,
    notes: [
      `single fit ${ok ? "meets" : "MISSES"} the < ${TARGET_FIT_MS} ms target (CPU time)`,
      "iterations/evaluations of the grouped-CV row are the final fit's",
    ],
  });
}
