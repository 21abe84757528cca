/**
 * Observable Plot charts rendered without a browser (a `linkedom` document),
 * displayed inline by the Deno Jupyter kernel and embedded in the report.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { type DomElement, parseDocument } from "./dom.ts";
import { encodeBase64 } from "./base64.ts";

/** The symbol the Deno Jupyter kernel calls to get an object's mime bundle. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Stand-in for the 256×1 `<canvas>` on which Plot paints continuous colour
 * ramps (legends). linkedom has no canvas, so this one records the colour of
 * each pixel and serialises the strip as an SVG `data:` image (one rect per
 * pixel), which keeps the chart self-contained and vector.
 */
function rampCanvas(): object {
  const colours: string[] = [];
  let fillStyle = "#000";
  const context = {
    get fillStyle(): string {
      return fillStyle;
    },
    set fillStyle(colour: string) {
      fillStyle = colour;
    },
    fillRect(x: number): void {
      colours[x] = fillStyle;
    },
  };
  return {
    width: 256,
    height: 1,
    getContext: () => context,
    toDataURL(): string {
      const n = colours.length;
      const rects = colours.map((c, i) =>
        `<rect x="${i}" width="1.5" height="1" fill="${c.replace(/[<>"&]/g, "")}"/>`
      ).join("");
      const svg = `<svg xmlns="${SVG_NS}" viewBox="0 0 ${n} 1" preserveAspectRatio="none" ` +
        `width="${n}" height="1">${rects}</svg>`;
      return `data:image/svg+xml;base64,${encodeBase64(new TextEncoder().encode(svg))}`;
    },
  };
}

/** A rendered chart. */
export interface PlotFigure {
  /** Mime type of {@linkcode PlotFigure.markup}: a bare chart is SVG, a chart with legends an HTML `<figure>`. */
  readonly mimeType: "image/svg+xml" | "text/html";
  /** The serialised chart: `<svg xmlns=…>` or `<figure>` holding legends and the chart's `<svg>`. */
  readonly markup: string;
  /** The chart's main `<svg>` element, serialised with its `xmlns`. */
  readonly svg: string;
  /** Same as {@linkcode PlotFigure.markup}. */
  toString(): string;
  /** Mime bundle for the Deno Jupyter kernel: `{ [mimeType]: markup }`. */
  [JUPYTER_DISPLAY](): Record<string, string>;
}

/** A server-side document whose `<canvas>` elements are {@linkcode rampCanvas} stand-ins. */
function plotDocument(): Plot.PlotOptions["document"] {
  const document = parseDocument("<!doctype html><html><head></head><body></body></html>") as
    & ReturnType<typeof parseDocument>
    & { createElement(name: string): unknown };
  const createElement = document.createElement.bind(document);
  document.createElement = (name: string) =>
    name.toLowerCase() === "canvas" ? rampCanvas() : createElement(name);
  return document as unknown as Plot.PlotOptions["document"];
}

const GEOMETRY_ATTRIBUTE = /\b(d|points|transform|x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"/g;

/**
 * Rounds the coordinates in an SVG's geometry attributes to 0.1 px (Plot
 * writes up to 15 digits; a report with ~140 charts carried ~1.8 MB of them).
 * Text content and data attributes are left as they are.
 */
export function roundGeometry(markup: string): string {
  return markup.replace(
    GEOMETRY_ATTRIBUTE,
    (_, name: string, value: string) =>
      `${name}="${
        value.replace(/-?\d+\.\d{2,}/g, (n) => String(Math.round(Number(n) * 10) / 10))
      }"`,
  );
}

/**
 * Renders `Plot.plot(options)` into a server-side DOM and serialises it.
 * Works wherever the module loads (Jupyter kernel, `deno run`, `deno test`);
 * the caller's `document` option, if any, is replaced.
 */
export function plot(options: Plot.PlotOptions): PlotFigure {
  const root = Plot.plot({ ...options, document: plotDocument() }) as unknown as DomElement;
  // Inline SVG in HTML needs no namespace, but a standalone image/svg+xml
  // document does; Plot (which builds with createElementNS) does not write it.
  // In a <figure>, legends come first and the chart's <svg> is the last direct child.
  const chart = root.localName === "svg"
    ? root
    : Array.from(root.children).findLast((child) => child.localName === "svg");
  for (const svg of root.localName === "svg" ? [root] : Array.from(root.querySelectorAll("svg"))) {
    if (!svg.getAttribute("xmlns")) svg.setAttribute("xmlns", SVG_NS);
  }
  const markup = roundGeometry(root.outerHTML);
  const svg = roundGeometry(chart?.outerHTML ?? "");
  const mimeType = root.localName === "svg" ? "image/svg+xml" : "text/html";
  return {
    mimeType,
    markup,
    svg,
    toString: () => markup,
    [JUPYTER_DISPLAY]: () => ({ [mimeType]: markup }),
  };
}

/**
 * A colour legend on its own, as HTML: `Plot.legend(options)` (swatches for
 * an ordinal scale, a ramp for a continuous one) in a `<div class="legend">`.
 * For charts drawn as small multiples that share one colour scale; pass the
 * same `color` options as the charts.
 *
 * @example
 * ```ts
 * import { legend } from "./plot.ts";
 * const html = legend({ color: { domain: ["W", "N1", "N2"], scheme: "tableau10" } });
 * ```
 */
export function legend(
  options: { color: Plot.ScaleOptions } & Omit<Plot.LegendOptions, "color">,
): string {
  // Plot.legend reads `document` like Plot.plot does; its types leave it out
  const withDocument = { ...options, document: plotDocument() } as Plot.LegendScales;
  const root = Plot.legend(withDocument) as unknown as DomElement | undefined;
  if (!root) return "";
  if (root.localName === "svg" && !root.getAttribute("xmlns")) root.setAttribute("xmlns", SVG_NS);
  for (const svg of Array.from(root.querySelectorAll("svg"))) {
    if (!svg.getAttribute("xmlns")) svg.setAttribute("xmlns", SVG_NS);
  }
  return `<div class="legend">${root.outerHTML}</div>`;
}
