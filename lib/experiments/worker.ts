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

/** The parts of the worker global scope used here (the module is type-checked with the window lib). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<{ id: number; config: RunConfig }>) => void) | null;
  postMessage(message: unknown): void;
}

const scope = self as unknown as WorkerScope;
const backend = initBackend();

scope.onmessage = async (e: MessageEvent<{ id: number; config: RunConfig }>) => {
  const { id, config } = e.data;
  try {
    const record = await runExperiment({
      ...config,
      backend: await backend,
      onStep: (progress) => scope.postMessage({ id, progress }),
    });
    scope.postMessage({ id, record });
  } catch (err) {
    const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    scope.postMessage({ id, error });
  }
};
