/**
 * The paper profile's cost as one number: a short timed run (2 warm-up + 20
 * timed steps) of every dataset × variant of the paper grid on synthetic
 * |N(0, 1)| batches of each dataset's shape (the step's cost does not depend
 * on the values), scaled to the profile's steps and runs (seeds × folds).
 *
 * The baseline is frozen in `bench/grid_baseline.json`: the mean seconds per
 * run and training seconds per step of the 75 records committed before the
 * speed work, per dataset × variant, times the runs of the grid they were
 * measured for (147: DREAMS 3 seeds × 4 folds, HAPT and MIT-BIH 3 seeds).
 * Each run's load and evaluation seconds come from the committed records of
 * today's evaluation (`reports/results.json`) where they cover the dataset ×
 * variant, else from the baseline (the `evalFrom` column says which). The
 * training-only comparison (steps × seconds per step on both sides) is
 * printed beside the total, and the cross-validated grid (every dataset
 * 3 seeds × 4 folds) is estimated too.
 *
 * One process times every step (one grid worker); the baseline records were
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

/** Means of a group of records: total s per run, train s per step, load + eval s per run. */
interface RecordMeans {
  totalSeconds: number;
  trainSecondsPerStep: number;
  otherSeconds: number;
}

/** The frozen baseline (see the module doc), per `dataset/variant`. */
function baselineMeans(): { source: string; means: Map<string, RecordMeans> } {
  const file = join(repoRoot, "bench", "grid_baseline.json");
  const { source, means } = JSON.parse(Deno.readTextFileSync(file)) as {
    source: string;
    means: Record<string, RecordMeans>;
  };
  return { source, means: new Map(Object.entries(means)) };
}

/** Means of the committed records (today's evaluation) per `dataset/variant`. */
function recordMeans(): Map<string, RecordMeans> {
  const file = join(repoRoot, "reports", "results.json");
  const means = new Map<string, RecordMeans>();
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
      totalSeconds: mean((r) => r.timings.totalSeconds),
      trainSecondsPerStep: mean((r) => r.timings.trainSeconds / Math.max(1, r.settings.steps)),
      otherSeconds: mean((r) => r.timings.loadSeconds + r.timings.evalSeconds),
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

/** Runs per variant in the cross-validated paper grid (3 seeds × 4 folds on every dataset). */
const CROSS_VALIDATED_RUNS = 3 * 4;

const hours = (seconds: number) => (seconds / 3600).toFixed(2);

/** One row per dataset × variant and total rows: estimated and baseline worker-hours. */
export async function benchGrid(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const backend = (await initBackend()).name;
  const loadBefore = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  const baseline = baselineMeans();
  const today = recordMeans();
  const timed = new Map<string, { cpu: number; wall: number }>();
  const rows: Record<string, unknown>[] = [];
  const sum = { estimate: 0, wall: 0, train: 0, base: 0, baseTrain: 0, crossValidated: 0 };
  let covered = true;
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
      const base = baseline.means.get(`${dataset.name}/${variant}`);
      const current = today.get(`${dataset.name}/${variant}`);
      const other = current?.otherSeconds ?? base?.otherSeconds ?? 0;
      const runSeconds = dataset.steps * perStep + other;
      sum.estimate += dataset.runs * runSeconds;
      sum.wall += dataset.runs * (dataset.steps * wall + other);
      sum.train += dataset.runs * dataset.steps * perStep;
      sum.crossValidated += CROSS_VALIDATED_RUNS * runSeconds;
      if (base) {
        sum.base += dataset.runs * base.totalSeconds;
        sum.baseTrain += dataset.runs * dataset.steps * base.trainSecondsPerStep;
      } else covered = false;
      rows.push({
        dataset: dataset.name,
        variant,
        timedAs: step === variant ? "" : step,
        runs: dataset.runs,
        sPerStep: perStep,
        wallSPerStep: wall,
        baselineSPerStep: base?.trainSecondsPerStep ?? null,
        speedup: base ? base.trainSecondsPerStep / perStep : null,
        evalFrom: current ? "today" : base ? "baseline" : "none",
        estimatedRunSeconds: runSeconds,
        baselineRunSeconds: base?.totalSeconds ?? null,
      });
    }
  }
  const runs = GRID.reduce((s, d) => s + d.runs * Object.keys(d.variants).length, 0);
  rows.push({
    dataset: "paper profile",
    variant: "all",
    runs,
    estimatedWorkerHours: sum.estimate / 3600,
    wallEstimateHours: sum.wall / 3600,
    baselineWorkerHours: covered ? sum.base / 3600 : null,
    ratio: covered ? sum.estimate / sum.base : null,
  });
  rows.push({
    dataset: "paper profile",
    variant: "training only",
    runs,
    estimatedWorkerHours: sum.train / 3600,
    baselineWorkerHours: covered ? sum.baseTrain / 3600 : null,
    ratio: covered ? sum.train / sum.baseTrain : null,
  });
  const cvRuns = GRID.reduce(
    (s, d) => s + CROSS_VALIDATED_RUNS * Object.keys(d.variants).length,
    0,
  );
  rows.push({
    dataset: "cross-validated",
    variant: "all",
    runs: cvRuns,
    estimatedWorkerHours: sum.crossValidated / 3600,
  });
  const loadAfter = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  return {
    rows,
    notes: [
      `estimated paper-profile worker time (${runs} runs): ${
        hours(sum.estimate)
      } h from CPU time per step, ${
        hours(sum.wall)
      } h from wall time (${backend}, one worker, ${WARMUP} + ${TIMED} steps per dataset × variant on synthetic batches of each dataset's shape); training alone ${
        hours(sum.train)
      } h`,
      covered
        ? `baseline (${baseline.source}): ${hours(sum.base)} h in all, ${
          hours(sum.baseTrain)
        } h training; estimate / baseline = ${(sum.estimate / sum.base).toFixed(3)} in all, ${
          (sum.train / sum.baseTrain).toFixed(3)
        } training`
        : "baseline: bench/grid_baseline.json does not cover every dataset × variant",
      `cross-validated grid (${cvRuns} runs, 3 seeds × 4 folds everywhere): ${
        hours(sum.crossValidated)
      } h`,
      `load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}`,
    ],
  };
}

if (import.meta.main) {
  const { rows, notes } = await benchGrid();
  console.table(rows);
  for (const note of notes) console.log(note);
}
