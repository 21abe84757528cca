/**
 * Grid throughput of the study runner: the "quick" synthetic grid
 * (`studyGrid(["synthetic"], "quick", null)`) run from scratch
 * (`refresh: true`, a fresh results folder) with 1 and 2 Deno workers, in runs
 * per hour.
 *
 * @module
 */
import { join } from "node:path";
import { runStudy, studyGrid } from "../lib/experiments/mod.ts";

/** One row per worker count: runs, failures, wall time and runs per hour. */
export async function benchGrid(): Promise<{ rows: Record<string, unknown>[] }> {
  const rows: Record<string, unknown>[] = [];
  const runs = studyGrid(["synthetic"], "quick", null);
  for (const workers of [1, 2]) {
    const resultsDir = await Deno.makeTempDir({ prefix: "emargin-bench-grid-" });
    try {
      const t0 = performance.now();
      const { records, failures } = await runStudy(runs, {
        workers,
        refresh: true,
        resultsDir: join(resultsDir, "results"),
      });
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        grid: "synthetic/quick",
        workers,
        runs: runs.length,
        completed: records.length,
        failed: failures.length,
        firstFailure: failures[0]?.error ?? "",
        seconds,
        runsPerHour: (records.length / seconds) * 3600,
      });
    } finally {
      await Deno.remove(resultsDir, { recursive: true });
    }
  }
  return { rows };
}

if (import.meta.main) {
  console.table((await benchGrid()).rows);
}
