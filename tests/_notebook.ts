/**
 * Test helpers for the notebook runner's tests: kernel messages, code cells
 * and notebooks built in memory, and outputs reduced for exact comparison.
 *
 * @module
 */
import type { INotebookContent, IOutput } from "@jupyterlab/nbformat";
import type { Message } from "../lib/notebook/mod.ts";
import { makeHeader } from "../lib/notebook/protocol.ts";

/** A code cell as nbformat 4.5 stores it before it has run. */
export interface CodeCell {
  id: string;
  cell_type: "code";
  metadata: Record<string, unknown>;
  source: string;
  outputs: IOutput[];
  execution_count: null;
}

/**
 * A kernel message of type `msgType` with `content`, from session "test",
 * no parent, identities or buffers.
 *
 * @example
 * ```ts
 * const m = message("stream", { name: "stdout", text: "hi\n" });
 * ```
 */
export function message(msgType: string, content: Record<string, unknown>): Message {
  return {
    identities: [],
    header: makeHeader(msgType, "test"),
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  };
}

/** A code cell with a fixed id, no outputs and no execution count. */
export function codeCell(
  id: string,
  source: string,
  metadata: Record<string, unknown> = {},
): CodeCell {
  return { id, cell_type: "code", metadata, source, outputs: [], execution_count: null };
}

/** An nbformat 4.5 notebook of `cells`, without notebook metadata. */
export function notebookOf(cells: CodeCell[]): INotebookContent {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells } as INotebookContent;
}

/** Outputs without per-output metadata, for exact comparison. */
export function plain(outputs: IOutput[]): unknown[] {
  return outputs.map((o) => {
    const { metadata: _metadata, ...rest } = o;
    return rest;
  });
}
