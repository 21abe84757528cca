/**
 * Headless execution of a notebook on the Deno Jupyter kernel.
 *
 * Each code cell is sent as an `execute_request`; its outputs are the iopub
 * messages whose `parent_header.msg_id` is the request's. The Deno kernel may
 * publish a cell's `status: idle` before its last output, so idle is not taken
 * as the end of a cell: after the `execute_reply`, a silent request prints a
 * unique marker, and the cell ends when that marker arrives on iopub (iopub is
 * one ordered stream, so every earlier output has arrived by then).
 *
 * Timeouts: a cell's `metadata.emargin.timeout` (seconds) wins, then
 * `options.timeoutSeconds` (the CLI's `--timeout`), then the notebook's
 * `metadata.emargin.timeout`, then {@link DEFAULT_TIMEOUT_SECONDS}. A cell that
 * runs past it is interrupted; a kernel that does not answer within the grace
 * period is killed. The run stops at the first failing, timed-out or fatal
 * cell; later cells are left unexecuted (no outputs, `execution_count: null`).
 * In every case the kernel process has exited when {@link runNotebook} returns.
 *
 * Output written by a timer or promise that outlives its cell is attributed by
 * the kernel to whichever request is running when it appears, so it is not
 * part of the cell that started it.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { ICodeCell, IError, INotebookContent } from "@jupyterlab/nbformat";
import { writeJsonAtomic } from "../io.ts";
import { KernelError } from "./errors.ts";
import {
  connectKernel,
  type ExecuteReply,
  type InterruptMode,
  type KernelClient,
} from "./kernel_client.ts";
import { type KernelProcess, startKernelProcess } from "./kernel_process.ts";
import { KERNELSPEC_METADATA } from "./kernelspec.ts";
import {
  assertNotebook,
  cellSource,
  createOutputCollector,
  normaliseNotebook,
  readNotebook,
} from "./nbformat.ts";
import { injectParameters, type Parameters } from "./parameters.ts";
import type { ProgressEvent, RunStatus } from "./progress.ts";
import type { Message } from "./protocol.ts";

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

type Outcome<T> =
  | { kind: "value"; value: T }
  | { kind: "exit"; status: Deno.CommandStatus }
  | { kind: "timeout" };

/** Waits for `promise`, the kernel's exit, or `ms`, whichever comes first. */
async function waitFor<T>(
  promise: Promise<T>,
  kernel: KernelProcess,
  ms: number,
): Promise<Outcome<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<Outcome<T>>((r) =>
    timer = setTimeout(() => r({ kind: "timeout" }), ms)
  );
  try {
    return await Promise.race([
      promise.then((value): Outcome<T> => ({ kind: "value", value })),
      kernel.exited.then((status): Outcome<T> => ({ kind: "exit", status })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function positiveNumber(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : undefined;
}

function emarginMetadata(metadata: unknown): Record<string, unknown> {
  const m = (metadata as { emargin?: unknown } | undefined)?.emargin;
  return m !== null && typeof m === "object" && !Array.isArray(m)
    ? m as Record<string, unknown>
    : {};
}

function errorOutput(ename: string, evalue: string, extra: string[] = []): IError {
  return { output_type: "error", ename, evalue, traceback: [`${ename}: ${evalue}`, ...extra] };
}

function describeExit(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}

interface CellOutcome {
  status: RunStatus;
  message?: string;
}

/** Runs one code cell and fills its outputs, `execution_count` and timing metadata. */
async function runCell(
  client: KernelClient,
  kernel: KernelProcess,
  cell: ICodeCell,
  index: number,
  timeoutSeconds: number,
  graceMs: number,
): Promise<CellOutcome> {
  const collector = createOutputCollector();
  const timing: Record<string, string> = {};
  const marker = `emargin-cell-done-${crypto.randomUUID()}`;
  let count: number | null | undefined;
  let cellId = "";
  let markerId = "";
  let markerSeen: () => void = () => {};
  const markerArrived = new Promise<void>((r) => markerSeen = r);
  const unsubscribe = client.onIOPub((message: Message) => {
    const parent = message.parent_header.msg_id;
    const type = message.header.msg_type;
    if (parent === cellId) {
      // The kernel's own timestamps, as nbclient records them.
      const now = message.header.date || new Date().toISOString();
      if (type === "status") {
        const state = message.content.execution_state;
        if (state === "busy" || state === "idle") timing[`iopub.status.${state}`] ??= now;
      } else if (type === "execute_input") {
        timing["iopub.execute_input"] ??= now;
        const n = message.content.execution_count;
        if (typeof n === "number") count ??= n;
      } else collector.add(message);
    } else if (
      parent === markerId && type === "stream" && String(message.content.text).includes(marker)
    ) markerSeen();
  });
  const started = performance.now();
  const finish = (count: number | null | undefined) => {
    cell.outputs = collector.outputs();
    cell.execution_count = typeof count === "number" ? count : null;
    cell.metadata.execution = timing;
    cell.metadata.emargin = {
      ...emarginMetadata(cell.metadata),
      seconds: (performance.now() - started) / 1000,
    };
  };
  // Waits until every output of the cell has arrived (see the module doc).
  const flush = async (ms: number): Promise<Outcome<unknown>> => {
    const request = client.execute(`console.log(${JSON.stringify(marker)});`, {
      silent: true,
      storeHistory: false,
    });
    markerId = request.msgId;
    return await waitFor(Promise.all([markerArrived, request.reply]), kernel, ms);
  };
  const died = (status: Deno.CommandStatus): CellOutcome => {
    const message = `the kernel died (${describeExit(status)}) while running cell ${index}`;
    const tail = kernel.outputTail().split("\n")
      .filter((line) => line.trim() !== "" && !line.includes('"deno jupyter" is unstable'))
      .slice(-20);
    collector.add(errorMessage(errorOutput("KernelDiedError", message, tail)));
    return { status: "dead", message };
  };

  try {
    const execution = client.execute(cellSource(cell));
    cellId = execution.msgId;
    const outcome = await waitFor(execution.reply, kernel, timeoutSeconds * 1000);
    if (outcome.kind === "exit") return died(outcome.status);
    if (outcome.kind === "timeout") {
      await client.interrupt();
      const late = await waitFor(execution.reply, kernel, graceMs);
      if (late.kind === "value") await flush(graceMs);
      const message = `cell ${index} did not finish within ${timeoutSeconds} s`;
      collector.add(errorMessage(errorOutput("CellTimeoutError", message)));
      return { status: "timeout", message };
    }
    timing["shell.execute_reply"] = outcome.value.header.date || new Date().toISOString();
    const reply: ExecuteReply = outcome.value.content;
    const flushed = await flush(Math.max(10_000, graceMs));
    if (flushed.kind === "exit") return died(flushed.status);
    if (flushed.kind === "timeout") {
      const message = `cell ${index}: the kernel stopped answering after the cell finished`;
      collector.add(errorMessage(errorOutput("KernelError", message)));
      return { status: "dead", message };
    }
    count = reply.execution_count ?? count;
    if (reply.status !== "ok") {
      if (!collector.outputs().some((o) => o.output_type === "error")) {
        collector.add(errorMessage({
          output_type: "error",
          ename: reply.ename ?? (reply.status === "aborted" ? "Aborted" : "Error"),
          evalue: reply.evalue ?? "",
          traceback: reply.traceback ?? [],
        }));
      }
      return { status: "error", message: `cell ${index}: ${reply.ename}: ${reply.evalue}` };
    }
    return { status: "ok" };
  } finally {
    unsubscribe();
    finish(count);
  }
}

/** Wraps an error output as an iopub `error` message for the collector. */
function errorMessage(output: IError): Message {
  return {
    identities: [],
    header: { msg_id: "", session: "", username: "", date: "", msg_type: "error", version: "" },
    parent_header: {},
    metadata: {},
    content: { ename: output.ename, evalue: output.evalue, traceback: output.traceback },
    buffers: [],
  };
}

/**
 * Executes a notebook (a path or its parsed JSON) on a fresh Deno kernel.
 *
 * @returns the executed notebook and `status`: `"ok"`, `"error"` (a cell raised),
 * `"timeout"` (a cell ran past its timeout) or `"dead"` (the kernel exited or
 * stopped answering).
 * @throws NotebookFormatError for an invalid notebook, ParameterError for
 * unknown or `const` parameters, KernelError when the kernel cannot be started.
 */
export async function runNotebook(
  input: string | INotebookContent,
  options: RunOptions = {},
): Promise<RunResult> {
  const t0 = performance.now();
  const startTime = new Date().toISOString();
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
  const defaultTimeout = positiveNumber(options.timeoutSeconds) ??
    positiveNumber(notebookMeta.timeout) ?? DEFAULT_TIMEOUT_SECONDS;
  const graceMs = (options.graceSeconds ?? 3) * 1000;
  const cwd = options.cwd ?? (typeof input === "string" ? dirname(resolve(input)) : Deno.cwd());
  const emit = options.onProgress ?? (() => {});
  const cellCount = notebook.cells.length;

  const phases = { start: 0, cells: 0, stop: 0 };
  const tStart = performance.now();
  const kernel = await startKernelProcess({ cwd });
  let client: KernelClient | undefined;
  let status: RunStatus = "ok";
  let failedCell: number | undefined;
  let message: string | undefined;
  try {
    client = await connectKernel(kernel.connection, {
      interruptMode: options.interruptMode ?? "message",
      sendInterruptSignal: () => kernel.signal("SIGINT"),
    });
    const info = await waitFor(
      client.ready((options.startupTimeoutSeconds ?? 60) * 1000),
      kernel,
      (options.startupTimeoutSeconds ?? 60) * 1000 + 1000,
    );
    if (info.kind !== "value") {
      throw new KernelError(
        info.kind === "exit"
          ? `the kernel exited during start-up (${
            describeExit(info.status)
          }): ${kernel.outputTail()}`
          : "the kernel did not start in time",
      );
    }
    const languageInfo = info.value.content.language_info;
    if (languageInfo !== null && typeof languageInfo === "object") {
      notebook.metadata.language_info =
        languageInfo as INotebookContent["metadata"]["language_info"];
    }
    emit({ kind: "start", notebook: label, cellCount });
    const tCells = performance.now();
    phases.start = (tCells - tStart) / 1000;
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== "code" || cellSource(cell).trim() === "") continue;
      const code = cell as ICodeCell;
      const timeout = positiveNumber(emarginMetadata(code.metadata).timeout) ?? defaultTimeout;
      emit({ kind: "cell-start", notebook: label, cellIndex: index, cellCount });
      const t = performance.now();
      const outcome = await runCell(client, kernel, code, index, timeout, graceMs);
      emit({
        kind: "cell-end",
        notebook: label,
        cellIndex: index,
        cellCount,
        seconds: (performance.now() - t) / 1000,
        status: outcome.status,
      });
      if (outcome.status !== "ok") {
        status = outcome.status;
        failedCell = index;
        message = outcome.message;
        break;
      }
    }
    phases.cells = (performance.now() - tCells) / 1000;
  } finally {
    const tStop = performance.now();
    const graceful = kernel.alive() && (status === "ok" || status === "error");
    if (graceful) await client?.shutdown(1000);
    else kernel.signal("SIGKILL");
    client?.close();
    await kernel.stop(1000);
    phases.stop = (performance.now() - tStop) / 1000;
  }
  const seconds = (performance.now() - t0) / 1000;
  notebook.metadata.kernelspec ??= KERNELSPEC_METADATA;
  notebook.metadata.emargin = {
    ...notebookMeta,
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
