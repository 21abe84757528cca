/**
 * A heatmap with axes and a colour scale: the PNG of {@linkcode heatmapPng}
 * (one pixel per cell, stretched to the frame and drawn pixelated) as an
 * `<image>` mark in an Observable Plot chart whose x and y scales carry the
 * cells' coordinates (time, frequency in Hz …), and a viridis ramp legend.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { encodeBase64 } from "./base64.ts";
import { colourTransform, heatmapPng } from "./heatmap.ts";
import { escapeHtml } from "./html.ts";
import { JUPYTER_DISPLAY, legend, plot } from "./plot.ts";

/** One axis of a heatmap: its label and the coordinates of the first cell's and past-the-last cell's edges. */
export interface HeatmapAxis {
  label: string;
  domain: [number, number];
}

/** Options of {@linkcode heatmapFigure}. */
export interface HeatmapFigureOptions {
  /** Along the rows of `values` (e.g. time). */
  x: HeatmapAxis;
  /** Along the columns of `values`, low at the bottom (e.g. frequency in Hz). */
  y: HeatmapAxis;
  /** What the colour shows, e.g. "log(1 + |STFT|)". */
  colourLabel: string;
  /** Colour `log1p(max(0, v))` instead of `v` (magnitudes). Default false. */
  log?: boolean;
  /**
   * Percentiles of the (transformed) finite values that bound the colour
   * scale; values outside take the end colours. Default `[1, 99]`, so a few
   * outliers do not flatten everything else into one colour.
   */
  clip?: [number, number];
  /** Chart size in CSS pixels (it shrinks with its column). Default 720 × 260. */
  width?: number;
  height?: number;
  /** Accessible description. */
  title?: string;
}

/** A rendered heatmap: HTML `<figure class="heatmap">` with legend and chart. */
export interface HeatmapFigure {
  readonly markup: string;
  /** The colour scale's bounds (transformed values). */
  readonly range: [number, number];
  toString(): string;
  [JUPYTER_DISPLAY](): Record<string, string>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  const at = (Math.min(100, Math.max(0, p)) / 100) * (sorted.length - 1);
  const i = Math.floor(at), f = at - i;
  return i + 1 < sorted.length ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
}

const MARGIN = { top: 10, right: 15, bottom: 40, left: 55 };

/**
 * Draws `values` (`[rows, cols]` row-major: row r spans x from
 * `x.domain[0] + r·Δx`, column c spans y likewise, Δ = domain width / count)
 * with axes, a colour ramp labelled `colourLabel`, and the clip percentiles
 * named in the legend.
 *
 * @example
 * ```ts
 * import { heatmapFigure } from "./heatmap_figure.ts";
 * const spectrogram = new Float32Array(100 * 90); // 100 frames × 90 bins
 * const fig = heatmapFigure(spectrogram, 100, 90, {
 *   x: { label: "time (min)", domain: [0, 3] },
 *   y: { label: "frequency (Hz)", domain: [0, 50] },
 *   colourLabel: "log(1 + |STFT|)",
 *   log: true,
 * });
 * ```
 */
export function heatmapFigure(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  options: HeatmapFigureOptions,
): HeatmapFigure {
  const { x, y, log = false, clip = [1, 99], width = 720, height = 260 } = options;
  const transform = colourTransform(log);
  const finite = Float64Array.from({ length: rows * cols }, (_, i) => transform(values[i]))
    .filter(Number.isFinite).sort();
  const lo = percentile(finite, clip[0]), hi = percentile(finite, clip[1]);
  const range: [number, number] = Number.isFinite(lo) ? [lo, hi > lo ? hi : lo + 1] : [0, 1];
  const { png } = heatmapPng(values, rows, cols, { transform, lo: range[0], hi: range[1] });
  const src = `data:image/png;base64,${encodeBase64(png)}`;
  const title = options.title ?? options.colourLabel;
  const chart = plot({
    width,
    height,
    marginTop: MARGIN.top,
    marginRight: MARGIN.right,
    marginBottom: MARGIN.bottom,
    marginLeft: MARGIN.left,
    ariaLabel: title,
    x: { domain: x.domain, label: x.label, labelAnchor: "center" },
    y: { domain: y.domain, label: y.label, labelAnchor: "center" },
    marks: [
      Plot.image([0], {
        x: () => (x.domain[0] + x.domain[1]) / 2,
        y: () => (y.domain[0] + y.domain[1]) / 2,
        src: () => src,
        width: width - MARGIN.left - MARGIN.right,
        height: height - MARGIN.top - MARGIN.bottom,
        preserveAspectRatio: "none",
        imageRendering: "pixelated",
      }),
      Plot.frame(),
    ],
  });
  const clipped = clip[0] > 0 || clip[1] < 100;
  const scale = legend({
    color: {
      type: "linear",
      domain: range,
      scheme: "viridis",
      label: clipped
        ? `${options.colourLabel} (percentiles ${clip[0]}–${clip[1]}; beyond: end colours)`
        : options.colourLabel,
    },
    width: 360,
  });
  const markup = `<figure class="heatmap" aria-label="${
    escapeHtml(title)
  }">${scale}${chart.svg}</figure>`;
  return {
    markup,
    range,
    toString: () => markup,
    [JUPYTER_DISPLAY]: () => ({ "text/html": markup }),
  };
}
