/**
 * Executed notebooks → one self-contained static HTML report: inline CSS,
 * inline SVG, images as `data:` URIs, no scripts, nothing fetched from elsewhere.
 *
 * @module
 */
import type { INotebookContent, IOutput } from "@jupyterlab/nbformat";
import { join, relative, resolve } from "node:path";
import { OptionError } from "../errors.ts";
import { assertNotebook, notebookSeconds } from "../notebook/nbformat.ts";
import { writeFileAtomic } from "../io.ts";
import { repoRoot } from "../paths.ts";
import { NotebookFailedError, UnsafeContentError } from "./errors.ts";
import { renderHeader, type ReportHeader } from "./header.ts";
import { escapeHtml } from "./html.ts";
import type { Heading } from "./markdown.ts";
import { formatSeconds, renderCell } from "./render_cell.ts";
import { renderOutputs } from "./render_output.ts";
import { findExternalReferences } from "./resources.ts";
import { REPORT_CSS } from "./styles.ts";
import { layoutTables } from "./tables.ts";

/** One executed notebook to include in the report. */
export interface ReportNotebook {
  /** Path of the `.ipynb` file, shown in the report. */
  path: string;
  /** The executed notebook (nbformat 4); validated again here. */
  notebook: INotebookContent;
  /** Wall-clock seconds of the run; default the sum of the recorded cell times. */
  seconds?: number;
  /**
   * Embed this notebook's `text/html` and `image/svg+xml` outputs and raw HTML
   * in markdown as-is. Default: {@linkcode isOwnNotebook}(path). Untrusted
   * markup is shown as escaped source text.
   */
  trusted?: boolean;
}

/** Options of {@linkcode buildReport}. */
export interface BuildReportOptions {
  /** Notebooks in report order (at least one). */
  notebooks: ReportNotebook[];
  /** Output file; default `reports/index.html` in the repository. */
  outFile?: string;
  /** Report title (the page's `<h1>`). */
  title: string;
  /** Provenance shown at the top. */
  header: ReportHeader;
  /** Throw {@linkcode NotebookFailedError} when any cell has an `error` output. Default false. */
  failOnError?: boolean;
}

/** Per-notebook summary of a built report. */
export interface NotebookSummary {
  path: string;
  /** Run time in seconds, or null when unknown. */
  seconds: number | null;
  /** Number of `error` outputs. */
  errors: number;
}

/** What {@linkcode buildReport} wrote. */
export interface BuildReportResult {
  /** Absolute path of the report. */
  outFile: string;
  /** Size of the report in bytes (UTF-8). */
  bytes: number;
  notebooks: NotebookSummary[];
}

/** True when `path` lies inside this repository's `notebooks/` folder (relative paths: from the repository root). */
export function isOwnNotebook(path: string): boolean {
  const rel = relative(join(repoRoot, "notebooks"), resolve(repoRoot, path));
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}

function errorOutputs(notebook: INotebookContent): { cell: number; output: IOutput }[] {
  const found: { cell: number; output: IOutput }[] = [];
  notebook.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    for (const output of cell.outputs as IOutput[]) {
      if (output.output_type === "error") found.push({ cell: i, output });
    }
  });
  return found;
}

interface RenderedNotebook {
  id: string;
  path: string;
  html: string;
  headings: Heading[];
  summary: NotebookSummary;
  /** Shown as the report's front page (outputs only, before the contents). */
  front: boolean;
}

/**
 * Whether a notebook is the report's front page: its metadata says
 * `"emargin": { "front_page": true }`. A front page shows only its outputs,
 * right under the header, so the first screen is the summary; its code stays
 * in the `.ipynb` for those who open it in Jupyter.
 */
export function isFrontPage(notebook: INotebookContent): boolean {
  const meta = notebook.metadata?.emargin as { front_page?: unknown } | undefined;
  return meta?.front_page === true;
}

function renderFrontPage(id: string, notebook: INotebookContent, ctx: {
  notebook: string;
  trusted: boolean;
}): string {
  const outputs = notebook.cells.map((cell, i) =>
    cell.cell_type === "code"
      ? renderOutputs(cell.outputs as IOutput[], {
        ...ctx,
        where: `cells[${i}]`,
        idPrefix: `${id}-c${i}`,
      })
      : ""
  ).filter((html) => html !== "");
  return `<section class="front-page" id="${id}">${layoutTables(outputs.join("\n"))}</section>`;
}

function renderNotebook(
  entry: ReportNotebook,
  index: number,
  failOnError: boolean,
): RenderedNotebook {
  const notebook = assertNotebook(entry.notebook, entry.path, { requireIds: false });
  const errors = errorOutputs(notebook);
  if (failOnError && errors.length > 0) {
    const { cell, output } = errors[0];
    throw new NotebookFailedError(entry.path, cell, String(output.ename), String(output.evalue));
  }
  const id = `nb${index + 1}`;
  const ctx = {
    notebook: entry.path,
    trusted: entry.trusted ?? isOwnNotebook(entry.path),
    idPrefix: id,
    usedIds: new Set<string>(),
  };
  const headings: Heading[] = [];
  const cells = notebook.cells.map((cell, i) => {
    const rendered = renderCell(cell, i, ctx);
    headings.push(...rendered.headings);
    return rendered.html;
  });
  const seconds = entry.seconds ?? notebookSeconds(notebook);
  const summary = { path: entry.path, seconds, errors: errors.length };
  if (ctx.trusted && isFrontPage(notebook)) {
    return {
      id,
      path: entry.path,
      html: renderFrontPage(id, notebook, ctx),
      headings: [],
      summary,
      front: true,
    };
  }
  const time = seconds === null ? "" : ` · ${formatSeconds(seconds)}`;
  const html = `<article class="notebook" id="${id}">
<h2 class="nb-title">${escapeHtml(entry.path)}</h2>
<p class="nb-path">${notebook.cells.length} cells${time}${
    ctx.trusted ? "" : " · untrusted: markup shown as text"
  }</p>
${layoutTables(cells.join("\n"))}
</article>`;
  return {
    id,
    path: entry.path,
    html,
    headings,
    summary,
    front: false,
  };
}

function renderTimings(notebooks: RenderedNotebook[]): string {
  const rows = notebooks.map(({ id, summary }) => {
    const status = summary.errors === 0
      ? "ok"
      : `<span class="status-error">${summary.errors} error${summary.errors > 1 ? "s" : ""}</span>`;
    const time = summary.seconds === null ? "—" : formatSeconds(summary.seconds);
    return `<tr><td><a href="#${id}">${
      escapeHtml(summary.path)
    }</a></td><td>${status}</td><td class="num">${time}</td></tr>`;
  });
  const known = notebooks.map((n) => n.summary.seconds).filter((s): s is number => s !== null);
  const total = known.length ? formatSeconds(known.reduce((a, b) => a + b, 0)) : "—";
  return `<table class="timings"><thead><tr><th>Notebook</th><th>Status</th><th class="num">Time</th></tr></thead>
<tbody>${rows.join("\n")}</tbody>
<tfoot><tr><th>Total</th><th></th><th class="num">${total}</th></tr></tfoot></table>`;
}

function renderToc(notebooks: RenderedNotebook[]): string {
  const items = notebooks.filter((n) => !n.front).map(({ id, path, headings }) => {
    const sub = headings.map((h) =>
      `<li class="toc-h${h.depth}"><a href="#${h.id}">${h.text}</a></li>`
    ).join("");
    return `<li class="toc-notebook"><a href="#${id}">${escapeHtml(path)}</a></li>${sub}`;
  });
  return `<nav class="toc" aria-labelledby="contents"><h2 id="contents">Contents</h2><ol>${
    items.join("\n")
  }</ol></nav>`;
}

/**
 * Renders the report as one HTML document (no file written). Throws
 * {@linkcode OptionError} for an empty notebook list, `DataFormatError` for a
 * malformed notebook, {@linkcode NotebookFailedError} (with `failOnError`) and
 * {@linkcode UnsafeContentError} for markup that is not self-contained.
 */
export function renderReport(
  options: BuildReportOptions,
): { html: string; notebooks: NotebookSummary[] } {
  if (!Array.isArray(options.notebooks) || options.notebooks.length === 0) {
    throw new OptionError("buildReport: notebooks: expected at least one notebook");
  }
  const notebooks = options.notebooks.map((entry, i) =>
    renderNotebook(entry, i, options.failOnError ?? false)
  );
  const title = escapeHtml(options.title);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="report-header">
<h1>${title}</h1>
${renderHeader(options.header)}
</header>
${notebooks.filter((n) => n.front).map((n) => n.html).join("\n")}
<section class="summary"><h2 id="notebooks">Notebooks</h2>
${renderTimings(notebooks)}
</section>
${renderToc(notebooks)}
${notebooks.filter((n) => !n.front).map((n) => n.html).join("\n")}
</body>
</html>
`;
  const found = findExternalReferences(html);
  if (found.length > 0) throw new UnsafeContentError(null, "report", found);
  return { html, notebooks: notebooks.map((n) => n.summary) };
}

/**
 * Builds the report and writes it atomically to `outFile` (temp file in the
 * same folder, then rename): on any error nothing is written and a previous
 * report stays byte-identical.
 *
 * @example A report of one markdown cell, written to a temporary folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { buildReport } from "./build.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const { outFile, bytes } = await buildReport({
 *   title: "A study",
 *   outFile: join(dir, "index.html"),
 *   header: {
 *     date: new Date(0).toISOString(),
 *     commit: "unknown",
 *     denoVersion: Deno.version.deno,
 *     tfjsVersion: "4.22.0",
 *     backend: "cpu",
 *     adapter: null,
 *     dataDir: "data",
 *     profile: "quick",
 *   },
 *   notebooks: [{
 *     path: "notebooks/intro.ipynb",
 *     notebook: {
 *       nbformat: 4,
 *       nbformat_minor: 5,
 *       metadata: {},
 *       cells: [{ id: "a1", cell_type: "markdown", metadata: {}, source: "# Results" }],
 *     },
 *   }],
 * });
 * assert.ok(outFile.endsWith("index.html") && bytes > 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function buildReport(options: BuildReportOptions): Promise<BuildReportResult> {
  const { html, notebooks } = renderReport(options);
  const outFile = resolve(options.outFile ?? join(repoRoot, "reports", "index.html"));
  const bytes = new TextEncoder().encode(html);
  await writeFileAtomic(outFile, bytes);
  return { outFile, bytes: bytes.length, notebooks };
}
