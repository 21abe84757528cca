/**
 * One code-cell output to HTML. Text is always escaped; markup (SVG, HTML)
 * is embedded only for trusted notebooks and only when self-contained.
 *
 * @module
 */
import type { IMimeBundle, IOutput, MultilineString, OutputMetadata } from "@jupyterlab/nbformat";
import { DataFormatError } from "../errors.ts";
import { joinText } from "../notebook/nbformat.ts";
import { UnsafeContentError } from "./errors.ts";
import { escapeHtml, terminalTextToHtml } from "./html.ts";
import { renderMarkdown } from "./markdown.ts";
import { findExternalReferences } from "./resources.ts";

/** Where an output sits and how far its notebook is trusted. */
export interface OutputContext {
  /** Notebook path, for error messages. */
  notebook: string;
  /** Embed SVG/HTML markup as-is (our own notebooks only). */
  trusted: boolean;
  /** Location label, e.g. "cells[3].outputs[1]". */
  where: string;
  /** Heading-id prefix for markdown outputs. */
  idPrefix: string;
}

const BINARY_IMAGES = ["image/png", "image/jpeg", "image/gif"];

/**
 * Representation order, richest first, as Jupyter picks it. Untrusted
 * notebooks never embed markup: they fall through to images, markdown and
 * plain text, and only show SVG/HTML source as escaped text when nothing else exists.
 */
const TRUSTED_ORDER = [
  "image/svg+xml",
  "text/html",
  ...BINARY_IMAGES,
  "text/markdown",
  "text/plain",
];
const UNTRUSTED_ORDER = [...BINARY_IMAGES, "text/markdown", "text/plain"];
const MARKUP = ["image/svg+xml", "text/html"];

function text(value: unknown): string {
  if (typeof value === "string" || Array.isArray(value)) return joinText(value as MultilineString);
  return JSON.stringify(value, null, 2);
}

function assertSelfContained(markup: string, mime: string, ctx: OutputContext): void {
  const found = findExternalReferences(markup);
  if (found.length > 0) throw new UnsafeContentError(ctx.notebook, `${ctx.where} ${mime}`, found);
}

/** Drops the XML declaration, doctype and leading comments an SVG file may start with. */
function inlineSvg(svg: string): string {
  return svg.replace(/^\s*(?:<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--[\s\S]*?-->|\s)*/i, "");
}

function sizeAttributes(meta: OutputMetadata | undefined, mime: string): string {
  const m = meta?.[mime] as { width?: unknown; height?: unknown } | undefined;
  let attrs = "";
  if (typeof m?.width === "number") attrs += ` width="${m.width}"`;
  if (typeof m?.height === "number") attrs += ` height="${m.height}"`;
  return attrs;
}

/** Renders the richest representation of a mime bundle the trust level allows. */
export function renderMimeBundle(
  data: IMimeBundle,
  metadata: OutputMetadata | undefined,
  ctx: OutputContext,
): string {
  const order = ctx.trusted ? TRUSTED_ORDER : UNTRUSTED_ORDER;
  const mime = order.find((m) => data[m] !== undefined) ??
    MARKUP.find((m) => data[m] !== undefined);
  if (mime === undefined) {
    const kinds = Object.keys(data).map(escapeHtml).join(", ") || "none";
    return `<p class="output unknown">[output not shown: ${kinds}]</p>`;
  }
  const value = text(data[mime]);
  if (BINARY_IMAGES.includes(mime)) {
    const b64 = value.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      throw new DataFormatError(ctx.notebook, `${ctx.where}.data["${mime}"]`, "base64 data");
    }
    return `<div class="output image"><img src="data:${mime};base64,${b64}" alt="${mime} output"${
      sizeAttributes(metadata, mime)
    }></div>`;
  }
  if (!ctx.trusted && MARKUP.includes(mime)) {
    return `<pre class="output text untrusted" title="${mime} from an untrusted notebook">${
      escapeHtml(value)
    }</pre>`;
  }
  if (mime === "image/svg+xml") {
    const svg = inlineSvg(value);
    assertSelfContained(svg, mime, ctx);
    return `<div class="output svg">${svg}</div>`;
  }
  if (mime === "text/html") {
    assertSelfContained(value, mime, ctx);
    return `<div class="output html">${value}</div>`;
  }
  if (mime === "text/markdown") {
    const { html } = renderMarkdown(value, { trusted: ctx.trusted, idPrefix: ctx.idPrefix });
    assertSelfContained(html, mime, ctx);
    return `<div class="output markdown">${html}</div>`;
  }
  return `<pre class="output text">${terminalTextToHtml(value)}</pre>`;
}

/**
 * Renders one stored output: `stream` and `error` as escaped terminal text
 * (ANSI codes stripped), `display_data`/`execute_result` via {@linkcode renderMimeBundle}.
 */
export function renderOutput(output: IOutput, ctx: OutputContext): string {
  switch (output.output_type) {
    case "stream": {
      const name = output.name === "stderr" ? "stderr" : "stdout";
      return `<pre class="output stream ${name}">${terminalTextToHtml(text(output.text))}</pre>`;
    }
    case "error": {
      const tb = (output.traceback as string[]).join("\n");
      const body = tb.trim() ? tb : `${output.ename}: ${output.evalue}`;
      return `<pre class="output error">${terminalTextToHtml(body)}</pre>`;
    }
    case "display_data":
    case "execute_result":
      return renderMimeBundle(output.data as IMimeBundle, output.metadata as OutputMetadata, ctx);
    default:
      throw new DataFormatError(
        ctx.notebook,
        `${ctx.where}.output_type`,
        "stream, display_data, execute_result or error",
        String(output.output_type),
      );
  }
}

/**
 * Renders a cell's outputs in order, merging consecutive chunks of the same
 * stream (kernels send stdout in pieces) into one block. `ctx.where` names
 * the cell, e.g. "cells[3]".
 */
export function renderOutputs(outputs: IOutput[], ctx: OutputContext): string {
  const merged: { output: IOutput; index: number }[] = [];
  outputs.forEach((output, index) => {
    const last = merged.at(-1)?.output;
    if (
      last && last.output_type === "stream" && output.output_type === "stream" &&
      last.name === output.name
    ) {
      merged[merged.length - 1].output = {
        ...last,
        text: text(last.text) + text(output.text),
      };
    } else merged.push({ output, index });
  });
  return merged.map(({ output, index }) =>
    renderOutput(output, { ...ctx, where: `${ctx.where}.outputs[${index}]` })
  ).join("\n");
}
