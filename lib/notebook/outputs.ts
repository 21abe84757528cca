/**
 * A cell's outputs, built from its iopub messages as they arrive, within a
 * size limit.
 *
 * The nbformat rules apply: consecutive `stream` outputs of the same name are
 * merged, `clear_output` empties the list (at the next output when `wait` is
 * true), and `update_display_data` replaces the outputs carrying its
 * `display_id`.
 *
 * The limit counts the UTF-8 bytes the kept outputs hold: stream text, and the
 * values of `display_data` / `execute_result` mime bundles (JSON values
 * serialised). The output that crosses it is cut (a stream at its last line
 * end within the limit — a line longer than what is left is cut at the limit
 * only when nothing is kept yet; a mime bundle is dropped whole);
 * every later output is dropped as it arrives, except errors, which are always
 * kept. Nothing beyond the limit is held, so memory stays bounded however much
 * a cell prints. `clear_output` frees what it clears. {@link OutputCollector.outputs}
 * then ends with a `stderr` stream saying how much was dropped.
 *
 * @module
 */
import type {
  IDisplayData,
  IError,
  IExecuteResult,
  IMimeBundle,
  IOutput,
  IStream,
  OutputMetadata,
} from "@jupyterlab/nbformat";
import type { Message } from "./protocol.ts";

/** Default per-cell output limit: 4 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** Options of {@link createOutputCollector}. */
export interface CollectorOptions {
  /** Bytes of output kept per cell (default: no limit). */
  maxBytes?: number;
}

/** What the limit dropped from one cell. */
export interface DroppedOutput {
  /** Bytes of output not kept. */
  bytes: number;
  /** Outputs (messages) dropped whole or cut. */
  outputs: number;
}

/** Collects the outputs of one execution (see the module doc). */
export interface OutputCollector {
  /** Applies one iopub message (those not producing outputs are ignored). */
  add(message: Message): void;
  /** The outputs so far, ending with a note when the limit dropped anything. */
  outputs(): IOutput[];
  /** Bytes held by the kept outputs. */
  keptBytes(): number;
  /** What the limit dropped (zeros when nothing). */
  dropped(): DroppedOutput;
}

/** UTF-8 length of `text` without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The longest prefix of `text` within `budget` UTF-8 bytes, ended at its last
 * line end when it has one; never splits a surrogate pair.
 */
export function prefixWithin(text: string, budget: number): string {
  let bytes = 0;
  let end = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    const pair = c >= 0xd800 && c <= 0xdbff && end + 1 < text.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > budget) break;
    bytes += size;
    end += pair ? 2 : 1;
  }
  const prefix = text.slice(0, end);
  const newline = prefix.lastIndexOf("\n");
  return newline >= 0 ? prefix.slice(0, newline + 1) : prefix;
}

/** `n` bytes in B, KiB or MiB, one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const UNITS = new Map<string, number>([
  ["", 1],
  ["b", 1],
  ["k", 1024],
  ["kib", 1024],
  ["m", 1024 ** 2],
  ["mib", 1024 ** 2],
  ["g", 1024 ** 3],
  ["gib", 1024 ** 3],
]);

/**
 * A size such as `4MiB`, `512 KiB`, `1.5M` or `1048576` (bytes) in bytes;
 * units are binary and case-insensitive. `NaN` when `text` is not a positive size.
 *
 * @example
 * ```ts
 * parseByteSize("4MiB"); // 4194304
 * ```
 */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS.get(match[2].toLowerCase()) : undefined;
  const bytes = match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : NaN;
  return bytes > 0 ? bytes : NaN;
}

function bundleBytes(data: IMimeBundle): number {
  let bytes = 0;
  for (const value of Object.values(data)) {
    if (typeof value === "string") bytes += utf8Length(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      for (const line of value) bytes += utf8Length(line);
    } else bytes += utf8Length(JSON.stringify(value) ?? "");
  }
  return bytes;
}

function outputBytes(output: IOutput): number {
  if (output.output_type === "stream") return utf8Length(String(output.text));
  if (output.output_type === "error") return 0;
  return bundleBytes((output.data ?? {}) as IMimeBundle);
}

/** The note that ends a cell whose outputs were cut. */
export function truncationNote(kept: number, dropped: DroppedOutput, limit: number): IStream {
  return {
    output_type: "stream",
    name: "stderr",
    text: `[output truncated: ${formatBytes(dropped.bytes)} in ${dropped.outputs} output(s) ` +
      `dropped, ${formatBytes(kept)} kept; the limit is ${formatBytes(limit)} per cell ` +
      `(runNotebook's maxOutputBytes, --max-output)]\n`,
  };
}

/** Turns an output-producing iopub message into an output; `null` for other messages. */
function toOutput(message: Message): { output: IOutput; displayId?: string } | null {
  const c = message.content as Record<string, unknown>;
  const data = (c.data ?? {}) as IMimeBundle;
  const metadata = (c.metadata ?? {}) as OutputMetadata;
  const transient = (c.transient ?? {}) as { display_id?: unknown };
  const displayId = typeof transient.display_id === "string" ? transient.display_id : undefined;
  switch (message.header.msg_type) {
    case "stream": {
      const text = typeof c.text === "string" ? c.text : String(c.text ?? "");
      const name = c.name === "stderr" ? "stderr" : "stdout";
      return { output: { output_type: "stream", name, text } satisfies IStream };
    }
    case "display_data":
      return {
        output: { output_type: "display_data", data, metadata } satisfies IDisplayData,
        displayId,
      };
    case "execute_result":
      return {
        output: {
          output_type: "execute_result",
          execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
          data,
          metadata,
        } satisfies IExecuteResult,
        displayId,
      };
    case "error":
      return {
        output: {
          output_type: "error",
          ename: String(c.ename ?? "Error"),
          evalue: String(c.evalue ?? ""),
          traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
        } satisfies IError,
      };
  }
  return null;
}

/** The mutable state behind one {@link OutputCollector}. */
interface CollectorState {
  limit: number;
  outputs: IOutput[];
  kept: number;
  /** The limit was reached: every later output but errors is dropped. */
  full: boolean;
  clearPending: boolean;
  dropped: DroppedOutput;
  displayIds: Map<IOutput, string>;
}

function clearOutputs(s: CollectorState): void {
  s.outputs = [];
  s.kept = 0;
  s.full = false;
  s.displayIds.clear();
}

function drop(s: CollectorState, bytes: number): void {
  s.dropped.bytes += bytes;
  s.dropped.outputs++;
}

/** `output` cut to what still fits; `null` when nothing of it is kept. */
function fit(s: CollectorState, output: IOutput, bytes: number): IOutput | null {
  if (output.output_type === "error") return output;
  if (!s.full && s.kept + bytes <= s.limit) return output;
  s.full = true;
  if (output.output_type !== "stream" || s.kept >= s.limit) {
    drop(s, bytes);
    return null;
  }
  let text = prefixWithin(String(output.text), s.limit - s.kept);
  if (s.kept > 0 && !text.endsWith("\n")) text = ""; // no line is cut after others
  drop(s, bytes - utf8Length(text));
  return text === "" ? null : { ...output, text };
}

function push(s: CollectorState, incoming: IOutput, displayId?: string): void {
  if (s.clearPending) {
    clearOutputs(s);
    s.clearPending = false;
  }
  const output = fit(s, incoming, outputBytes(incoming));
  if (output === null) return;
  s.kept += outputBytes(output);
  const last = s.outputs.at(-1);
  if (
    output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name
  ) {
    last.text = String(last.text) + String(output.text);
    return;
  }
  s.outputs.push(output);
  if (displayId !== undefined) s.displayIds.set(output, displayId);
}

function updateDisplay(s: CollectorState, content: Record<string, unknown>): void {
  const transient = (content.transient ?? {}) as { display_id?: unknown };
  const data = (content.data ?? {}) as IMimeBundle;
  for (const [output, id] of s.displayIds) {
    if (id !== transient.display_id) continue;
    const delta = bundleBytes(data) - outputBytes(output);
    if (s.kept + delta > s.limit) {
      drop(s, bundleBytes(data));
      continue;
    }
    s.kept += delta;
    output.data = data;
    output.metadata = (content.metadata ?? {}) as OutputMetadata;
  }
}

/**
 * A new, empty {@link OutputCollector}.
 *
 * @example
 * ```ts
 * const collector = createOutputCollector({ maxBytes: DEFAULT_MAX_OUTPUT_BYTES });
 * client.onIOPub((message) => collector.add(message));
 * // … later: cell.outputs = collector.outputs();
 * ```
 */
export function createOutputCollector(options: CollectorOptions = {}): OutputCollector {
  const s: CollectorState = {
    limit: options.maxBytes ?? Infinity,
    outputs: [],
    kept: 0,
    full: false,
    clearPending: false,
    dropped: { bytes: 0, outputs: 0 },
    displayIds: new Map(),
  };
  return {
    add(message) {
      const content = message.content as Record<string, unknown>;
      const type = message.header.msg_type;
      if (type === "update_display_data") updateDisplay(s, content);
      else if (type === "clear_output") {
        if (content.wait === true) s.clearPending = true;
        else clearOutputs(s);
      } else {
        const converted = toOutput(message);
        if (converted) push(s, converted.output, converted.displayId);
      }
    },
    outputs: () =>
      s.dropped.outputs === 0
        ? s.outputs
        : [...s.outputs, truncationNote(s.kept, s.dropped, s.limit)],
    keptBytes: () => s.kept,
    dropped: () => ({ ...s.dropped }),
  };
}
