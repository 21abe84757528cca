/**
 * Worker entry: runs experiments posted by {@linkcode runStudy}'s pool.
 *
 * Message in: `{ id, config }`; messages out: `{ id, progress }` per step,
 * then `{ id, record }` or `{ id, error }`. Message in `{ close: true }`: the
 * worker releases its backend, answers `{ closed: true }` and closes itself.
 *
 * @module
 */
import { initBackend } from "../backend.ts";
import { tf } from "../tf.ts";
import { runExperiment } from "./run_experiment.ts";
import type { RunConfig } from "./record.ts";

/** The parts of the worker global scope used here (the module is type-checked with the window lib). */
interface WorkerScope {
  onmessage: ((e: MessageEvent<Message>) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/** A run to do, or the request to close. */
type Message = { id: number; config: RunConfig; close?: undefined } | { close: true };

const scope = self as unknown as WorkerScope;
const backend = initBackend();

scope.onmessage = async (e: MessageEvent<Message>) => {
  if (e.data.close) {
    await backend;
    tf.engine().reset();
    scope.postMessage({ closed: true });
    scope.close();
    return;
  }
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
