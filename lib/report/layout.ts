/**
 * Layout check of a built report in headless Chromium. The report has no
 * JavaScript of its own, so a copy of it gets a measuring script, which after
 * `load` writes what it found into the DOM (`<pre id="layout-probe">`, JSON);
 * {@linkcode dumpDom} returns that DOM. What is checked, at each window width:
 *
 * - nothing is wider than its column: every element stays inside the text
 *   column (the body's content box), or inside its `.panel` when it is in
 *   one, unless it sits in a horizontal scroll box (`overflow-x` not
 *   visible), and the page does not scroll sideways;
 * - every `<svg>` shown has content: a drawing element and a non-empty
 *   bounding box;
 * - every legend (`.legend`, Plot's swatches and ramps) has a non-empty size
 *   and text, and swatch legends hold at least one swatch;
 * - every image has loaded (non-zero natural size).
 *
 * @module
 */
import { join } from "node:path";
import { type BrowserOptions, dumpDom } from "./browser.ts";
import { ReportError } from "./errors.ts";

/** What the probe measured at one window width. */
export interface LayoutReport {
  /** Window width in CSS pixels. */
  width: number;
  /** Counts of what was checked. */
  counts: { elements: number; svgs: number; legends: number; images: number; scrollBoxes: number };
  /** One line per problem; empty when the layout is sound. */
  problems: string[];
}

const PROBE_ID = "layout-probe";

/** The measuring script (plain browser JavaScript, run on `load`). */
export const LAYOUT_PROBE = `
addEventListener("load", () => {
  const problems = [];
  const counts = { elements: 0, svgs: 0, legends: 0, images: 0, scrollBoxes: 0 };
  const where = (el) => {
    const nb = el.closest("article.notebook");
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\\s+/).join(".") : "";
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    return (nb ? nb.id + " " : "") + el.localName + cls + (text ? ' "' + text + '"' : "");
  };
  const scrolls = (el) => { const o = getComputedStyle(el).overflowX; return o !== "visible" && o !== "clip"; };
  const inScrollBox = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) if (scrolls(p)) return true;
    return false;
  };
  const bs = getComputedStyle(document.body), br = document.body.getBoundingClientRect();
  const column = { left: br.left + parseFloat(bs.paddingLeft), right: br.right - parseFloat(bs.paddingRight) };
  const doc = document.documentElement;
  if (doc.scrollWidth > innerWidth + 1) problems.push("the page scrolls sideways: " + doc.scrollWidth + " px wide in a " + innerWidth + " px window");
  const wide = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    if (el.closest("#${PROBE_ID}, style, script") || (el.ownerSVGElement && el.localName !== "svg")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    counts.elements++;
    if (scrolls(el) && el.scrollWidth > el.clientWidth) counts.scrollBoxes++;
    if (inScrollBox(el)) continue;
    const panel = el.parentElement && el.parentElement.closest(".panel");
    const box = panel ? panel.getBoundingClientRect() : column;
    if (r.right > box.right + 1 || r.left < box.left - 1) {
      wide.add(el);
      if (wide.has(el.parentElement)) continue; // its container is already reported
      problems.push(where(el) + ": " + Math.round(r.left) + "–" + Math.round(r.right) + " px, outside its " + (panel ? "panel" : "column") + " " + Math.round(box.left) + "–" + Math.round(box.right));
    }
  }
  for (const svg of document.querySelectorAll("svg")) {
    const r = svg.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    counts.svgs++;
    const drawn = svg.querySelectorAll("path, circle, rect, line, polyline, polygon, ellipse, text, image, use").length;
    let bbox = { width: 0, height: 0 };
    try { bbox = svg.getBBox(); } catch (_) { /* not rendered */ }
    if (drawn === 0 || (bbox.width === 0 && bbox.height === 0)) problems.push(where(svg) + ": an empty <svg> (" + Math.round(r.width) + "×" + Math.round(r.height) + ")");
  }
  for (const legend of document.querySelectorAll(".legend, [class$='-swatches'], [class*='-swatches '], svg[class$='-ramp']")) {
    counts.legends++;
    const r = legend.getBoundingClientRect();
    const text = (legend.textContent || "").replace(/:where[^}]*}/g, "").trim();
    const swatchList = legend.matches("[class*='-swatches']") || legend.querySelector("[class*='-swatches']");
    const swatches = legend.querySelectorAll("[class$='-swatch'] svg, [class*='-swatch '] svg").length;
    if (r.width === 0 || r.height === 0 || !text) problems.push(where(legend) + ": an empty legend");
    else if (swatchList && swatches === 0) problems.push(where(legend) + ": a legend without swatches");
  }
  for (const img of document.querySelectorAll("img")) {
    counts.images++;
    if (!img.complete || img.naturalWidth === 0) problems.push(where(img) + ": an image that did not load");
  }
  const pre = document.createElement("pre");
  pre.id = "${PROBE_ID}";
  pre.textContent = JSON.stringify({ width: innerWidth, counts, problems });
  document.body.append(pre);
});
`;

/** The report's HTML with {@linkcode LAYOUT_PROBE} added at the end of `<body>`. */
export function withLayoutProbe(html: string): string {
  const at = html.lastIndexOf("</body>");
  if (at < 0) throw new ReportError(null, "layout check: expected </body> in the report");
  return `${html.slice(0, at)}<script>${LAYOUT_PROBE}</script>\n${html.slice(at)}`;
}

/** Reads the probe's JSON back out of a DOM dump. */
export function readLayoutProbe(dom: string): LayoutReport {
  const m = new RegExp(`<pre id="${PROBE_ID}">([^<]*)</pre>`).exec(dom);
  if (!m) throw new ReportError(null, `layout check: no <pre id="${PROBE_ID}"> in the page's DOM`);
  const text = m[1].replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'").replace(/&nbsp;/g, "\u00a0").replace(/&amp;/g, "&");
  return JSON.parse(text) as LayoutReport;
}

/**
 * Checks the layout of the report at `reportFile` at each window width
 * (default 1400 and 800 px) in headless Chromium; the report itself is not
 * modified (a probed copy is written to a temporary folder).
 *
 * @example
 * ```ts ignore
 * import { checkLayout } from "./layout.ts";
 * for (const r of await checkLayout("reports/index.html")) console.log(r.width, r.problems);
 * ```
 */
export async function checkLayout(
  reportFile: string,
  { widths = [1400, 800], ...options }: BrowserOptions & { widths?: number[] } = {},
): Promise<LayoutReport[]> {
  const dir = await Deno.makeTempDir({ prefix: "emargin-layout-" });
  try {
    const probed = join(dir, "index.html");
    await Deno.writeTextFile(probed, withLayoutProbe(await Deno.readTextFile(reportFile)));
    const reports: LayoutReport[] = [];
    for (const width of widths) {
      reports.push(readLayoutProbe(await dumpDom(probed, { ...options, width })));
    }
    return reports;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
