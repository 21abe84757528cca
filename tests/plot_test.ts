import assert from "node:assert/strict";
import * as Plot from "@observablehq/plot";
import { DOMParser } from "linkedom";
import { findExternalReferences, JUPYTER_DISPLAY, plot } from "../lib/report/mod.ts";

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
