/**
 * Our training step beside PyTorch's, in one bench run: every trained variant
 * (bench/variants.ts) on every paper shape, one step = encoder forward, loss,
 * backward and AdamW. Ours runs in this process on the active backend (one
 * grid worker); PyTorch (bench/torch_reference.py, `/usr/bin/python3`) runs
 * the same math on the same shapes with 1 thread and with every core.
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
import { initBackend } from "../lib/backend.ts";
import { median, timeSteps } from "./timing.ts";
import { STEP_VARIANTS, STUDY_SHAPES, variantStep } from "./variants.ts";

/** One row of the torch section. */
export type TorchRow = Record<string, unknown>;

interface TorchResult {
  torch: string;
  cores: number;
  config: string;
  parallel: string;
  rows: {
    dataset: string;
    variant: string;
    threads: number;
    msPerStep: number;
    cpuMsPerStep: number;
  }[];
}

/** Runs bench/torch_reference.py; null when no python3 can import torch. */
async function runTorch(args: string[]): Promise<TorchResult | null> {
  const script = fileURLToPath(new URL("./torch_reference.py", import.meta.url));
  for (const python of ["/usr/bin/python3", "python3"]) {
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command(python, {
        args: [script, ...args],
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

const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");

/** The comparison rows, or a skip note when torch is absent. */
export async function benchTorch(): Promise<{ rows: TorchRow[]; notes: string[] }> {
  const backend = (await initBackend()).name;
  const loadBefore = load();
  const ours = await timeOurs();
  const loadMid = load();
  const torch = await runTorch([]);
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
      [`torch${cores}ThreadsMs`]: all?.msPerStep ?? null,
      perCore: one ? one.msPerStep / ours1.wall : null,
      perCoreCpu: one ? one.cpuMsPerStep / ours1.cpu : null,
      perMachine: all ? (cores * all.msPerStep) / ours1.wall : null,
    });
  }
  notes.push(
    `PyTorch ${torch.torch}, ${cores} cores, median of 7 steps after 2 warm-up steps; ts2vec-reference has no torch row`,
    `torch parallel info: ${
      torch.parallel.split("\n").filter((l) => /threads|backend/i.test(l)).join("; ")
    }`,
    `torch build: ${
      torch.config.split("\n").filter((l) => /BLAS|MKL|LAPACK|CPU capability|oneDNN|DNN/.test(l))
        .map((l) => l.trim()).join("; ")
    }`,
  );
  return { rows, notes };
}

if (import.meta.main) {
  const { rows, notes } = await benchTorch();
  console.table(rows);
  for (const note of notes) console.log(note);
}
