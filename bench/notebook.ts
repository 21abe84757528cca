/**
 * Per-notebook cost of the headless runner on a 1-cell notebook
 * (`tests/fixtures/notebooks/one_cell.ipynb`), median of 5 runs each:
 *
 * - kernel start: spawning `deno jupyter --kernel` until iopub is live and
 *   `kernel_info_reply` has arrived;
 * - `runNotebook` end to end (start, execute, marker flush, shutdown,
 *   validation), and within it the cell itself (execute + marker flush) and
 *   the rest (start-up and shutdown);
 * - `jupyter nbconvert --to notebook --execute` on the same notebook, when
 *   `jupyter` is on PATH (with the `emargin-deno` kernelspec installed in a
 *   temporary `JUPYTER_PATH` entry).
 *
 * Target: runner overhead (end to end minus the kernel's own start) ≤ 0.5 s.
 *
 * @module
 */
import { join } from "node:path";
import { repoRoot } from "../lib/paths.ts";
import { median } from "./timing.ts";
import {
  connectKernel,
  installKernelSpec,
  KERNEL_NAME,
  runNotebook,
  startKernelProcess,
} from "../lib/notebook/mod.ts";

const RUNS = 5;
const OVERHEAD_TARGET_S = 0.5;
const NOTEBOOK = join(repoRoot, "tests", "fixtures", "notebooks", "one_cell.ipynb");

async function kernelStartSeconds(): Promise<number> {
  const t0 = performance.now();
  const kernel = await startKernelProcess();
  const client = await connectKernel(kernel.connection);
  try {
    await client.ready(60_000);
    return (performance.now() - t0) / 1000;
  } finally {
    await client.shutdown(1000);
    await kernel.stop(1000);
  }
}

async function onPath(command: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function nbconvertSeconds(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "emargin-bench-nbconvert-" });
  try {
    await installKernelSpec({ prefix: dir });
    const t0 = performance.now();
    const { success, stderr } = await new Deno.Command("jupyter", {
      args: [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
        "--output-dir",
        dir,
        NOTEBOOK,
      ],
      env: { JUPYTER_PATH: dir },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(new TextDecoder().decode(stderr).slice(-500));
    return (performance.now() - t0) / 1000;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Rows: one per measured phase, with the median seconds over {@link RUNS} runs. */
export async function benchNotebook(): Promise<
  { rows: Record<string, unknown>[]; notes: string[] }
> {
  const notes: string[] = [];
  const start: number[] = [];
  const phase = { total: [] as number[], start: [] as number[], cells: [] as number[] };
  const stop: number[] = [];
  const overhead: number[] = [];
  for (let i = 0; i < RUNS; i++) start.push(await kernelStartSeconds());
  for (let i = 0; i < RUNS; i++) {
    const result = await runNotebook(NOTEBOOK);
    if (result.status !== "ok") {
      throw new Error(`one_cell.ipynb: ${result.status}: ${result.message}`);
    }
    phase.total.push(result.seconds);
    phase.start.push(result.phases.start);
    phase.cells.push(result.phases.cells);
    stop.push(result.phases.stop);
    overhead.push(result.seconds - result.phases.start);
  }
  const row = (name: string, xs: number[], extra: Record<string, unknown> = {}) => ({
    phase: name,
    median_s: median(xs),
    min_s: Math.min(...xs),
    max_s: Math.max(...xs),
    runs: xs.length,
    ...extra,
  });
  const rows: Record<string, unknown>[] = [
    row("kernel start alone (spawn → iopub live)", start),
    row("runNotebook end to end", phase.total),
    row("  kernel start", phase.start),
    row("  cell: execute + marker flush", phase.cells),
    row("  shutdown until exit", stop),
    row("runner overhead (end to end − kernel start)", overhead, {
      target_s: OVERHEAD_TARGET_S,
      ok: median(overhead) <= OVERHEAD_TARGET_S,
    }),
  ];
  if (await onPath("jupyter")) {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) times.push(await nbconvertSeconds());
    rows.push(row("jupyter nbconvert --execute (same kernel)", times));
  } else {
    notes.push("jupyter is not on PATH: nbconvert comparison skipped");
  }
  return { rows, notes };
}

if (import.meta.main) {
  const { rows, notes } = await benchNotebook();
  console.table(rows);
  for (const note of notes) console.log(`note: ${note}`);
}
