/**
 * The paper profile's cost as one number: a short timed run (2 warm-up + 20
 * timed steps) of every dataset × variant of the paper grid on synthetic
 * |N(0, 1)| batches of each dataset's shape (the step's cost does not depend
 * on the values), scaled to the profile's steps and runs (seeds × folds),
 * plus each dataset's load and evaluation seconds per run taken from the
 * committed result records (`reports/results.json`), which are also the
 * baseline: their measured seconds per run × the profile's runs.
 *
 * One process times every step (one grid worker); the committed records were
 * measured with two workers on two cores. The estimate uses the process's CPU
 * time per step (what a worker with a core to itself spends; tfjs' wasm
 * backend computes on one thread), and the wall-time estimate is printed
 * beside it with the load average: wall time taken while other processes run
 * is noise.
 *
 * @module
 */
import { join } from "node:path";
import { existsSync } from "node:fs";
import { repoRoot } from "../lib/paths.ts";
import { initBackend } from "../lib/backend.ts";
import { timeSteps } from "./timing.ts";
import { STUDY_SHAPES, variantStep } from "./variants.ts";
import type { StepVariant, StudyShape } from "./variants.ts";

/** A dataset of the paper grid: its shape, steps, runs per variant and variants. */
interface GridDataset {
  name: "dreams" | "hapt" | "mitdb";
  shape: StudyShape["dataset"];
  steps: number;
  /** Seeds × folds. */
  runs: number;
  /** Grid variant → the timed step it costs (intended / m5 cost what the reference costs). */
  variants: Record<string, StepVariant>;
}

const FEATURE_PROJECTOR: Record<string, StepVariant> = {
  infonce: "infonce",
  "emargin-reference": "emargin-reference",
  "emargin-intended": "emargin-reference",
  "emargin-stable": "emargin-stable",
  "infonce+vrns": "infonce+vrns",
  "infonce+difficult": "infonce+difficult",
  ts2vec: "ts2vec",
  "ts2vec-reference": "ts2vec-reference",
};

const GRID: GridDataset[] = [
  { name: "dreams", shape: "SleepEEG", steps: 600, runs: 3 * 4, variants: FEATURE_PROJECTOR },
  { name: "hapt", shape: "HARTH", steps: 600, runs: 3, variants: FEATURE_PROJECTOR },
  {
    name: "mitdb",
    shape: "ECG",
    steps: 200,
    runs: 3,
    variants: { ...FEATURE_PROJECTOR, "emargin-reference-m5": "emargin-reference" },
  },
];

const WARMUP = 2;
const TIMED = 20;

interface RecordTimings {
  config: { dataset: string; variant: string };
  timings: { loadSeconds: number; trainSeconds: number; evalSeconds: number; totalSeconds: number };
  settings: { steps: number };
}

/** Mean of the committed records per `dataset/variant`: total s, train s per step, load+eval s. */
function recordMeans(): Map<string, { total: number; perStep: number; other: number }> {
  const file = join(repoRoot, "reports", "results.json");
  const means = new Map<string, { total: number; perStep: number; other: number }>();
  if (!existsSync(file)) return means;
  const { records } = JSON.parse(Deno.readTextFileSync(file)) as { records: RecordTimings[] };
  const groups = new Map<string, RecordTimings[]>();
  for (const r of records) {
    const key = `${r.config.dataset}/${r.config.variant}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rs] of groups) {
    const mean = (f: (r: RecordTimings) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
    means.set(key, {
      total: mean((r) => r.timings.totalSeconds),
      perStep: mean((r) => r.timings.trainSeconds / r.settings.steps),
      other: mean((r) => r.timings.loadSeconds + r.timings.evalSeconds),
    });
  }
  return means;
}

/** Mean CPU and wall seconds per step of one variant on one shape over {@linkcode TIMED} steps. */
async function secondsPerStep(
  shape: StudyShape,
  variant: StepVariant,
): Promise<{ cpu: number; wall: number }> {
  const { encoder, train } = variantStep(shape, variant);
  const { cpuMs, wallMs } = await timeSteps(shape, encoder, train, WARMUP, TIMED);
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length / 1000;
  return { cpu: mean(cpuMs), wall: mean(wallMs) };
}

/** One row per dataset × variant and a total row: estimated and baseline worker-hours. */
export async function benchGrid(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const backend = (await initBackend()).name;
  const loadBefore = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  const records = recordMeans();
  const timed = new Map<string, { cpu: number; wall: number }>();
  const rows: Record<string, unknown>[] = [];
  let estimate = 0, wallEstimate = 0, baseline = 0, baselineCovered = true;
  for (const dataset of GRID) {
    const shape = STUDY_SHAPES.find((s) => s.dataset === dataset.shape)!;
    for (const [variant, step] of Object.entries(dataset.variants)) {
      const key = `${dataset.shape}/${step}`;
      if (!timed.has(key)) {
        timed.set(key, await secondsPerStep(shape, step));
        const { cpu, wall } = timed.get(key)!;
        console.error(`grid: ${key} ${cpu.toFixed(3)} s/step CPU, ${wall.toFixed(3)} wall`);
      }
      const { cpu: perStep, wall } = timed.get(key)!;
      const record = records.get(`${dataset.name}/${variant}`);
      const runSeconds = dataset.steps * perStep + (record?.other ?? 0);
      estimate += dataset.runs * runSeconds;
      wallEstimate += dataset.runs * (dataset.steps * wall + (record?.other ?? 0));
      if (record) baseline += dataset.runs * record.total;
      else baselineCovered = false;
      rows.push({
        dataset: dataset.name,
        variant,
        timedAs: step === variant ? "" : step,
        runs: dataset.runs,
        sPerStep: perStep,
        wallSPerStep: wall,
        recordSPerStep: record?.perStep ?? null,
        speedup: record ? record.perStep / perStep : null,
        estimatedRunSeconds: runSeconds,
        recordRunSeconds: record?.total ?? null,
      });
    }
  }
  rows.push({
    dataset: "paper profile",
    variant: "all",
    runs: GRID.reduce((s, d) => s + d.runs * Object.keys(d.variants).length, 0),
    estimatedWorkerHours: estimate / 3600,
    wallEstimateHours: wallEstimate / 3600,
    baselineWorkerHours: baselineCovered ? baseline / 3600 : null,
    ratio: baselineCovered ? estimate / baseline : null,
  });
  const loadAfter = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  return {
    rows,
    notes: [
      `estimated paper-profile worker time: ${
        (estimate / 3600).toFixed(2)
      } h from CPU time per step, ${
        (wallEstimate / 3600).toFixed(2)
      } h from wall time (${backend}, one worker, ${WARMUP} + ${TIMED} steps per dataset × variant on synthetic batches of each dataset's shape)`,
      baselineCovered
        ? `baseline from the committed records (reports/results.json, two workers on two cores): ${
          (baseline / 3600).toFixed(2)
        } h; estimate / baseline = ${(estimate / baseline).toFixed(3)}`
        : "baseline: reports/results.json does not cover every dataset × variant",
      `load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}`,
    ],
  };
}

if (import.meta.main) {
  const { rows, notes } = await benchGrid();
  console.table(rows);
  for (const note of notes) console.log(note);
}
