/**
 * nbformat 4.5 notebooks: reading, normalising (cell ids), validating the
 * rules the runner and the report rely on, cell text and recorded cell times.
 * The one notebook-format module of the project: the runner and the report
 * builder both read notebooks here, and a bad one is always a
 * {@linkcode NotebookFormatError}. Cell outputs are built from iopub messages
 * in `outputs.ts`.
 *
 * {@link validateNotebook} checks the required keys and value types of the
 * nbformat 4 JSON schema for the notebook, each cell type and each output type,
 * plus cell-id syntax and uniqueness (4.5). It is written by hand because the
 * schema validator lives in Python's `nbformat`; the checks follow
 * `nbformat.v4.schema.json` key by key.
 *
 * @module
 */
import type {
  ICell,
  ICodeCell,
  INotebookContent,
  IOutput,
  MultilineString,
} from "@jupyterlab/nbformat";
import { readJsonFile } from "../io.ts";
import { NotebookFormatError } from "./errors.ts";

export type { ICell, ICodeCell, INotebookContent, IOutput };

const CELL_ID = /^[a-zA-Z0-9-_]{1,64}$/;

/** A new random cell id (8 hex digits, like Jupyter's). */
export function newCellId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 8);
}

/** Joins nbformat's multi-line string (a string or a list of lines with their `\n`). */
export function joinText(text: MultilineString): string {
  return Array.isArray(text) ? text.join("") : text;
}

/** A cell's source as one string (`source` may be a string or a list of lines). */
export function cellSource(cell: ICell): string {
  return joinText(cell.source);
}

/** A cell's tags (empty when it has none). */
export function cellTags(cell: ICell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/**
 * Reads and validates a notebook file.
 * @throws NotebookFormatError when the file is not JSON or breaks nbformat 4.
 */
export async function readNotebook(path: string): Promise<INotebookContent> {
  const value = await readJsonFile(
    path,
    (message) => new NotebookFormatError(path, [`not JSON: ${message}`]),
  );
  return assertNotebook(value, path, { requireIds: false });
}

/** Validates `value` and returns it typed; throws {@link NotebookFormatError} listing every problem. */
export function assertNotebook(
  value: unknown,
  label: string,
  options: { requireIds?: boolean } = {},
): INotebookContent {
  const problems = validateNotebook(value, options);
  if (problems.length > 0) throw new NotebookFormatError(label, problems);
  return value as INotebookContent;
}

/**
 * Upgrades a 4.x notebook to 4.5 in place: gives every cell without one a
 * unique id and sets `nbformat_minor` to at least 5.
 */
export function normaliseNotebook(notebook: INotebookContent): INotebookContent {
  const seen = new Set<string>();
  for (const cell of notebook.cells) {
    let id = typeof cell.id === "string" && CELL_ID.test(cell.id) ? cell.id : undefined;
    while (id === undefined || seen.has(id)) id = newCellId();
    cell.id = id;
    seen.add(id);
  }
  notebook.nbformat = 4;
  notebook.nbformat_minor = Math.max(5, notebook.nbformat_minor ?? 0);
  return notebook;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function isMultiline(v: unknown): boolean {
  return typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
}

function checkMimeBundle(v: unknown, at: string, problems: string[]) {
  if (!isObject(v)) return problems.push(`${at}: expected an object (mime bundle)`);
  for (const [mime, value] of Object.entries(v)) {
    if (!/^[^/]+\/[^/]+$/.test(mime)) problems.push(`${at}: key "${mime}" is not a mime type`);
    else if (!mime.endsWith("json") && !mime.includes("+json") && !isMultiline(value)) {
      problems.push(`${at}["${mime}"]: expected a string or list of strings`);
    }
  }
}

function checkOutput(o: unknown, at: string, problems: string[]) {
  if (!isObject(o)) return problems.push(`${at}: expected an object`);
  const need = (key: string, ok: (v: unknown) => boolean, what: string) => {
    if (!(key in o)) problems.push(`${at}: missing "${key}"`);
    else if (!ok(o[key])) problems.push(`${at}.${key}: expected ${what}`);
  };
  switch (o.output_type) {
    case "stream":
      need("name", (v) => v === "stdout" || v === "stderr", '"stdout" or "stderr"');
      need("text", isMultiline, "a string or list of strings");
      break;
    case "display_data":
      need("data", isObject, "a mime bundle");
      need("metadata", isObject, "an object");
      if (isObject(o.data)) checkMimeBundle(o.data, `${at}.data`, problems);
      break;
    case "execute_result":
      need("data", isObject, "a mime bundle");
      need("metadata", isObject, "an object");
      need(
        "execution_count",
        (v) => v === null || (Number.isInteger(v) && (v as number) >= 0),
        "null or an integer ≥ 0",
      );
      if (isObject(o.data)) checkMimeBundle(o.data, `${at}.data`, problems);
      break;
    case "error":
      need("ename", (v) => typeof v === "string", "a string");
      need("evalue", (v) => typeof v === "string", "a string");
      need(
        "traceback",
        (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
        "a list of strings",
      );
      break;
    default:
      problems.push(`${at}.output_type: expected stream, display_data, execute_result or error`);
  }
}

/**
 * Checks `value` against the nbformat 4 rules and returns one line per problem
 * (empty when valid): top-level `nbformat` (4), `nbformat_minor`, `metadata`
 * and `cells`; per cell `cell_type`, `metadata`, `source` (string or list of
 * strings), and for code cells `outputs` and `execution_count`; per output the
 * keys its `output_type` requires. With `requireIds` (default: when
 * `nbformat_minor ≥ 5`), every cell needs a unique id matching
 * `^[a-zA-Z0-9-_]{1,64}$`.
 */
export function validateNotebook(
  value: unknown,
  options: { requireIds?: boolean } = {},
): string[] {
  const problems: string[] = [];
  if (!isObject(value)) return ["notebook: expected a JSON object"];
  if (value.nbformat !== 4) problems.push("nbformat: expected 4");
  if (!Number.isInteger(value.nbformat_minor) || (value.nbformat_minor as number) < 0) {
    problems.push("nbformat_minor: expected an integer ≥ 0");
  }
  if (!isObject(value.metadata)) problems.push("metadata: expected an object");
  if (!Array.isArray(value.cells)) return [...problems, "cells: expected a list"];
  const requireIds = options.requireIds ?? (value.nbformat_minor as number) >= 5;
  const ids = new Set<string>();
  value.cells.forEach((cell: unknown, i: number) => {
    const at = `cells[${i}]`;
    if (!isObject(cell)) return problems.push(`${at}: expected an object`);
    if (!isObject(cell.metadata)) problems.push(`${at}.metadata: expected an object`);
    if (!isMultiline(cell.source)) {
      problems.push(`${at}.source: expected a string or list of strings`);
    }
    if ("id" in cell || requireIds) {
      if (typeof cell.id !== "string" || !CELL_ID.test(cell.id)) {
        problems.push(`${at}.id: expected 1–64 characters of [a-zA-Z0-9-_]`);
      } else if (ids.has(cell.id)) problems.push(`${at}.id: "${cell.id}" is not unique`);
      else ids.add(cell.id);
    }
    switch (cell.cell_type) {
      case "code":
        if (!Array.isArray(cell.outputs)) problems.push(`${at}.outputs: expected a list`);
        else cell.outputs.forEach((o, j) => checkOutput(o, `${at}.outputs[${j}]`, problems));
        if (
          !("execution_count" in cell) ||
          !(cell.execution_count === null ||
            (Number.isInteger(cell.execution_count) && (cell.execution_count as number) >= 0))
        ) problems.push(`${at}.execution_count: expected null or an integer ≥ 0`);
        break;
      case "markdown":
      case "raw":
        if ("outputs" in cell) problems.push(`${at}: a ${cell.cell_type} cell has no outputs`);
        break;
      default:
        problems.push(`${at}.cell_type: expected code, markdown or raw`);
    }
  });
  return problems;
}

/**
 * Seconds a cell took to run, or `null` when not recorded. Reads
 * `metadata.emargin.seconds`, else Jupyter's `metadata.execution`
 * timestamps: `shell.execute_reply − (shell.execute_reply.started | iopub.execute_input)`.
 */
export function cellSeconds(cell: ICell): number | null {
  const meta = cell.metadata as Json | undefined;
  if (!meta) return null;
  const own = meta.emargin;
  if (isObject(own) && typeof own.seconds === "number" && Number.isFinite(own.seconds)) {
    return own.seconds;
  }
  const exec = meta.execution;
  if (!isObject(exec)) return null;
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
