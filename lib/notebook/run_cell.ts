/**
 * One code cell on a connected kernel: execute it, collect its outputs within
 * the size limit (`outputs.ts`), wait until every output has arrived, and
 * record its timing.
 *
 * Each code cell is sent as an `execute_request`; its outputs are the iopub
 * messages whose `parent_header.msg_id` is the request's. The Deno kernel may
 * publish a cell's `status: idle` before its last output, so idle is not taken
 * as the end of a cell: after the `execute_reply`, a silent request prints a
 * unique marker, and the cell ends when that marker arrives on iopub (iopub is
 * one ordered stream, so every earlier output has arrived by then).
 *
 * The kernel stamps an output with the request running when it *sends* it,
 * not when the cell wrote it: output still queued in the kernel when the
 * marker request arrives (a cell that printed 200 000 lines has most of them
 * queued) comes under the marker's request. Everything under a marker request
 * before the marker itself is therefore the cell's.
 *
 * The kernel sends a large output slowly (about 6 000 messages a second here),
 * long after the cell's reply, so the wait for the marker has no fixed end: it
 * goes on while iopub messages keep arriving, and only silence counts against
 * it. The kernel's PUB socket (zmq.rs) can also leave a large message half
 * written until its next send, and drops a message it cannot queue
 * (zeromq/zmq.rs#237), so a marker not seen after {@link FLUSH_RESEND_MS} of
 * silence is sent again: each send moves the stalled writer on. Only
 * {@link FLUSH_SILENCE_MS} of silence in all means the kernel has stopped
 * answering.
 *
 * Cells are numbered from 1 in every message, as in the progress line.
 *
 * @module
 */
import type { ICodeCell, IError } from "@jupyterlab/nbformat";
import type { ExecuteReply, KernelClient } from "./kernel_client.ts";
import type { KernelProcess } from "./kernel_process.ts";
import { cellSource } from "./nbformat.ts";
import { createOutputCollector, type OutputCollector } from "./outputs.ts";
import type { RunStatus } from "./progress.ts";
import type { Message } from "./protocol.ts";

/** Milliseconds of iopub silence after which the marker is sent again. */
export const FLUSH_RESEND_MS = 2_000;
/**
 * Milliseconds of iopub silence, markers resent all along, after which the
 * kernel counts as not answering. The kernel serialises one multi-MiB output
 * (an 8 MiB string) in one go and says nothing meanwhile, which took over
 * 30 s on a loaded 2-core machine.
 */
export const FLUSH_SILENCE_MS = 120_000;

/** What ended a wait. */
export type Outcome<T> =
  | { kind: "value"; value: T }
  | { kind: "exit"; status: Deno.CommandStatus }
  | { kind: "timeout" };

/** Waits for `promise`, the kernel's exit, or `ms`, whichever comes first. */
export async function waitFor<T>(
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

/** The `emargin` object of a cell's or notebook's metadata (empty when absent or not an object). */
export function emarginMetadata(metadata: unknown): Record<string, unknown> {
  const m = (metadata as { emargin?: unknown } | undefined)?.emargin;
  return m !== null && typeof m === "object" && !Array.isArray(m)
    ? m as Record<string, unknown>
    : {};
}

/** `signal S` or `exit code N`. */
export function describeExit(status: Deno.CommandStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}

function errorOutput(ename: string, evalue: string, extra: string[] = []): IError {
  return { output_type: "error", ename, evalue, traceback: [`${ename}: ${evalue}`, ...extra] };
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

/** A cell to run and how. */
export interface CellRun {
  client: KernelClient;
  kernel: KernelProcess;
  cell: ICodeCell;
  /** The cell's number in the notebook, from 1 (used in messages). */
  number: number;
  timeoutSeconds: number;
  /** Milliseconds to wait after an interrupt. */
  graceMs: number;
  /** Bytes of output kept (see `outputs.ts`). */
  maxOutputBytes: number;
}

/** How a cell ended; `message` (one line) when `status` is not `"ok"`. */
export interface CellOutcome {
  status: RunStatus;
  message?: string;
}

/** Iopub bookkeeping of one cell: its outputs, timing, and the marker that ends it. */
interface CellState {
  collector: OutputCollector;
  timing: Record<string, string>;
  count?: number | null;
  cellId: string;
  marker: string;
  markerIds: Set<string>;
  markerArrived: Promise<void>;
  markerDone: boolean;
  /** Counts every iopub message: the flush waits while it grows. */
  activity: number;
}

/** Prefix of every end-of-cell marker. */
const MARKER_PREFIX = "emargin-cell-done-";
/** A whole marker line: UUIDs keep it from matching anything a cell prints. */
const MARKER_LINE = new RegExp(
  `${MARKER_PREFIX}[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\\n`,
  "g",
);

/**
 * Removes the markers of earlier cells from a stream message: a marker sent
 * again (see the module doc) can still be queued in the kernel when the next
 * cell starts, which then stamps it with that cell's request.
 */
export function withoutStaleMarkers(message: Message, current: string): Message | null {
  if (message.header.msg_type !== "stream") return message;
  const text = String(message.content.text);
  if (!text.includes(MARKER_PREFIX)) return message;
  const kept = text.replace(MARKER_LINE, (line) => line.startsWith(current) ? line : "");
  if (kept === text) return message;
  return kept === "" ? null : { ...message, content: { ...message.content, text: kept } };
}

function listen(state: CellState, markerSeen: () => void) {
  return (received: Message) => {
    state.activity++;
    const message = withoutStaleMarkers(received, state.marker);
    if (message === null) return;
    const parent = message.parent_header.msg_id ?? "";
    const type = message.header.msg_type;
    if (parent === state.cellId) {
      // The kernel's own timestamps, as nbclient records them.
      const now = message.header.date || new Date().toISOString();
      if (type === "status") {
        const s = message.content.execution_state;
        if (s === "busy" || s === "idle") state.timing[`iopub.status.${s}`] ??= now;
      } else if (type === "execute_input") {
        state.timing["iopub.execute_input"] ??= now;
        const n = message.content.execution_count;
        if (typeof n === "number") state.count ??= n;
      } else state.collector.add(message);
    } else if (state.markerIds.has(parent) && !state.markerDone) {
      if (type === "status" || type === "execute_input") return;
      const text = type === "stream" ? String(message.content.text) : "";
      const at = text.indexOf(state.marker);
      if (at < 0) return state.collector.add(message); // the cell's, sent late (see the module doc)
      if (at > 0) {
        state.collector.add({
          ...message,
          content: { ...message.content, text: text.slice(0, at) },
        });
      }
      state.markerDone = true;
      markerSeen();
    }
  };
}

/**
 * Waits until the marker has arrived: every output of the cell is in (see the
 * module doc). The marker is sent, and sent again after each `resendMs` of
 * iopub silence, until `silenceMs` pass with no iopub message at all.
 */
async function flush(
  run: CellRun,
  state: CellState,
  silenceMs: number,
  resendMs: number,
): Promise<Outcome<void>> {
  let silentSince = performance.now();
  for (;;) {
    const request = run.client.execute(`console.log(${JSON.stringify(state.marker)});`, {
      silent: true,
      storeHistory: false,
    });
    request.reply.catch(() => {});
    state.markerIds.add(request.msgId);
    const before = state.activity;
    const wait = Math.max(1, Math.min(resendMs, silentSince + silenceMs - performance.now()));
    const outcome = await waitFor(state.markerArrived, run.kernel, wait);
    if (outcome.kind !== "timeout") return outcome;
    if (state.activity !== before) silentSince = performance.now();
    else if (performance.now() - silentSince >= silenceMs) return outcome;
  }
}

function died(run: CellRun, state: CellState, status: Deno.CommandStatus): CellOutcome {
  const message = `the kernel died (${describeExit(status)}) while running cell ${run.number}`;
  const tail = run.kernel.outputTail().split("\n")
    .filter((line) => line.trim() !== "" && !line.includes('"deno jupyter" is unstable'))
    .slice(-20);
  state.collector.add(errorMessage(errorOutput("KernelDiedError", message, tail)));
  return { status: "dead", message };
}

function failed(state: CellState, ename: string, message: string, status: RunStatus): CellOutcome {
  state.collector.add(errorMessage(errorOutput(ename, message)));
  return { status, message };
}

/** Turns a non-`ok` reply into the cell's error output (unless the kernel sent one). */
function replyError(run: CellRun, state: CellState, reply: ExecuteReply): CellOutcome {
  if (!state.collector.outputs().some((o) => o.output_type === "error")) {
    state.collector.add(errorMessage({
      output_type: "error",
      ename: reply.ename ?? (reply.status === "aborted" ? "Aborted" : "Error"),
      evalue: reply.evalue ?? "",
      traceback: reply.traceback ?? [],
    }));
  }
  return { status: "error", message: `cell ${run.number}: ${reply.ename}: ${reply.evalue}` };
}

async function execute(run: CellRun, state: CellState): Promise<CellOutcome> {
  const execution = run.client.execute(cellSource(run.cell));
  state.cellId = execution.msgId;
  const outcome = await waitFor(execution.reply, run.kernel, run.timeoutSeconds * 1000);
  if (outcome.kind === "exit") return died(run, state, outcome.status);
  if (outcome.kind === "timeout") {
    await run.client.interrupt();
    const late = await waitFor(execution.reply, run.kernel, run.graceMs);
    if (late.kind === "value") await flush(run, state, run.graceMs, FLUSH_RESEND_MS);
    const message = `cell ${run.number} did not finish within ${run.timeoutSeconds} s`;
    return failed(state, "CellTimeoutError", message, "timeout");
  }
  state.timing["shell.execute_reply"] = outcome.value.header.date || new Date().toISOString();
  const reply: ExecuteReply = outcome.value.content;
  const flushed = await flush(
    run,
    state,
    Math.max(FLUSH_SILENCE_MS, run.graceMs),
    FLUSH_RESEND_MS,
  );
  if (flushed.kind === "exit") return died(run, state, flushed.status);
  if (flushed.kind === "timeout") {
    const message = `cell ${run.number}: the kernel stopped answering after the cell finished`;
    return failed(state, "KernelError", message, "dead");
  }
  state.count = reply.execution_count ?? state.count;
  return reply.status === "ok" ? { status: "ok" } : replyError(run, state, reply);
}

/**
 * Runs one code cell and fills its outputs, `execution_count` and timing
 * metadata (`metadata.emargin.seconds`, and `metadata.emargin.output_truncated`
 * with `kept_bytes`, `dropped_bytes`, `dropped_outputs` and `limit_bytes` when
 * the output limit cut it).
 */
export async function runCell(run: CellRun): Promise<CellOutcome> {
  let markerSeen: () => void = () => {};
  const state: CellState = {
    collector: createOutputCollector({ maxBytes: run.maxOutputBytes }),
    timing: {},
    cellId: "",
    marker: `${MARKER_PREFIX}${crypto.randomUUID()}`,
    markerIds: new Set(),
    markerArrived: new Promise<void>((r) => markerSeen = r),
    markerDone: false,
    activity: 0,
  };
  const unsubscribe = run.client.onIOPub(listen(state, markerSeen));
  const started = performance.now();
  try {
    return await execute(run, state);
  } finally {
    unsubscribe();
    const { cell, collector } = { cell: run.cell, collector: state.collector };
    const dropped = collector.dropped();
    const { output_truncated: _stale, ...metadata } = emarginMetadata(cell.metadata);
    cell.outputs = collector.outputs();
    cell.execution_count = typeof state.count === "number" ? state.count : null;
    cell.metadata.execution = state.timing;
    cell.metadata.emargin = {
      ...metadata,
      seconds: (performance.now() - started) / 1000,
      ...(dropped.outputs === 0 ? {} : {
        output_truncated: {
          kept_bytes: collector.keptBytes(),
          dropped_bytes: dropped.bytes,
          dropped_outputs: dropped.outputs,
          limit_bytes: run.maxOutputBytes,
        },
      }),
    };
  }
}
