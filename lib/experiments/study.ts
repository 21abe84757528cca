/**
 * Runs the study grid: cached results are reused, missing ones are computed
 * in a pool of Deno workers (one per core), with progress per run.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { initBackend } from "../backend.ts";
import { EmarginError } from "../errors.ts";
import type { ResultRecord, RunConfig } from "./record.ts";
import { VARIANT_TABLE } from "./config.ts";
import type { StudyDataset, StudyProfile } from "./config.ts";
import { availableDatasets, studyGrid } from "./grid.ts";
import { summarise } from "./summary.ts";
import type { SummaryRow } from "./summary.ts";
import { runExperiment } from "./run_experiment.ts";
import {
  isRejected,
  readCachedResultChecked,
  resultKey,
  resultsDir,
  writeCachedResult,
} from "./result_cache.ts";
import type { RejectedRecord } from "./result_cache.ts";
import { loadStudyDataset } from "./run_experiment.ts";

/** Progress of the study: one event per finished run and per training step. */
export type StudyProgress =
  | { kind: "cached"; done: number; total: number; config: RunConfig }
  | { kind: "rejected"; done: number; total: number; config: RunConfig; reason: string }
  | {
    kind: "step";
    done: number;
    total: number;
    config: RunConfig;
    step: number;
    steps: number;
    itPerSec: number;
    etaSeconds: number;
  }
  | { kind: "finished"; done: number; total: number; config: RunConfig; seconds: number }
  | { kind: "failed"; done: number; total: number; config: RunConfig; error: string };

/** Options of {@linkcode runStudy}. */
export interface RunStudyOptions {
  /** Recompute even when a cached record exists. */
  refresh?: boolean;
  /** Worker count; 0 runs in this thread. Default: number of cores (at most the run count). */
  workers?: number;
  /** Results folder (default `<cacheDir>/results`). */
  resultsDir?: string;
  /** Only read the cache: runs without a record are reported as not computed. */
  cachedOnly?: boolean;
  onProgress?: (p: StudyProgress) => void;
}

/** The error of a run that `cachedOnly` skipped because it has no cached record. */
export const NOT_COMPUTED = "not computed (no cached record; --cached-only)";

/** Whether a study failure is a run skipped by `cachedOnly` rather than one that failed. */
export function isNotComputed(failure: { error: string }): boolean {
  return failure.error === NOT_COMPUTED;
}

/** A run that failed (it is reported, and the other runs go on). */
export class StudyRunError extends EmarginError {}

/** The fingerprint of a run's data, to find its cached record without training. */
async function keyOf(config: RunConfig, fingerprints: Map<string, string>): Promise<string> {
  const normalisation = VARIANT_TABLE[config.variant].normalisation;
  const id =
    `${config.dataset}|${config.profile}|${config.fold}|${config.dataDir}|${normalisation}`;
  let fp = fingerprints.get(id);
  if (fp === undefined) {
    const data = await loadStudyDataset(
      config.dataset,
      config.profile,
      config.fold,
      config.dataDir,
      normalisation,
    );
    fp = data.meta.fingerprint;
    fingerprints.set(id, fp);
  }
  return resultKey(config, fp);
}

/** What {@linkcode runStudy} returns. */
export interface StudyRuns {
  records: ResultRecord[];
  failures: { config: RunConfig; error: string }[];
  rejected: (RejectedRecord & { config: RunConfig })[];
}

/** The study as it runs: results by grid index, the count of finished runs, the failures. */
interface StudyState {
  runs: RunConfig[];
  options: RunStudyOptions;
  /** Results folder. */
  dir: string;
  total: number;
  /** Runs finished so far (cached, computed, failed or skipped). */
  done: number;
  records: (ResultRecord | null)[];
  failures: { config: RunConfig; error: string }[];
  rejected: (RejectedRecord & { config: RunConfig })[];
}

type FinishRun = (
  i: number,
  rec: ResultRecord | null,
  error: string | null,
  seconds: number,
) => Promise<void>;

/**
 * Reads the cached record of every run (unless `refresh`), reporting
 * rejected records and, with `cachedOnly`, the runs without one; returns the
 * grid indices left to compute.
 */
async function readCached(state: StudyState): Promise<number[]> {
  const { runs, options, dir, total } = state;
  const fingerprints = new Map<string, string>();
  const todo: number[] = [];
  for (let i = 0; i < total; i++) {
    let cached = options.refresh
      ? null
      : await readCachedResultChecked(await keyOf(runs[i], fingerprints), dir);
    if (isRejected(cached)) {
      state.rejected.push({ ...cached, config: runs[i] });
      options.onProgress?.({
        kind: "rejected",
        done: state.done,
        total,
        config: runs[i],
        reason: cached.reason,
      });
      cached = null;
    }
    if (cached) {
      state.records[i] = cached;
      options.onProgress?.({ kind: "cached", done: ++state.done, total, config: runs[i] });
    } else if (options.cachedOnly) {
      const error = NOT_COMPUTED;
      state.failures.push({ config: runs[i], error });
      options.onProgress?.({ kind: "failed", done: ++state.done, total, config: runs[i], error });
    } else todo.push(i);
  }
  return todo;
}

/** Records (and caches) run `i`'s result, or its failure, and reports it. */
async function finishRun(
  state: StudyState,
  i: number,
  rec: ResultRecord | null,
  error: string | null,
  seconds: number,
): Promise<void> {
  const { runs, options, total } = state;
  if (rec) {
    state.records[i] = rec;
    await writeCachedResult(rec, state.dir);
    options.onProgress?.({ kind: "finished", done: ++state.done, total, config: runs[i], seconds });
  } else {
    state.failures.push({ config: runs[i], error: error ?? "unknown error" });
    options.onProgress?.({
      kind: "failed",
      done: ++state.done,
      total,
      config: runs[i],
      error: error ?? "",
    });
  }
}

/** Computes the runs `todo` one after another in this thread. */
async function runInThread(state: StudyState, todo: number[], finish: FinishRun): Promise<void> {
  const { runs, options, total } = state;
  const backend = await initBackend();
  for (const i of todo) {
    const t = performance.now();
    try {
      const rec = await runExperiment({
        ...runs[i],
        backend,
        onStep: (p) =>
          options.onProgress?.({ kind: "step", done: state.done, total, config: runs[i], ...p }),
      });
      await finish(i, rec, null, (performance.now() - t) / 1000);
    } catch (err) {
      await finish(
        i,
        null,
        err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        0,
      );
    }
  }
}

/**
 * Runs every config (cached ones are read back) and returns the records in
 * grid order; failed runs are reported through `onProgress` and left out.
 */
export async function runStudy(
  runs: RunConfig[],
  options: RunStudyOptions = {},
): Promise<StudyRuns> {
  const total = runs.length;
  const state: StudyState = {
    runs,
    options,
    dir: options.resultsDir ?? resultsDir(),
    total,
    done: 0,
    records: new Array(total).fill(null),
    failures: [],
    rejected: [],
  };
  const todo = await readCached(state);
  const finish: FinishRun = (i, rec, error, seconds) => finishRun(state, i, rec, error, seconds);
  const workers = Math.min(options.workers ?? availableParallelism(), todo.length);
  if (workers <= 0) await runInThread(state, todo, finish);
  else await runInPool(todo, workers, runs, state.done, total, options, finish);
  const records = state.records.filter((r): r is ResultRecord => r !== null);
  return { records, failures: state.failures, rejected: state.rejected };
}

async function runInPool(
  todo: number[],
  workers: number,
  runs: RunConfig[],
  doneBefore: number,
  total: number,
  options: RunStudyOptions,
  finish: FinishRun,
): Promise<void> {
  const queue = [...todo];
  let done = doneBefore;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      let current = -1, started = 0;
      const next = () => {
        const i = queue.shift();
        if (i === undefined) {
          // The worker closes itself and tells us once its backend is released:
          // terminating a worker that holds a wasm heap while the process exits
          // can crash the runtime (exit 139).
          worker.onmessage = (e: MessageEvent) => {
            if ((e.data as { closed?: boolean }).closed) resolve();
          };
          worker.postMessage({ close: true });
          return;
        }
        current = i;
        started = performance.now();
        worker.postMessage({ id: i, config: runs[i] });
      };
      worker.onmessage = async (e: MessageEvent) => {
        const msg = e.data as {
          id: number;
          progress?: { step: number; steps: number; itPerSec: number; etaSeconds: number };
          record?: ResultRecord;
          error?: string;
        };
        if (msg.progress) {
          options.onProgress?.({
            kind: "step",
            done,
            total,
            config: runs[msg.id],
            ...msg.progress,
          });
          return;
        }
        done++;
        await finish(
          msg.id,
          msg.record ?? null,
          msg.error ?? null,
          (performance.now() - started) / 1000,
        );
        next();
      };
      worker.onerror = async (e: ErrorEvent) => {
        e.preventDefault();
        done++;
        await finish(current, null, `worker crashed: ${e.message}`, 0);
        worker.terminate();
        // the crashed worker's remaining share goes to a fresh worker
        one().then(resolve);
      };
      next();
    });
  await Promise.all(Array.from({ length: workers }, one));
}

/** A one-line description of a run, e.g. "hapt · emargin-stable · seed 1 · fold 0". */
export function describeRun(c: RunConfig): string {
  return `${c.dataset} · ${c.variant} · seed ${c.seed} · fold ${c.fold}`;
}

/** Formats study progress as one line (for a TTY status line or a log). */
export function formatProgress(p: StudyProgress): string {
  const head = `[${p.done}/${p.total}] ${describeRun(p.config)}`;
  switch (p.kind) {
    case "cached":
      return `${head}: cached`;
    case "rejected":
      return `${head}: cached record rejected (${p.reason}); recomputing`;
    case "step":
      return `${head}: step ${p.step}/${p.steps}, ${p.itPerSec.toFixed(2)} it/s, ETA ${
        Math.ceil(p.etaSeconds)
      } s`;
    case "finished":
      return `${head}: done in ${p.seconds.toFixed(1)} s`;
    case "failed":
      return `${head}: FAILED ${p.error}`;
  }
}

/** Options of {@linkcode loadStudy}. */
export interface LoadStudyOptions {
  profile: StudyProfile;
  /** Data directory; "" or null → the synthetic dataset only. */
  dataDir?: string | null;
  /** Restrict to these datasets (default: every one found in dataDir). */
  datasets?: StudyDataset[];
  resultsDir?: string;
  /** Worker count for runs not in the cache (0 = this thread). */
  workers?: number;
  /** Only read the cache (runs without a record are listed in `failures`). */
  cachedOnly?: boolean;
  onProgress?: (p: StudyProgress) => void;
}

/** What the notebooks work from: the grid's records and their summary. */
export interface Study {
  profile: StudyProfile;
  dataDir: string | null;
  datasets: StudyDataset[];
  records: ResultRecord[];
  failures: { config: RunConfig; error: string }[];
  /** Cached records that failed validation and were recomputed (or are missing with cachedOnly). */
  rejected: (RejectedRecord & { config: RunConfig })[];
  summary: SummaryRow[];
}

/**
 * The study's records for a profile and data directory: read from the cache,
 * computing (and caching) any that are missing. With no real dataset in
 * `dataDir` the synthetic dataset stands in.
 */
export async function loadStudy(options: LoadStudyOptions): Promise<Study> {
  const dataDir = options.dataDir ? options.dataDir : null;
  const found = options.datasets ?? availableDatasets(dataDir);
  const datasets: StudyDataset[] = found.length ? found : ["synthetic"];
  const runs = studyGrid(datasets, options.profile, dataDir);
  const { records, failures, rejected } = await runStudy(runs, {
    workers: options.workers ?? 0,
    resultsDir: options.resultsDir,
    cachedOnly: options.cachedOnly,
    onProgress: options.onProgress,
  });
  return {
    profile: options.profile,
    dataDir,
    datasets,
    records,
    failures,
    rejected,
    summary: summarise(records),
  };
}
