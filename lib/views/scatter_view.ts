/**
 * The paper's "inconsistency" as a picture: per dataset, a clustering index
 * against the converged probe's balanced accuracy, one numbered point per variant, labels placed
 * without overlap and a key table beside each chart.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { escapeHtml, formatNumber, placeLabels, plot } from "../report/mod.ts";
import { comparableSummary, METRIC_LABEL } from "../experiments/mod.ts";
import type { Study } from "../experiments/mod.ts";
import type { Metric } from "../experiments/mod.ts";
import type { Variant } from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";
import { foldsLabel } from "./folds.ts";

/** Axis name of a metric (arrow: which direction is better). */
const axisLabel = (m: Metric): string => METRIC_LABEL[m];

const WIDTH = 320, HEIGHT = 240;
const MARGIN = { top: 12, right: 16, bottom: 40, left: 50 };

/** `[lo, hi]` of `values` widened by 10 % on each side (±0.5 when they are all equal). */
function paddedDomain(values: number[]): [number, number] {
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = hi > lo ? (hi - lo) * 0.1 : 0.5;
  return [lo - pad, hi + pad];
}

interface ScatterRow {
  n: number;
  variant: Variant;
  x: number;
  y: number;
}

function scatterPanel(rows: ScatterRow[], clusterMetric: Metric, caption: string): string {
  const xd = paddedDomain(rows.map((r) => r.x)), yd = paddedDomain(rows.map((r) => r.y));
  const [x0, x1] = [MARGIN.left, WIDTH - MARGIN.right];
  const [y0, y1] = [HEIGHT - MARGIN.bottom, MARGIN.top];
  const px = (v: number) => x0 + ((v - xd[0]) / (xd[1] - xd[0])) * (x1 - x0);
  const py = (v: number) => y0 + ((v - yd[0]) / (yd[1] - yd[0])) * (y1 - y0);
  const placed = placeLabels(rows.map((r) => ({ x: px(r.x), y: py(r.y), text: String(r.n) })), {
    bounds: [x0, y1, x1, y0],
  });
  // back from pixels to data coordinates, one text mark per alignment
  const labels = rows.map((r, i) => ({
    text: String(r.n),
    x: xd[0] + ((placed[i].x - x0) / (x1 - x0)) * (xd[1] - xd[0]),
    y: yd[0] + ((placed[i].y - y0) / (y1 - y0)) * (yd[1] - yd[0]),
    anchor: placed[i].anchor,
  }));
  const chart = plot({
    width: WIDTH,
    height: HEIGHT,
    marginTop: MARGIN.top,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginLeft: MARGIN.left,
    x: { domain: xd, label: axisLabel(clusterMetric), grid: true },
    y: { domain: yd, label: "probe balanced accuracy", grid: true },
    marks: [
      Plot.dot(rows, { x: "x", y: "y", fill: "#1f5f99", r: 4 }),
      ...(["start", "middle", "end"] as const).map((anchor) =>
        Plot.text(labels.filter((l) => l.anchor === anchor), {
          x: "x",
          y: "y",
          text: "text",
          textAnchor: anchor,
          fontSize: 10,
        })
      ),
    ],
  });
  const key = htmlTable(
    ["no.", "variant", axisLabel(clusterMetric), "probe acc."],
    rows.map((r) => [r.n, r.variant, formatNumber(r.x), formatNumber(r.y)]),
  ).replace("<table>", '<table class="scatter-key">');
  return `<figure class="panel scatter"><figcaption>${
    escapeHtml(caption)
  }</figcaption>${chart.svg}${key}</figure>`;
}

/**
 * Per dataset, a clustering index (x, means over runs on the folds every
 * variant has runs on) against the converged probe's balanced accuracy
 * (y). If clustering quality implied useful embeddings, the points would rise
 * to the right. Each variant keeps its number across the datasets.
 *
 * @example
 * ```ts ignore
 * import { clusteringVsProbe, loadStudy } from "./mod.ts";
 * clusteringVsProbe(await loadStudy({ profile: "quick", dataDir: null }), "silhouette");
 * ```
 */
export function clusteringVsProbe(study: Study, clusterMetric: Metric = "silhouette"): Displayable {
  const summary = comparableSummary(study);
  const order = [...new Set(summary.map((r) => r.variant))];
  const panels = study.datasets.map((d) => {
    const rows = summary.filter((r) =>
      r.dataset === d && r.metrics[clusterMetric].mean !== null &&
      r.metrics.balancedAccuracy.mean !== null
    ).map((r) => ({
      n: order.indexOf(r.variant) + 1,
      variant: r.variant,
      x: r.metrics[clusterMetric].mean as number,
      y: r.metrics.balancedAccuracy.mean as number,
    }));
    if (!rows.length) {
      return `<figure class="panel"><figcaption>${
        escapeHtml(datasetLabel(d))
      }</figcaption><p>no run with both a ${
        escapeHtml(axisLabel(clusterMetric))
      } and a probe balanced accuracy</p></figure>`;
    }
    return scatterPanel(rows, clusterMetric, `${datasetLabel(d)}, ${foldsLabel(study, d)}`);
  });
  // wide cells: each chart has its key table beside it where the page is wide enough
  return html(`<div class="panels wide">${panels.join("")}</div>`);
}
