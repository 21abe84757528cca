/**
 * Markdown cells to HTML with `marked` (GitHub-flavoured), made self-contained:
 * images become `data:` URIs or text, raw HTML passes only for trusted
 * notebooks, TeX stays plain text, headings get ids for the table of contents.
 *
 * @module
 */
import type { IAttachments } from "@jupyterlab/nbformat";
import { Marked, type MarkedExtension, type Tokens } from "marked";
import { escapeHtml } from "./html.ts";
import { encodeBase64 } from "./base64.ts";

/** A heading found while rendering, for the table of contents. */
export interface Heading {
  /** 1 for `#`, 2 for `##`, … */
  depth: number;
  /** Unique element id within the report. */
  id: string;
  /** The heading's inline HTML (already safe). */
  html: string;
  /** The heading as escaped text without tags, for links to it. */
  text: string;
}

/** Options of {@linkcode renderMarkdown}. */
export interface MarkdownOptions {
  /** Pass raw HTML through (our own notebooks) instead of showing it escaped. */
  trusted: boolean;
  /** Prefix of heading ids, unique per notebook, e.g. "nb2". */
  idPrefix: string;
  /** The cell's `attachments`, resolved for `![alt](attachment:name)` images. */
  attachments?: IAttachments;
  /** Ids already used in this notebook; new ids are added to it. */
  usedIds?: Set<string>;
}

/** Rendered markdown and the headings it holds. */
export interface RenderedMarkdown {
  html: string;
  headings: Heading[];
}

const IMAGE_MIMES = ["image/png", "image/jpeg", "image/gif", "image/svg+xml"];

/** Base64 of the UTF-8 bytes of `text`. */
function base64Utf8(text: string): string {
  return encodeBase64(new TextEncoder().encode(text));
}

/** `data:` URI of an attachment image, or null when the attachment has no image. */
function attachmentUri(attachments: IAttachments | undefined, name: string): string | null {
  const bundle = attachments?.[name];
  if (!bundle) return null;
  for (const mime of IMAGE_MIMES) {
    const raw = bundle[mime];
    if (raw === undefined) continue;
    const text = Array.isArray(raw) ? raw.join("") : String(raw);
    if (mime === "image/svg+xml") return `data:${mime};base64,${base64Utf8(text)}`;
    return `data:${mime};base64,${text.replace(/\s+/g, "")}`;
  }
  return null;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/<[^>]*>/g, "").replace(/&[a-z#0-9]+;/g, "")
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") || "section";
}

const INLINE_MATH = /^\$(?![\s$])((?:\\.|[^\\$\n])+?)(?<!\s)\$(?!\d)/;
const BLOCK_MATH = /^\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/;

/** A `marked` extension that keeps TeX verbatim. */
type MathExtension = NonNullable<MarkedExtension["extensions"]>[number];

/**
 * Keeps TeX between `delimiter`s verbatim: `pattern` (anchored, group 1 the
 * TeX) makes a `name` token, rendered as `<tag class="math">` holding the
 * escaped TeX between its delimiters, followed by `after`.
 */
function mathExtension(
  name: string,
  level: "block" | "inline",
  delimiter: string,
  pattern: RegExp,
  tag: "div" | "span",
  after: string,
): MathExtension {
  return {
    name,
    level,
    start: (src: string) => src.indexOf(delimiter),
    tokenizer(src: string) {
      const m = pattern.exec(src);
      return m ? { type: name, raw: m[0], text: m[1] } : undefined;
    },
    renderer: (token) =>
      `<${tag} class="math">${delimiter}${escapeHtml(token.text)}${delimiter}</${tag}>${after}`,
  };
}

/**
 * Renders a markdown cell's source. TeX between `$…$` / `$$…$$` is kept
 * verbatim as text (in `span.math` / `div.math`) so emphasis rules do not
 * mangle it. Links keep their `href` only for `http(s)`, `mailto` and
 * `#fragment` targets (navigation, never loaded by the page); images must be
 * `data:` URIs or cell attachments, others are replaced by a link or text.
 */
export function renderMarkdown(source: string, options: MarkdownOptions): RenderedMarkdown {
  const headings: Heading[] = [];
  const used = options.usedIds ?? new Set<string>();
  const marked = new Marked({
    gfm: true,
    async: false,
    extensions: [
      mathExtension("blockMath", "block", "$$", BLOCK_MATH, "div", "\n"),
      mathExtension("inlineMath", "inline", "$", INLINE_MATH, "span", ""),
    ],
    renderer: {
      heading({ tokens, depth }: Tokens.Heading): string {
        const html = this.parser.parseInline(tokens);
        let id = `${options.idPrefix}-${slug(html)}`;
        for (let k = 2; used.has(id); k++) id = `${options.idPrefix}-${slug(html)}-${k}`;
        used.add(id);
        headings.push({ depth, id, html, text: html.replace(/<[^>]*>/g, "") });
        const level = Math.min(depth + 1, 6);
        return `<h${level} id="${id}">${html}</h${level}>\n`;
      },
      html({ text }: Tokens.HTML | Tokens.Tag): string {
        return options.trusted ? text : escapeHtml(text);
      },
      link({ href, title, tokens }: Tokens.Link): string {
        const text = this.parser.parseInline(tokens);
        if (!/^(https?:|mailto:|#)/i.test(href.trim())) {
          return `<span class="link" title="${escapeHtml(href)}">${text}</span>`;
        }
        const t = title ? ` title="${escapeHtml(title)}"` : "";
        return `<a href="${escapeHtml(href)}"${t} rel="noreferrer">${text}</a>`;
      },
      image({ href, title, text }: Tokens.Image): string {
        const alt = escapeHtml(text);
        const t = title ? ` title="${escapeHtml(title)}"` : "";
        const src = href.startsWith("attachment:")
          ? attachmentUri(options.attachments, href.slice("attachment:".length))
          : /^data:image\//i.test(href)
          ? href
          : null;
        if (src !== null) return `<img src="${escapeHtml(src)}" alt="${alt}"${t}>`;
        if (/^https?:/i.test(href)) {
          return `<a href="${escapeHtml(href)}" rel="noreferrer">[image: ${alt || "link"}]</a>`;
        }
        return `<span class="missing-image">[image: ${alt || escapeHtml(href)}]</span>`;
      },
    },
  });
  const html = marked.parse(source, { async: false }) as string;
  return { html, headings };
}
