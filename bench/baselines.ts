/**
 * What the paper's baselines cost in the study grid: 1 warm-up + 2 timed
 * training steps of every baseline (lib/baselines) on every paper shape
 * (bench/variants.ts), on synthetic |N(0, 1)| batches, scaled to the paper
 * profile's steps and runs (3 seeds × 4 folds per dataset). The estimate uses
 * CPU seconds per step (one grid worker), like `bench/grid.ts`; the wall
 * time is printed beside it with the load average.
 *
 * @module
 */
import { initBackend } from "../lib/backend.ts";
import { BASELINE_NAMES, BASELINES } from "../lib/baselines/mod.ts";
import { HYPER } from "../lib/experiments/mod.ts";
import { timeSteps } from "./timing.ts";
import { STUDY_SHAPES } from "./variants.ts";
import type { StudyShape } from "./variants.ts";

const WARMUP = 1;
const TIMED = 2;
/** Runs of each baseline per dataset in the paper profile. */
const RUNS = 3 * 4;

/** The study dataset each paper shape stands for, with its step count. */
const DATASET_OF: Record<StudyShape["dataset"], "dreams" | "hapt" | "mitdb"> = {
  SleepEEG: "dreams",
  HARTH: "hapt",
  ECG: "mitdb",
};

/** One row per shape × baseline and a total row. */
export async function benchBaselines(): Promise<
  { rows: Record<string, unknown>[]; notes: string[] }
> {
  const backend = (await initBackend()).name;
  const loadBefore = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  const rows: Record<string, unknown>[] = [];
  let total = 0;
  for (const shape of STUDY_SHAPES) {
    const dataset = DATASET_OF[shape.dataset];
    const steps = HYPER[dataset].iterations;
    for (const name of BASELINE_NAMES) {
      const spec = BASELINES[name];
      const encoder = spec.createEncoder({ inFeatures: shape.F, seed: 1, T: shape.T });
      const objective = spec.createObjective({ seed: 1, T: shape.T, paperConfig: shape.dataset });
      try {
        const { cpuMs, wallMs } = await timeSteps(shape, encoder, { objective }, WARMUP, TIMED);
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length / 1000;
        const sPerStep = mean(cpuMs);
        total += RUNS * steps * sPerStep;
        console.error(`baselines: ${shape.dataset}/${name} ${sPerStep.toFixed(2)} s/step CPU`);
        rows.push({
          dataset,
          baseline: name,
          sPerStep,
          wallSPerStep: mean(wallMs),
          steps,
          runs: RUNS,
          trainingHours: (RUNS * steps * sPerStep) / 3600,
        });
      } finally {
        spec.dispose?.();
      }
    }
  }
  rows.push({ dataset: "paper profile", baseline: "all", trainingHours: total / 3600 });
  const loadAfter = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  return {
    rows,
    notes: [
      `the baselines' training in the paper profile: ${
        (total / 3600).toFixed(1)
      } worker-hours (${backend}, one worker, ${WARMUP} + ${TIMED} steps per dataset × baseline, CPU time)`,
      `load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}`,
    ],
  };
}

if (import.meta.main) {
  const { rows, notes } = await benchBaselines();
  console.table(rows);
  for (const note of notes) console.log(note);
}
