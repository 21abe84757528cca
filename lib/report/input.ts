/**
 * Reading executed notebooks: structural validation, cell text and timings.
 *
 * @module
 */
import type { ICell, INotebookContent, MultilineString } from "@jupyterlab/nbformat";
import { DataFormatError } from "../errors.ts";
import { readJsonFile } from "../io.ts";

const OUTPUT_TYPES = ["stream", "display_data", "execute_result", "error"];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isMultiline(value: unknown): value is MultilineString {
  return typeof value === "string" ||
    (Array.isArray(value) && value.every((line) => typeof line === "string"));
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "string") return JSON.stringify(value.slice(0, 40));
  return typeof value;
}

/**
 * Checks that `value` is an nbformat 4 notebook as the report reads it:
 * `cells[]` of markdown/code/raw cells with string (or string[]) sources, code
 * cells with `outputs[]` of the four stored output types, mime bundles of
 * strings or JSON. Returns it typed; throws {@linkcode DataFormatError} naming
 * the first offending field otherwise.
 */
export function validateNotebook(path: string, value: unknown): INotebookContent {
  if (!isRecord(value)) throw new DataFormatError(path, "(root)", "a JSON object", describe(value));
  if (value.nbformat !== 4) {
    throw new DataFormatError(path, "nbformat", "4", describe(value.nbformat));
  }
  if (!Array.isArray(value.cells)) {
    throw new DataFormatError(path, "cells", "an array", describe(value.cells));
  }
  value.cells.forEach((cell: unknown, i: number) => {
    const at = `cells[${i}]`;
    if (!isRecord(cell)) throw new DataFormatError(path, at, "an object", describe(cell));
    if (!["markdown", "code", "raw"].includes(cell.cell_type as string)) {
      throw new DataFormatError(
        path,
        `${at}.cell_type`,
        '"markdown", "code" or "raw"',
        describe(cell.cell_type),
      );
    }
    if (!isMultiline(cell.source)) {
      throw new DataFormatError(
        path,
        `${at}.source`,
        "a string or string[]",
        describe(cell.source),
      );
    }
    if (cell.cell_type !== "code") return;
    if (!Array.isArray(cell.outputs)) {
      throw new DataFormatError(path, `${at}.outputs`, "an array", describe(cell.outputs));
    }
    cell.outputs.forEach((output: unknown, j: number) => {
      const oat = `${at}.outputs[${j}]`;
      if (!isRecord(output)) throw new DataFormatError(path, oat, "an object", describe(output));
      const type = output.output_type;
      if (!OUTPUT_TYPES.includes(type as string)) {
        throw new DataFormatError(
          path,
          `${oat}.output_type`,
          `one of ${OUTPUT_TYPES.join(", ")}`,
          describe(type),
        );
      }
      if (type === "stream") {
        if (!isMultiline(output.text)) {
          throw new DataFormatError(
            path,
            `${oat}.text`,
            "a string or string[]",
            describe(output.text),
          );
        }
      } else if (type === "error") {
        for (const key of ["ename", "evalue"]) {
          if (typeof output[key] !== "string") {
            throw new DataFormatError(path, `${oat}.${key}`, "a string", describe(output[key]));
          }
        }
        const tb = output.traceback;
        if (!Array.isArray(tb) || !tb.every((line) => typeof line === "string")) {
          throw new DataFormatError(path, `${oat}.traceback`, "a string[]", describe(tb));
        }
      } else if (!isRecord(output.data)) {
        throw new DataFormatError(
          path,
          `${oat}.data`,
          "a mime bundle object",
          describe(output.data),
        );
      }
    });
  });
  return value as INotebookContent;
}

/** Reads and validates a `.ipynb` file; bad JSON or structure → {@linkcode DataFormatError}. */
export async function readNotebook(path: string): Promise<INotebookContent> {
  const value = await readJsonFile(
    path,
    (message) => new DataFormatError(path, "(file)", "JSON", message),
  );
  return validateNotebook(path, value);
}

/** Joins nbformat's multi-line string (a string or a list of lines with their `\n`). */
export function joinText(text: MultilineString): string {
  return Array.isArray(text) ? text.join("") : text;
}

/**
 * Seconds a cell took to run, or `null` when not recorded. Reads
 * `metadata.emargin.seconds`, else Jupyter's `metadata.execution`
 * timestamps: `shell.execute_reply − (shell.execute_reply.started | iopub.execute_input)`.
 */
export function cellSeconds(cell: ICell): number | null {
  const meta = cell.metadata as Record<string, unknown> | undefined;
  if (!meta) return null;
  const own = meta.emargin;
  if (isRecord(own) && typeof own.seconds === "number" && Number.isFinite(own.seconds)) {
    return own.seconds;
  }
  const exec = meta.execution;
  if (!isRecord(exec)) return null;
  const end = exec["shell.execute_reply"];
  const start = exec["shell.execute_reply.started"] ?? exec["iopub.execute_input"];
  if (typeof start !== "string" || typeof end !== "string") return null;
  const seconds = (Date.parse(end) - Date.parse(start)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/** Total seconds over the code cells with a recorded time, or `null` when none has one. */
export function notebookSeconds(notebook: INotebookContent): number | null {
  let total: number | null = null;
  for (const cell of notebook.cells) {
    const s = cell.cell_type === "code" ? cellSeconds(cell) : null;
    if (s !== null) total = (total ?? 0) + s;
  }
  return total;
}
