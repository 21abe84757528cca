import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import { DOMParser } from "linkedom";
import {
  dotsAsPaths,
  findExternalReferences,
  formatNumber,
  heatmapFigure,
  isNumericCell,
  JUPYTER_DISPLAY,
  layoutTables,
  legend,
  placeLabels,
  plot,
  roundGeometry,
} from "../lib/report/mod.ts";

const SVG_NS = "http://www.w3.org/2000/svg";

interface XmlElement {
  localName: string;
  children: ArrayLike<XmlElement>;
  getAttribute(name: string): string | null;
  querySelectorAll(selectors: string): ArrayLike<XmlElement>;
}

/** Parses markup as a standalone XML document, as an `image/svg+xml` viewer would. */
function parseXml(markup: string): XmlElement {
  const doc = new DOMParser().parseFromString(markup, "image/svg+xml") as unknown as {
    documentElement: XmlElement;
  };
  return doc.documentElement;
}

const points = [
  { x: 1, y: 2, group: "walking", score: 0.1 },
  { x: 2, y: 1, group: "running", score: 0.7 },
  { x: 3, y: 3, group: "sitting", score: 0.4 },
];

Deno.test("plot: a chart without legend is standalone SVG with xmlns and all its marks", () => {
  const figure = plot({ marks: [Plot.lineY([3, 1, 4, 1, 5]), Plot.ruleY([0])] });
  assert.equal(figure.mimeType, "image/svg+xml");
  assert.equal(figure.markup, figure.svg);
  assert.equal(String(figure), figure.markup);
  assert.deepEqual(Object.keys(figure[JUPYTER_DISPLAY]()), ["image/svg+xml"]);
  assert.equal(figure[JUPYTER_DISPLAY]()["image/svg+xml"], figure.svg);
  assert.equal(JUPYTER_DISPLAY, Symbol.for("Jupyter.display"));

  const root = parseXml(figure.svg);
  assert.equal(root.localName, "svg");
  assert.equal(root.getAttribute("xmlns"), SVG_NS);
  assert.equal(root.getAttribute("viewBox"), "0 0 640 400");
  // style, axes, the line and the rule all survive serialisation.
  assert.ok(root.children.length >= 4, `children: ${root.children.length}`);
  const line = Array.from(root.querySelectorAll("path")).find((p) =>
    /^M[\d.,]+L/.test(p.getAttribute("d") ?? "")
  );
  assert.ok(line, "the line mark is a path with a polyline");
  assert.ok(root.querySelectorAll("line").length > 0, "ticks and the rule are lines");
  assert.deepEqual(findExternalReferences(figure.svg), []);
});

Deno.test("plot: a chart with a legend is an HTML figure; svg is the chart itself", () => {
  const figure = plot({
    color: { legend: true },
    marks: [Plot.dot(points, { x: "x", y: "y", fill: "group" })],
  });
  assert.equal(figure.mimeType, "text/html");
  assert.deepEqual(Object.keys(figure[JUPYTER_DISPLAY]()), ["text/html"]);
  assert.match(figure.markup, /^<figure[\s>]/);
  assert.ok(figure.markup.includes(figure.svg));
  for (const label of ["walking", "running", "sitting"]) assert.ok(figure.markup.includes(label));

  const chart = parseXml(figure.svg);
  assert.equal(chart.getAttribute("xmlns"), SVG_NS);
  assert.ok(!/swatch|ramp/.test(chart.getAttribute("class") ?? ""), "not a legend svg");
  assert.equal(chart.querySelectorAll("circle").length, 3);
});

Deno.test("plot: continuous colour legends render without a canvas, as an inline image", () => {
  const figure = plot({
    color: { legend: true, type: "linear" },
    marks: [Plot.dot(points, { x: "x", y: "y", fill: "score" })],
  });
  assert.equal(figure.mimeType, "text/html");
  const href = /<image[^>]*href="(data:image\/svg\+xml;base64,[^"]+)"/.exec(figure.markup)?.[1];
  assert.ok(href, "the ramp is an inline data: image");
  const ramp = atob(href.slice(href.indexOf(",") + 1));
  const colours = Array.from(ramp.matchAll(/fill="(rgb\([^"]+\))"/g), (m) => m[1]);
  assert.equal(colours.length, 256);
  assert.ok(new Set(colours).size > 100, "the ramp is a gradient");
  assert.deepEqual(findExternalReferences(figure.markup), []);
});

Deno.test("legend: an ordinal colour legend is HTML swatches, one per class, with their names", () => {
  const classes = ["wake", "N1", "N2", "N3", "REM"];
  const html = legend({ color: { domain: classes, scheme: "tableau10" } });
  assert.match(html, /^<div class="legend">/);
  const swatches = html.match(/class="plot-[0-9a-f]+-swatch"/g) ?? [];
  assert.equal(swatches.length, classes.length);
  for (const c of classes) assert.ok(html.includes(`</svg>${c}</span>`), c);
  assert.equal((html.match(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g) ?? []).length, 5);
  assert.deepEqual(findExternalReferences(html), []);
});

Deno.test("placeLabels: labels of clustered points overlap neither each other nor the dots", () => {
  // nine points, five of them within a few pixels of each other
  const xy = [[100, 100], [103, 100], [106, 101], [100, 104], [104, 97], [40, 40], [200, 150]];
  const points = xy.map(([x, y], i) => ({ x, y, text: String(i + 1) }));
  const placed = placeLabels(points, { bounds: [0, 0, 300, 200] });
  const box = (i: number) => {
    const w = points[i].text.length * 6, { x, y, anchor } = placed[i];
    const x0 = anchor === "start" ? x : anchor === "end" ? x - w : x - w / 2;
    return [x0, y - 5.5, x0 + w, y + 5.5];
  };
  const hit = (a: number[], b: number[]) =>
    Math.min(a[2], b[2]) > Math.max(a[0], b[0]) && Math.min(a[3], b[3]) > Math.max(a[1], b[1]);
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      assert.ok(!hit(box(i), box(j)), `labels ${i}, ${j}`);
    }
    for (const [x, y] of xy) assert.ok(!hit(box(i), [x - 4, y - 4, x + 4, y + 4]), `label ${i}`);
  }
  // a lone point keeps the first choice: to its right
  assert.deepEqual(placed[5], { x: 46, y: 40, anchor: "start" });
});

Deno.test("formatNumber: fixed significant digits", () => {
  const cases: [number | null, string][] = [
    [0.123456, "0.123"],
    [0.5, "0.500"],
    [12.345, "12.3"],
    [999.96, "1000"],
    [1234.5, "1235"],
    [0.0123, "0.0123"],
    [-0.000012, "-1.20e-5"],
    [2.5e7, "2.50e+7"],
    [0, "0"],
    [NaN, "NaN"],
    [-Infinity, "−Inf"],
    [null, "—"],
  ];
  for (const [v, text] of cases) assert.equal(formatNumber(v), text, String(v));
  assert.equal(formatNumber(0.123456, 2), "0.12");
});

Deno.test("layoutTables: every table in a scroll box; numeric columns marked, mixed ones not", () => {
  const table = "<table><caption>c</caption><thead><tr><th>variant</th><th>it/s</th><th>note</th>" +
    "</tr></thead><tbody><tr><td>infonce</td><td>2.51 ± 0.10</td><td>12</td></tr>" +
    "<tr><td>ts2vec</td><td>—</td><td>slow</td></tr></tbody></table>";
  const out = layoutTables(`<p>x</p>${table}`);
  assert.equal(
    out,
    '<p>x</p><div class="table-scroll"><table><caption>c</caption><thead><tr><th>variant</th>' +
      '<th class="num">it/s</th><th>note</th></tr></thead><tbody><tr><td>infonce</td>' +
      '<td class="num">2.51 ± 0.10</td><td>12</td></tr><tr><td>ts2vec</td><td class="num">—</td>' +
      "<td>slow</td></tr></tbody></table></div>",
  );
  for (const cell of ["0.61 ★", "12/12", "1.2e-5", "−0.3", "85 %", "+Inf", "NaN"]) {
    assert.ok(isNumericCell(cell), cell);
  }
  for (const cell of ["infonce", "1 run", "0.5 (n = 3)", ""]) assert.ok(!isNumericCell(cell), cell);
});

Deno.test("heatmapFigure: axes with labels, a viridis ramp over the clipped range, pixel-exact image", () => {
  // 4 frames × 3 bins; one outlier that the 1–99 % clip keeps out of the scale
  const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000];
  const fig = heatmapFigure(values, 4, 3, {
    x: { label: "time (s)", domain: [0, 8] },
    y: { label: "frequency (Hz)", domain: [0, 50] },
    colourLabel: "magnitude",
  });
  assert.deepEqual(Object.keys(fig[JUPYTER_DISPLAY]()), ["text/html"]);
  assert.match(fig.markup, /^<figure class="heatmap"[^>]*><div class="legend">/);
  for (const text of ["time (s)", "frequency (Hz)", "magnitude (percentiles 1–99"]) {
    assert.ok(fig.markup.includes(text), text);
  }
  assert.ok(fig.range[0] > 0 && fig.range[0] < 0.2, `low end ${fig.range[0]}`);
  assert.ok(fig.range[1] > 10 && fig.range[1] < 1000, `high end ${fig.range[1]}`);
  const png = /<image[^>]*href="data:image\/png;base64,([^"]+)"/.exec(fig.markup)?.[1];
  assert.ok(png, "the cells are an inline PNG image mark");
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const view = new DataView(bytes.buffer);
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [4, 3], "one pixel per cell");
  assert.match(fig.markup, /image-rendering="pixelated"|image-rendering:\s*pixelated/);
  assert.deepEqual(findExternalReferences(fig.markup), []);
});

Deno.test("roundGeometry rounds geometry attributes to 0.1 px and leaves text alone", () => {
  const svg = `<svg width="640" height="400.123"><path d="M1.23456,-2.0049L3.75,4.999"></path>` +
    `<circle cx="10.06" cy="7" r="2.5"></circle><text x="1.5">0.52549</text>` +
    `<g aria-label="0.123456"></g></svg>`;
  assert.equal(
    roundGeometry(svg),
    `<svg width="640" height="400.1"><path d="M1.2,-2L3.8,5"></path>` +
      `<circle cx="10.1" cy="7" r="2.5"></circle><text x="1.5">0.52549</text>` +
      `<g aria-label="0.123456"></g></svg>`,
  );
});

Deno.test("dotsAsPaths: Plot's dots become one round-capped path per colour, rarest on top", () => {
  const classes = ["a", "b", "b", "c", "b", "a"];
  const dots = classes.map((c, i) => ({ x: i, y: (i * 7) % 5, c }));
  const { svg } = plot({
    width: 200,
    height: 150,
    color: { domain: ["a", "b", "c"], range: ["#111111", "#222222", "#333333"] },
    marks: [Plot.dot(dots, { x: "x", y: "y", fill: "c", r: 1.6 })],
  });
  const compact = dotsAsPaths(svg);
  assert.equal((svg.match(/<circle /g) ?? []).length, 6);
  assert.equal((compact.match(/<circle /g) ?? []).length, 0);
  const group = Array.from(parseXml(compact).querySelectorAll('g[aria-label="dot"]'))[0];
  assert.equal(group.getAttribute("stroke-width"), "3.2");
  assert.equal(group.getAttribute("stroke-linecap"), "round");
  assert.equal(group.getAttribute("fill"), "none");
  const paths = Array.from(group.querySelectorAll("path"));
  // most frequent first: b (3), a (2), c (1)
  assert.deepEqual(paths.map((p) => p.getAttribute("stroke")), ["#222222", "#111111", "#333333"]);
  // every dot keeps its centre, as a zero-length segment
  const circles = Array.from(parseXml(svg).querySelectorAll("circle"));
  const expected = (fill: string) =>
    circles.filter((c) => c.getAttribute("fill") === fill)
      .map((c) => `M${c.getAttribute("cx")} ${c.getAttribute("cy")}h0`).join("");
  for (const p of paths) assert.equal(p.getAttribute("d"), expected(p.getAttribute("stroke")!));
  // the rest of the chart is untouched
  assert.equal(
    compact.replace(/<g aria-label="dot".*?<\/g>/, ""),
    svg.replace(/<g aria-label="dot".*?<\/g>/, ""),
  );
});

Deno.test("dotsAsPaths leaves dot groups it cannot express as paths unchanged", () => {
  const mixedRadius = '<g aria-label="dot"><circle fill="red" r="1" cy="2" cx="1" />' +
    '<circle fill="red" r="2" cy="3" cx="4" /></g>';
  const stroked = '<g aria-label="dot"><circle fill="red" stroke="blue" r="1" cy="2" cx="1" /></g>';
  const titled =
    '<g aria-label="dot"><circle fill="red" r="1" cy="2" cx="1"><title>x</title></circle></g>';
  for (const svg of [mixedRadius, stroked, titled]) assert.equal(dotsAsPaths(svg), svg);
});
