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

/** A new, empty {@link OutputCollector}. */
export function createOutputCollector(options: CollectorOptions = {}): OutputCollector {
  const limit = options.maxBytes ?? Infinity;
  let outputs: IOutput[] = [];
  let kept = 0;
  let full = false;
  let clearPending = false;
  const dropped: DroppedOutput = { bytes: 0, outputs: 0 };
  const displayIds = new Map<IOutput, string>();

  const clear = () => {
    outputs = [];
    kept = 0;
    full = false;
    displayIds.clear();
  };
  const drop = (bytes: number) => {
    dropped.bytes += bytes;
    dropped.outputs++;
  };
  /** Cuts `output` to what still fits; `null` when nothing of it is kept. */
  const fit = (output: IOutput, bytes: number): IOutput | null => {
    if (output.output_type === "error") return output;
    if (!full && kept + bytes <= limit) return output;
    full = true;
    if (output.output_type !== "stream" || kept >= limit) {
      drop(bytes);
      return null;
    }
    let text = prefixWithin(String(output.text), limit - kept);
    if (kept > 0 && !text.endsWith("\n")) text = ""; // no line is cut after others
    drop(bytes - utf8Length(text));
    return text === "" ? null : { ...output, text };
  };
  const push = (incoming: IOutput, displayId?: string) => {
    if (clearPending) {
      clear();
      clearPending = false;
    }
    const output = fit(incoming, outputBytes(incoming));
    if (output === null) return;
    kept += outputBytes(output);
    const last = outputs.at(-1);
    if (
      output.output_type === "stream" && last?.output_type === "stream" &&
      last.name === output.name
    ) {
      last.text = String(last.text) + String(output.text);
      return;
    }
    outputs.push(output);
    if (displayId !== undefined) displayIds.set(output, displayId);
  };
  const update = (data: IMimeBundle, metadata: OutputMetadata, displayId?: string) => {
    for (const [output, id] of displayIds) {
      if (id !== displayId) continue;
      const delta = bundleBytes(data) - outputBytes(output);
      if (kept + delta > limit) {
        drop(bundleBytes(data));
        continue;
      }
      kept += delta;
      output.data = data;
      output.metadata = metadata;
    }
  };

  return {
    add(message) {
      const c = message.content as Record<string, unknown>;
      const type = message.header.msg_type;
      if (type === "update_display_data") {
        const transient = (c.transient ?? {}) as { display_id?: unknown };
        const id = typeof transient.display_id === "string" ? transient.display_id : undefined;
        update((c.data ?? {}) as IMimeBundle, (c.metadata ?? {}) as OutputMetadata, id);
      } else if (type === "clear_output") {
        if (c.wait === true) clearPending = true;
        else clear();
      } else {
        const converted = toOutput(message);
        if (converted) push(converted.output, converted.displayId);
      }
    },
    outputs: () =>
      dropped.outputs === 0 ? outputs : [...outputs, truncationNote(kept, dropped, limit)],
    keptBytes: () => kept,
    dropped: () => ({ ...dropped }),
  };
}
