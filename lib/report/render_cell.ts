/**
 * One notebook cell to HTML: markdown rendered, code collapsible in a
 * `<details>` element with its outputs always visible below.
 *
 * @module
 */
import type { IAttachments, ICell, IOutput } from "@jupyterlab/nbformat";
import { cellSeconds, joinText } from "../notebook/nbformat.ts";
import { UnsafeContentError } from "./errors.ts";
import { escapeHtml } from "./html.ts";
import { type Heading, renderMarkdown } from "./markdown.ts";
import { renderOutputs } from "./render_output.ts";
import { findExternalReferences } from "./resources.ts";

/** What a cell needs to know about its notebook. */
export interface CellContext {
  /** Notebook path, for error messages. */
  notebook: string;
  /** Embed markup from this notebook as-is. */
  trusted: boolean;
  /** Id prefix unique to the notebook, e.g. "nb2". */
  idPrefix: string;
  /** Heading ids used so far in the notebook. */
  usedIds: Set<string>;
}

/** A rendered cell and the markdown headings it contributes to the table of contents. */
export interface RenderedCell {
  html: string;
  headings: Heading[];
}

/** Formats seconds for people: "0.42 s", "12.3 s", "3 min 05 s". */
export function formatSeconds(seconds: number): string {
  if (seconds < 10) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${String(Math.round(seconds - 60 * m)).padStart(2, "0")} s`;
}

/** Renders cell `index` of a notebook. */
export function renderCell(cell: ICell, index: number, ctx: CellContext): RenderedCell {
  const where = `cells[${index}]`;
  const source = joinText(cell.source);
  if (cell.cell_type === "markdown") {
    const { html, headings } = renderMarkdown(source, {
      trusted: ctx.trusted,
      idPrefix: ctx.idPrefix,
      attachments: cell.attachments as IAttachments | undefined,
      usedIds: ctx.usedIds,
    });
    const found = findExternalReferences(html);
    if (found.length > 0) throw new UnsafeContentError(ctx.notebook, `${where} markdown`, found);
    return { html: `<section class="cell markdown">${html}</section>`, headings };
  }
  if (cell.cell_type !== "code") {
    return { html: `<pre class="cell raw">${escapeHtml(source)}</pre>`, headings: [] };
  }
  const count = typeof cell.execution_count === "number" ? String(cell.execution_count) : " ";
  const seconds = cellSeconds(cell);
  const timing = seconds === null ? "" : ` <span class="time">${formatSeconds(seconds)}</span>`;
  const firstLine = source.split("\n").find((line) => line.trim() !== "") ?? "";
  const outputs = renderOutputs(cell.outputs as IOutput[], {
    notebook: ctx.notebook,
    trusted: ctx.trusted,
    where,
    idPrefix: `${ctx.idPrefix}-c${index}`,
  });
  const html = `<section class="cell code">
<details class="source"><summary><span class="prompt">In [${count}]</span> <code>${
    escapeHtml(firstLine.slice(0, 100))
  }</code>${timing}</summary>
<pre><code>${escapeHtml(source)}</code></pre>
</details>
${outputs ? `<div class="outputs">${outputs}</div>` : ""}
</section>`;
  return { html, headings: [] };
}
