/**
 * Our training step beside PyTorch's, in one bench run: every trained variant
 * (bench/variants.ts) on every paper shape, one step = encoder forward, loss,
 * backward and AdamW. Ours runs in this process on the active backend (one
 * grid worker); PyTorch (bench/torch_reference.py, `/usr/bin/python3`) runs
 * the same math on the same shapes with 1 thread (in a process whose OpenMP,
 * MKL and OpenBLAS pools are limited to one thread) and with every core.
 *
 * Per core = torch(1 thread) ms / ours ms (> 1: ours is faster on one core),
 * from wall time and from CPU time (each side's process CPU time per step,
 * less inflated by other processes than wall time; both sides compute on one
 * thread there).
 * Per machine = (cores / ours ms) / (1 / torch(all cores) ms): the grid's one
 * worker per core against one torch process using every core, assuming the
 * workers scale linearly (bench/grid.ts measures the grid itself).
 * The load average is printed with the figures: timings taken while other
 * processes run are noise.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { tf } from "../lib/tf.ts";
import type { Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { median, timeProduct, timeSteps } from "./timing.ts";
import { STEP_VARIANTS, STUDY_SHAPES, variantStep } from "./variants.ts";
import { wasmFmaPeak, wasmSimdPeak } from "./wasm_peak.ts";

/** One row of the torch section. */
export type TorchRow = Record<string, unknown>;

interface TorchResult {
  torch: string;
  cores: number;
  config: string;
  parallel: string;
  rows: {
    dataset?: string;
    variant?: string;
    gemm?: string;
    threads: number;
    msPerStep?: number;
    cpuMsPerStep?: number;
    ms?: number;
    gflops?: number;
  }[];
}

/**
 * Thread limits for the 1-thread run. `torch.set_num_threads(1)` alone does
 * not bind Debian's PyTorch 1.13: its products still ran on both cores
 * (1600×320×1600 in 8.9 ms wall, 17.8 ms CPU, 185 GFLOP/s; with these
 * variables 16.8 ms wall and CPU, 97 GFLOP/s). They must be set before torch
 * loads, hence one process per thread count.
 */
const ONE_THREAD_ENV = { OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1" };

/** Runs bench/torch_reference.py; null when no python3 can import torch. */
async function runTorch(
  args: string[],
  env: Record<string, string> = {},
): Promise<TorchResult | null> {
  const script = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
  for (const python of ["/usr/bin/python3", "python3"]) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(python, {
        args: [script, ...args],
        env,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    } catch {
      continue;
    }
    const stderr = new TextDecoder().decode(out.stderr);
    if (!out.success) {
      if (/No module named 'torch'/.test(stderr)) continue;
      throw new Error(`${python} ${script} failed: ${stderr.slice(-500)}`);
    }
    return JSON.parse(new TextDecoder().decode(out.stdout)) as TorchResult;
  }
  return null;
}

/**
 * Torch processes timed with one thread. At N = 1600 its step time varies
 * by up to 2× from one process to the next (the same step, same build, a
 * quiet machine: 102–177 ms for SleepEEG LS_MARGIN), while it is steady
 * within one; the fastest process is its figure, so that no ratio leans on
 * a slow torch.
 */
export const TORCH_PROCESSES = 3;

/** Key of a torch row: its product, or its dataset and variant. */
const rowKey = (r: TorchResult["rows"][number]) => r.gemm ?? `${r.dataset}/${r.variant}`;

/**
 * Every row of the results at its fastest (least `msPerStep`, or `ms` for a
 * product) over the processes, with `slowestMs` the same row's slowest.
 */
export function fastestRows(results: TorchResult[]): (TorchResult["rows"][number] & {
  slowestMs: number;
})[] {
  const best = new Map<string, TorchResult["rows"][number] & { slowestMs: number }>();
  for (const row of results.flatMap((r) => r.rows)) {
    const ms = row.msPerStep ?? row.ms ?? Infinity;
    const seen = best.get(rowKey(row));
    if (!seen) best.set(rowKey(row), { ...row, slowestMs: ms });
    else {
      const slowestMs = Math.max(seen.slowestMs, ms);
      const kept = ms < (seen.msPerStep ?? seen.ms ?? Infinity) ? row : seen;
      best.set(rowKey(row), { ...kept, slowestMs });
    }
  }
  return [...best.values()];
}

/** Median wall and CPU ms per step of our side, per `dataset/variant`. */
async function timeOurs(): Promise<Map<string, { wall: number; cpu: number }>> {
  const ours = new Map<string, { wall: number; cpu: number }>();
  for (const shape of STUDY_SHAPES) {
    for (const variant of STEP_VARIANTS) {
      const { encoder, train } = variantStep(shape, variant);
      // TS2Vec draws a random crop per step: more steps for a stable median.
      const timed = variant.startsWith("ts2vec") ? 9 : 5;
      const { wallMs, cpuMs } = await timeSteps(shape, encoder, train, 2, timed);
      ours.set(`${shape.dataset}/${variant}`, { wall: median(wallMs), cpu: median(cpuMs) });
    }
  }
  return ours;
}

/** The products that dominate a step, `[m, k] × [k, n]`, as torch_reference.py times them. */
const GEMMS: [number, number, number][] = [[1600, 320, 1600], [1600, 1600, 320], [1600, 192, 64]];

/** Our GFLOP/s of each product in {@linkcode GEMMS} (median of 15 after 2 warm-up runs). */
async function timeGemms(): Promise<Map<string, { ms: number; gflops: number }>> {
  const out = new Map<string, { ms: number; gflops: number }>();
  for (const [m, k, n] of GEMMS) {
    const a = tf.randomNormal([m, k]) as Tensor2D;
    const b = tf.randomNormal([k, n]) as Tensor2D;
    const ms = await timeProduct(a, b, { runs: 15 });
    tf.dispose([a, b]);
    out.set(`${m}x${k}x${n}`, { ms, gflops: (2 * m * k * n) / ms / 1e6 });
  }
  return out;
}

const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

/** The BLAS / oneDNN / CPU-capability lines and flags of `torch.__config__.show()`. */
function buildSummary(config: string): string {
  const lines = config.split("\n").map((l) => l.trim().replace(/^- /, ""))
    .filter((l) => /MKL-DNN|oneDNN|CPU capability|LAPACK is/.test(l));
  const flags = [
    ...config.matchAll(/\b(BLAS_INFO|LAPACK_INFO|USE_MKLDNN|USE_OPENMP|USE_NNPACK)=([^,\s]+)/g),
  ]
    .map((m) => `${m[1]}=${m[2]}`);
  return [...lines, ...flags].join("; ");
}

/** The comparison rows, or a skip note when torch is absent. */
export async function benchTorch(): Promise<{ rows: TorchRow[]; notes: string[] }> {
  const backend = (await initBackend()).name;
  const loadBefore = load();
  const gemms = await timeGemms();
  const peak = backend === "wasm" ? await wasmSimdPeak() : null;
  const fma = backend === "wasm" ? await wasmFmaPeak() : null;
  const ours = await timeOurs();
  const loadMid = load();
  const ones: TorchResult[] = [];
  for (let i = 0; i < TORCH_PROCESSES; i++) {
    const result = await runTorch(["--threads", "1"], ONE_THREAD_ENV);
    if (result) ones.push(result);
  }
  const one = ones.length > 0 ? { ...ones[0], rows: fastestRows(ones) } : null;
  const all = one && await runTorch(["--threads", String(one.cores || cpus().length)]);
  const torch = one && all ? { ...all, rows: [...one.rows, ...all.rows] } : null;
  const notes = [
    `load average (1/5/15 min) before ours: ${loadBefore}; before torch: ${loadMid}; after: ${load()}`,
    `ours: ${backend} backend, tfjs ${tf.version.tfjs}, one process (one grid worker), median of 5 steps (TS2Vec 9) after 2 warm-up steps`,
  ];
  if (!torch) {
    notes.push("PyTorch comparison skipped: no python3 with torch (apt-get install python3-torch)");
    return {
      rows: [...ours].map(([key, ms]) => ({ run: key, oursMs: ms.wall, oursCpuMs: ms.cpu })),
      notes,
    };
  }
  const crowded = torch.rows.filter((r) =>
    r.threads === 1 && r.msPerStep && r.cpuMsPerStep && r.cpuMsPerStep > 1.3 * r.msPerStep
  );
  if (crowded.length > 0) {
    notes.push(
      `torch's 1-thread run used more than one core in ${crowded.length} row(s) (CPU time > 1.3 × wall): its per-core ratios are not per core`,
    );
  }
  const cores = torch.cores || cpus().length;
  const torchRow = (dataset: string, variant: string, threads: number) =>
    torch.rows.find((r) => r.dataset === dataset && r.variant === variant && r.threads === threads);
  const rows: TorchRow[] = [];
  for (const [key, ours1] of ours) {
    const [dataset, variant] = key.split("/");
    const one = torchRow(dataset, variant, 1);
    const all = torchRow(dataset, variant, cores);
    rows.push({
      dataset,
      variant,
      oursMs: ours1.wall,
      oursCpuMs: ours1.cpu,
      torch1ThreadMs: one?.msPerStep ?? null,
      torch1ThreadCpuMs: one?.cpuMsPerStep ?? null,
      torch1ThreadSlowestMs: one && "slowestMs" in one ? one.slowestMs : null,
      [`torch${cores}ThreadsMs`]: all?.msPerStep ?? null,
      perCore: one?.msPerStep ? one.msPerStep / ours1.wall : null,
      perCoreCpu: one?.cpuMsPerStep ? one.cpuMsPerStep / ours1.cpu : null,
      perMachine: all?.msPerStep ? (cores * all.msPerStep) / ours1.wall : null,
    });
  }
  for (const [gemm, mine] of gemms) {
    const one = torch.rows.find((r) => r.gemm === gemm && r.threads === 1);
    rows.push({
      dataset: `product ${gemm}`,
      variant: "GFLOP/s (ours, torch 1 thread)",
      oursMs: mine.ms,
      torch1ThreadMs: one?.ms ?? null,
      oursGflops: mine.gflops,
      torch1ThreadGflops: one?.gflops ?? null,
      perCore: one?.ms ? one.ms / mine.ms : null,
    });
  }
  if (peak) {
    rows.push({
      dataset: "wasm SIMD limit",
      variant: `GFLOP/s of ${peak.chains} f32x4.mul + ${peak.chains} f32x4.add chains`,
      oursGflops: peak.gflops,
    });
    if (fma) {
      rows.push({
        dataset: "wasm relaxed-SIMD FMA limit",
        variant: `GFLOP/s of ${fma.chains} f32x4.relaxed_madd chains`,
        oursGflops: fma.gflops,
      });
    }
    const best = Math.max(...[...gemms.values()].map((g) => g.gflops));
    notes.push(
      `wasm SIMD limit (bench/wasm_peak.ts, best of chain counts 4–8): ${
        peak.gflops.toFixed(1)
      } GFLOP/s; the products reach ${(100 * best / peak.gflops).toFixed(0)} % of it${
        fma ? `; with relaxed-SIMD FMA: ${fma.gflops.toFixed(1)} GFLOP/s` : ""
      }`,
    );
  }
  notes.push(
    `PyTorch ${torch.torch}, ${cores} cores, median of 7 steps after 2 warm-up steps; ts2vec-reference has no torch row`,
    `torch 1 thread: the fastest of ${ones.length} processes (torch1ThreadSlowestMs: the slowest; its step time varies between processes, not within one)`,
    `torch parallel info: ${
      torch.parallel.split("\n").filter((l) => /threads|backend/i.test(l)).join("; ")
    }`,
    `torch build: ${buildSummary(torch.config)}`,
  );
  return { rows, notes };
}

if (import.meta.main) {
  const { rows, notes } = await benchTorch();
  console.table(rows);
  for (const note of notes) console.log(note);
}
