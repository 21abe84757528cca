/**
 * Headless execution of a notebook on the Deno Jupyter kernel, cell by cell
 * (`run_cell.ts`: outputs, the end-of-cell marker, the output limit).
 *
 * Timeouts: a cell's `metadata.emargin.timeout` (seconds) wins, then
 * `options.timeoutSeconds` (the CLI's `--timeout`), then the notebook's
 * `metadata.emargin.timeout`, then {@link DEFAULT_TIMEOUT_SECONDS}. A cell that
 * runs past it is interrupted; a kernel that does not answer within the grace
 * period is killed. The run stops at the first failing, timed-out or fatal
 * cell; later cells are left unexecuted (no outputs, `execution_count: null`).
 *
 * Output: each cell keeps at most `options.maxOutputBytes`
 * ({@link DEFAULT_MAX_OUTPUT_BYTES}, 4 MiB) of output; the rest is dropped as
 * it arrives, the cell ends with a note saying so, and the run goes on.
 *
 * The kernel's lifetime is the run's: in every case the kernel process has
 * exited and its connection folder is gone when {@link runNotebook} returns.
 * While it runs, SIGINT, SIGTERM or SIGHUP stop it (interrupt, shutdown request,
 * SIGTERM, SIGKILL) and end the process (`lifetime.ts`), and its watchdog
 * ends it if this process dies otherwise (`kernel_process.ts`).
 *
 * Cells are numbered from 1 wherever a person reads them — the progress line
 * and every message; `RunResult.failedCell` and the notebook's
 * `metadata.emargin.run.failed_cell` are indexes into `cells`, from 0.
 *
 * Output written by a timer or promise that outlives its cell is attributed by
 * the kernel to whichever request is running when it is sent: to the cell
 * when it comes before the cell's end marker (see `run_cell.ts`), else to a
 * later cell.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { ICodeCell, INotebookContent } from "@jupyterlab/nbformat";
import { writeJsonAtomic } from "../io.ts";
import { OptionError } from "../errors.ts";
import { KernelError } from "./errors.ts";
import { connectKernel, type InterruptMode, type KernelClient } from "./kernel_client.ts";
import { type KernelProcess, startKernelProcess } from "./kernel_process.ts";
import { KERNELSPEC_METADATA } from "./kernelspec.ts";
import { KERNEL_PRELUDE } from "./kernel_prelude.ts";
import { exitingOnSignal, holdKernel } from "./lifetime.ts";
import { assertNotebook, cellSource, normaliseNotebook, readNotebook } from "./nbformat.ts";
import { DEFAULT_MAX_OUTPUT_BYTES } from "./outputs.ts";
import { injectParameters, type Parameters } from "./parameters.ts";
import type { ProgressEvent, RunStatus } from "./progress.ts";
import { describeExit, emarginMetadata, runCell, waitFor } from "./run_cell.ts";

/** Per-cell timeout when neither the cell, the caller nor the notebook sets one. */
export const DEFAULT_TIMEOUT_SECONDS = 600;

/** Options of {@link runNotebook}. */
export interface RunOptions {
  /** Where to write the executed notebook (atomically); nothing is written when absent. */
  outPath?: string;
  /** Parameter values injected after the `parameters` cell (see `parameters.ts`). */
  params?: Parameters;
  /** Per-cell timeout in seconds (overridden by a cell's `metadata.emargin.timeout`). */
  timeoutSeconds?: number;
  /** Seconds to wait after an interrupt before killing the kernel (default 3). */
  graceSeconds?: number;
  /** Seconds to wait for the kernel to start answering (default 60). */
  startupTimeoutSeconds?: number;
  /** The kernel's working directory (default: the notebook's folder, else the current one). */
  cwd?: string;
  /** Name used in progress events (default: the file name). */
  label?: string;
  /** Receives progress events. */
  onProgress?: (event: ProgressEvent) => void;
  /**
   * How a timed-out cell is interrupted: `"message"` (default: `interrupt_request`
   * on control) or `"signal"` (SIGINT, which ends the Deno kernel).
   */
  interruptMode?: InterruptMode;
  /**
   * Bytes of output kept per cell (default {@link DEFAULT_MAX_OUTPUT_BYTES});
   * the rest is dropped as it arrives and the cell ends with a note.
   */
  maxOutputBytes?: number;
}

/** The result of {@link runNotebook}. */
export interface RunResult {
  /** The executed notebook (nbformat 4.5). */
  notebook: INotebookContent;
  status: RunStatus;
  /** Index (in `notebook.cells`) of the cell that failed, timed out or killed the kernel. */
  failedCell?: number;
  /** What went wrong, in one line, when `status` is not `"ok"`. */
  message?: string;
  /** Wall-clock seconds of the whole run, kernel start and stop included. */
  seconds: number;
  /**
   * Where the time went, in seconds: `start` (spawn until the kernel answers on
   * shell and iopub), `cells` (all cells, marker flushes included), `stop`
   * (shutdown until the process has exited).
   */
  phases: { start: number; cells: number; stop: number };
  /** Process id the kernel had (it has exited by now). */
  kernelPid: number;
}

function positiveNumber(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The notebook to execute (outputs cleared, parameters injected) and its settings. */
async function prepare(input: string | INotebookContent, options: RunOptions) {
  const maxOutputBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (!(maxOutputBytes > 0)) {
    throw new OptionError(
      `runNotebook: maxOutputBytes: expected a positive number of bytes, found ${maxOutputBytes}`,
    );
  }
  const label = options.label ?? (typeof input === "string" ? basename(input) : "notebook");
  const parsed = typeof input === "string"
    ? await readNotebook(input)
    : assertNotebook(structuredClone(input), label, { requireIds: false });
  const notebook = injectParameters(normaliseNotebook(parsed), options.params ?? {});
  for (const cell of notebook.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
  }
  const notebookMeta = emarginMetadata(notebook.metadata);
  return {
    notebook,
    label,
    notebookMeta,
    maxOutputBytes,
    defaultTimeout: positiveNumber(options.timeoutSeconds) ??
      positiveNumber(notebookMeta.timeout) ?? DEFAULT_TIMEOUT_SECONDS,
    cwd: options.cwd ?? (typeof input === "string" ? dirname(resolve(input)) : Deno.cwd()),
  };
}

/**
 * Connects to the kernel, waits until it answers, runs the prelude
 * (`kernel_prelude.ts`) and copies the kernel's `language_info`.
 */
async function connect(
  kernel: KernelProcess,
  notebook: INotebookContent,
  options: RunOptions,
): Promise<KernelClient> {
  const client = await connectKernel(kernel.connection, {
    interruptMode: options.interruptMode ?? "message",
    sendInterruptSignal: () => kernel.signal("SIGINT"),
  });
  const startupMs = (options.startupTimeoutSeconds ?? 60) * 1000;
  const info = await waitFor(client.ready(startupMs), kernel, startupMs + 1000);
  if (info.kind !== "value") {
    client.close();
    throw new KernelError(
      info.kind === "exit"
        ? `the kernel exited during start-up (${describeExit(info.status)}): ${kernel.outputTail()}`
        : "the kernel did not start in time",
    );
  }
  const prelude = client.execute(KERNEL_PRELUDE, { silent: true, storeHistory: false });
  const prepared = await waitFor(prelude.reply, kernel, startupMs);
  if (prepared.kind !== "value" || prepared.value.content.status !== "ok") {
    client.close();
    throw new KernelError(
      prepared.kind === "exit"
        ? `the kernel exited while running the prelude (${describeExit(prepared.status)})`
        : prepared.kind === "timeout"
        ? "the kernel did not run the prelude in time"
        : `the kernel's prelude failed: ${prepared.value.content.evalue ?? ""}`,
    );
  }
  const languageInfo = info.value.content.language_info;
  if (languageInfo !== null && typeof languageInfo === "object") {
    notebook.metadata.language_info = languageInfo as INotebookContent["metadata"]["language_info"];
  }
  return client;
}

/**
 * The one way a run's kernel ends, whoever asks first (the run, or a signal
 * through `lifetime.ts`): orderly — interrupt a running cell, `shutdown_request`,
 * then SIGTERM and SIGKILL (`kernel.stop`) — or, for a kernel known to be
 * hung, SIGKILL at once.
 */
function kernelStopper(kernel: KernelProcess, session: { client?: KernelClient; busy: boolean }) {
  let stopping: Promise<void> | undefined;
  return (orderly: boolean): Promise<void> =>
    stopping ??= (async () => {
      const { client } = session;
      if (orderly && kernel.alive() && client) {
        if (session.busy) await client.interrupt();
        await client.shutdown(1000);
      } else if (!orderly) kernel.signal("SIGKILL");
      client?.close();
      await kernel.stop(1000);
    })();
}

interface CellsOutcome {
  status: RunStatus;
  failedCell?: number;
  message?: string;
}

/** Runs the code cells in order, stopping at the first that does not end `ok`. */
async function runCells(
  notebook: INotebookContent,
  session: { client?: KernelClient; busy: boolean },
  kernel: KernelProcess,
  settings: { label: string; defaultTimeout: number; graceMs: number; maxOutputBytes: number },
  emit: (event: ProgressEvent) => void,
): Promise<CellsOutcome> {
  const { label } = settings;
  const cellCount = notebook.cells.length;
  for (const [index, cell] of notebook.cells.entries()) {
    if (cell.cell_type !== "code" || cellSource(cell).trim() === "" || !session.client) continue;
    const code = cell as ICodeCell;
    emit({ kind: "cell-start", notebook: label, cellIndex: index, cellCount });
    const t = performance.now();
    session.busy = true;
    const outcome = await runCell({
      client: session.client,
      kernel,
      cell: code,
      number: index + 1,
      timeoutSeconds: positiveNumber(emarginMetadata(code.metadata).timeout) ??
        settings.defaultTimeout,
      graceMs: settings.graceMs,
      maxOutputBytes: settings.maxOutputBytes,
    });
    session.busy = false;
    const seconds = (performance.now() - t) / 1000;
    emit({ kind: "cell-end", notebook: label, cellIndex: index, cellCount, seconds, ...outcome });
    if (outcome.status !== "ok") return { ...outcome, failedCell: index };
  }
  return { status: "ok" };
}

/**
 * Executes a notebook (a path or its parsed JSON) on a fresh Deno kernel.
 *
 * @example Needs a Deno Jupyter kernel: type-checked by `deno task test:doc`, not run
 * ```ts
 * import { runNotebook } from "./run_notebook.ts";
 *
 * const { status, message } = await runNotebook("notebooks/01-data.ipynb", {
 *   outPath: "reports/01-data.ipynb",
 *   maxOutputBytes: 8 * 1024 * 1024,
 * });
 * if (status !== "ok") console.error(message); // e.g. "cell 3: RangeError: …"
 * ```
 * @returns the executed notebook and `status`: `"ok"`, `"error"` (a cell raised),
 * `"timeout"` (a cell ran past its timeout) or `"dead"` (the kernel exited or
 * stopped answering).
 * @throws NotebookFormatError for an invalid notebook, ParameterError for
 * unknown or `const` parameters, OptionError for a `maxOutputBytes` that is not
 * positive, KernelError when the kernel cannot be started.
 */
export async function runNotebook(
  input: string | INotebookContent,
  options: RunOptions = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const startTime = new Date().toISOString();
  const settings = {
    ...await prepare(input, options),
    graceMs: (options.graceSeconds ?? 3) * 1000,
  };
  const { notebook, label } = settings;
  // Nothing more is reported once a signal is ending the process.
  const emit = (event: ProgressEvent) => exitingOnSignal() || options.onProgress?.(event);

  const phases = { start: 0, cells: 0, stop: 0 };
  const tStart = performance.now();
  const kernel = await startKernelProcess({ cwd: settings.cwd });
  const session: { client?: KernelClient; busy: boolean } = { busy: false };
  const stopKernel = kernelStopper(kernel, session);
  const release = holdKernel({ stop: () => stopKernel(true), kill: kernel.kill });
  let outcome: CellsOutcome = { status: "ok" };
  try {
    session.client = await connect(kernel, notebook, options);
    emit({ kind: "start", notebook: label, cellCount: notebook.cells.length });
    const tCells = performance.now();
    phases.start = (tCells - tStart) / 1000;
    outcome = await runCells(notebook, session, kernel, settings, emit);
    phases.cells = (performance.now() - tCells) / 1000;
  } finally {
    const tStop = performance.now();
    await stopKernel(kernel.alive() && (outcome.status === "ok" || outcome.status === "error"));
    release();
    phases.stop = (performance.now() - tStop) / 1000;
    // The signal handler exits the process: write nothing half-way.
    if (exitingOnSignal()) await new Promise<never>(() => {});
  }
  const { status, failedCell, message } = outcome;
  const seconds = (performance.now() - t0) / 1000;
  notebook.metadata.kernelspec ??= KERNELSPEC_METADATA;
  notebook.metadata.emargin = {
    ...settings.notebookMeta,
    run: {
      status,
      start_time: startTime,
      end_time: new Date().toISOString(),
      seconds,
      ...(failedCell === undefined ? {} : { failed_cell: failedCell }),
      parameters: options.params ?? {},
    },
  };
  assertNotebook(notebook, label, { requireIds: true });
  if (options.outPath) await writeJsonAtomic(options.outPath, notebook);
  emit({ kind: "end", notebook: label, status, seconds });
  return { notebook, status, failedCell, message, seconds, phases, kernelPid: kernel.pid };
}
