/**
 * Notebook parameters, as papermill does them for Python, adapted to the Deno
 * kernel.
 *
 * Convention: the cell tagged `parameters` declares each parameter with `let`
 * (or `var`), one declaration per statement:
 *
 *     let epochs = 10;
 *     let dataset: string = "harth";
 *
 * A run with parameters inserts, right after it, a cell tagged
 * `injected-parameters` holding plain assignments (`epochs = 50;`), so the
 * values override the defaults and every later cell sees them. Assignments
 * (not re-declarations) are injected because a `const` cannot be reassigned and
 * re-declaring bindings across cells is fragile; a parameter declared with
 * `const` is therefore an error, as is any name the parameters cell does not
 * declare.
 *
 * @module
 */
import type { ICodeCell, INotebookContent } from "@jupyterlab/nbformat";
import { ParameterError } from "./errors.ts";
import { cellSource, cellTags, newCellId } from "./nbformat.ts";

/** A parameter value: any JSON value. */
export type ParameterValue =
  | null
  | boolean
  | number
  | string
  | ParameterValue[]
  | { [key: string]: ParameterValue };

/** Parameter values by name. */
export type Parameters = Record<string, ParameterValue>;

/** Tag of the cell that declares the parameters. */
export const PARAMETERS_TAG = "parameters";
/** Tag of the cell the runner inserts with the given values. */
export const INJECTED_TAG = "injected-parameters";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Types a command-line value: `true`/`false` → boolean, a decimal number →
 * number, text starting with `{`, `[` or `"`, or `null` → parsed as JSON,
 * anything else → the string itself.
 * @throws ParameterError when JSON-looking text does not parse.
 */
export function parseParameterValue(text: string, name = "value"): ParameterValue {
  const trimmed = text.trim();
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  if (trimmed === "null") return null;
  if (NUMBER.test(trimmed)) return Number(trimmed);
  if (/^[{["]/.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as ParameterValue;
    } catch (err) {
      throw new ParameterError(
        `parameter ${name}: expected JSON, found ${text} (${(err as Error).message})`,
      );
    }
  }
  return text;
}

/**
 * Parses `key=value` arguments (e.g. repeated `--param`) into typed values
 * ({@link parseParameterValue}); a later key wins.
 * @throws ParameterError on a missing `=` or a key that is not an identifier.
 */
export function parseParameterArgs(args: readonly string[]): Parameters {
  const params: Parameters = {};
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) throw new ParameterError(`parameter "${arg}": expected key=value`);
    const name = arg.slice(0, eq).trim();
    if (!IDENTIFIER.test(name)) {
      throw new ParameterError(`parameter "${arg}": "${name}" is not an identifier`);
    }
    params[name] = parseParameterValue(arg.slice(eq + 1), name);
  }
  return params;
}

/**
 * The names a parameters cell declares and how (`let`, `var` or `const`),
 * read from top-level `let|var|const NAME` statements (comments ignored).
 */
export function declaredParameters(source: string): Map<string, "let" | "var" | "const"> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const names = new Map<string, "let" | "var" | "const">();
  for (
    const m of code.matchAll(/(?:^|[;\n])\s*(?:export\s+)?(let|var|const)\s+([A-Za-z_$][\w$]*)/g)
  ) {
    names.set(m[2], m[1] as "let" | "var" | "const");
  }
  return names;
}

/**
 * The source of the injected cell: one `name = <JSON literal>;` line per
 * parameter, then `void 0;`.
 */
export function renderParameters(params: Parameters): string {
  const lines = Object.entries(params).map(([name, value]) =>
    `${name} = ${JSON.stringify(value)};`
  );
  // `void 0` makes `undefined` the cell's value, so the cell shows no result.
  return ["// Parameters injected by the notebook runner.", ...lines, "void 0;"].join("\n");
}

/**
 * Returns a copy of `notebook` with an `injected-parameters` cell after the
 * `parameters` cell (replacing an earlier injected cell). With no parameters
 * the notebook is returned unchanged.
 * @throws ParameterError when there is no `parameters` cell, or a name is not
 * declared there with `let`/`var`.
 */
export function injectParameters(notebook: INotebookContent, params: Parameters): INotebookContent {
  const names = Object.keys(params);
  if (names.length === 0) return notebook;
  const cells = notebook.cells.filter((c) => !cellTags(c).includes(INJECTED_TAG));
  const at = cells.findIndex((c) => c.cell_type === "code" && cellTags(c).includes(PARAMETERS_TAG));
  if (at < 0) {
    throw new ParameterError(
      `unknown parameter(s) ${
        names.join(", ")
      }: the notebook has no cell tagged "${PARAMETERS_TAG}"`,
    );
  }
  const declared = declaredParameters(cellSource(cells[at]));
  const unknown = names.filter((n) => !declared.has(n));
  if (unknown.length > 0) {
    throw new ParameterError(
      `unknown parameter(s) ${unknown.join(", ")}: the parameters cell declares ${
        [...declared.keys()].join(", ") || "nothing"
      }`,
    );
  }
  const constant = names.filter((n) => declared.get(n) === "const");
  if (constant.length > 0) {
    throw new ParameterError(
      `parameter(s) ${constant.join(", ")} are declared with const; declare them with let`,
    );
  }
  const injected: ICodeCell = {
    id: newCellId(),
    cell_type: "code",
    metadata: { tags: [INJECTED_TAG] },
    source: renderParameters(params),
    outputs: [],
    execution_count: null,
  };
  return { ...notebook, cells: [...cells.slice(0, at + 1), injected, ...cells.slice(at + 1)] };
}
