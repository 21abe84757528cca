/**
 * Worker entry: runs experiments posted by {@linkcode runStudy}'s pool.
 *
 * Message in: `{ id, config }`; messages out: `{ id, progress }` per step,
 * then `{ id, record }` or `{ id, error }`.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import { runExperiment } from "./run_experiment.ts";
import type { RunConfig } from "./record.ts";

/// <reference lib="deno.worker" />

const backend = initBackend();

self.onmessage = async (e: MessageEvent<{ id: number; config: RunConfig }>) => {
  const { id, config } = e.data;
  try {
    const record = await runExperiment({
      ...config,
      backend: await backend,
      onStep: (progress) => self.postMessage({ id, progress }),
    });
    self.postMessage({ id, record });
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    self.postMessage({ id, error });
  }
};
