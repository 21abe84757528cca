/**
 * Notebook displays of the study: tables and charts built from result
 * records. Each function returns an object the Deno kernel displays (through
 * `Symbol.for("Jupyter.display")`); the report embeds what the kernel shows.
 *
 * @module
 */
import * as Plot from "@observablehq/plot";
import { dotsAsPaths, escapeHtml, legend, plot } from "../report/mod.ts";
import type { ResultRecord } from "../experiments/mod.ts";
import { isNotComputed, type Study } from "../experiments/mod.ts";
import {
  comparableSummary,
  formatStat,
  HIGHER_IS_BETTER,
  METRIC_LABEL,
} from "../experiments/mod.ts";
import type { Metric, SummaryRow } from "../experiments/mod.ts";
import type { StudyDataset } from "../experiments/mod.ts";
import { foldsLabel } from "./folds.ts";

/** Something the Jupyter kernel can display. */
export interface Displayable {
  [key: symbol]: () => Record<string, string>;
}

/** Wraps an HTML fragment as a display object (`text/html`). */
export function html(fragment: string): Displayable {
  return { [Symbol.for("Jupyter.display")]: () => ({ "text/html": fragment }) };
}

/** Renders rows of cells as an HTML table; every cell is escaped. */
export function htmlTable(
  header: string[],
  rows: (string | number | null)[][],
  { caption }: { caption?: string } = {},
): string {
  const cell = (v: string | number | null, tag: string) =>
    `<${tag}>${escapeHtml(v === null ? "—" : String(v))}</${tag}>`;
  return `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ""}<thead><tr>${
    header.map((h) => cell(h, "th")).join("")
  }</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((v) => cell(v, "td")).join("")}</tr>`).join("")
  }</tbody></table>`;
}

const DATASET_LABEL: Record<StudyDataset, string> = {
  hapt: "HAPT (activity)",
  harth: "HARTH (activity)",
  mitdb: "MIT-BIH Arrhythmia (ECG)",
  afdb: "MIT-BIH AFDB (ECG)",
  dreams: "DREAMS (sleep EEG)",
  "sleep-edf": "Sleep-EDF (sleep EEG)",
  synthetic: "synthetic",
};

/** Human name of a study dataset. */
export function datasetLabel(d: StudyDataset): string {
  return DATASET_LABEL[d];
}

/**
 * Table of `metrics` (mean ± std over seeds × folds) per (dataset, variant),
 * over the folds every variant of the dataset has runs on; the best mean per
 * dataset and metric is marked with ★.
 */
export function summaryTable(
  study: Study,
  metrics: Metric[],
  { caption, digits = 3 }: { caption?: string; digits?: number } = {},
): Displayable {
  const best = new Map<string, number>();
  const summary = comparableSummary(study);
  for (const m of metrics) {
    for (const d of study.datasets) {
      const means = summary.filter((r) => r.dataset === d).map((r) => r.metrics[m].mean)
        .filter((v): v is number => v !== null);
      if (means.length) {
        best.set(`${d}|${m}`, HIGHER_IS_BETTER[m] ? Math.max(...means) : Math.min(...means));
      }
    }
  }
  const rows = summary.map((r) => [
    `${datasetLabel(r.dataset)}, ${foldsLabel(study, r.dataset)}`,
    r.variant,
    r.runs,
    statusText(r),
    ...metrics.map((m) => {
      const s = r.metrics[m];
      const star = s.mean !== null && s.mean === best.get(`${r.dataset}|${m}`) ? " ★" : "";
      return formatStat(s, m === "calinskiHarabasz" ? 1 : digits) + star;
    }),
  ]);
  return html(
    htmlTable(
      [
        "dataset",
        "variant",
        "runs",
        "clustering status",
        ...metrics.map((m) => METRIC_LABEL[m]),
      ],
      rows,
      { caption },
    ),
  );
}

function statusText(r: SummaryRow): string {
  return Object.entries(r.statuses).map(([k, v]) => `${k} ${v}`).join(", ");
}

/** Training health per (dataset, variant): non-finite losses, divergence, speed. */
export function trainingTable(study: Study): Displayable {
  const rows = study.summary.map((r) => {
    const recs = study.records.filter((x) =>
      x.config.dataset === r.dataset && x.config.variant === r.variant
    );
    const first = recs.map((x) => x.training.firstNonFiniteStep).filter((v): v is number =>
      v !== null
    );
    const simMean = recs.map((x) => x.training.simVectorMean).find((v) => v !== null) ?? null;
    return [
      datasetLabel(r.dataset),
      r.variant,
      r.runs,
      recs[0]?.settings.steps ?? null,
      `${r.runsWithNonFinite}/${r.runs}`,
      r.nonFiniteSteps,
      first.length ? Math.min(...first) : null,
      `${r.diverged}/${r.runs}`,
      simMean === null ? null : simMean.toFixed(3),
      formatStat(r.metrics.itPerSec, 2),
      formatStat(r.metrics.finalLoss, 3),
    ];
  });
  return html(htmlTable([
    "dataset",
    "variant",
    "runs",
    "steps",
    "runs with NaN/Inf loss",
    "non-finite steps",
    "first non-finite step",
    "diverged (guarded)",
    "mean sim vector v",
    "it/s",
    "final loss",
  ], rows));
}

/** Loss curves of every variant on one dataset (first seed and fold), one panel per variant. */
export function lossCurves(study: Study, dataset: StudyDataset): Displayable {
  const recs = firstRuns(study.records, dataset);
  const panels = recs.map((r) => {
    const data = r.training.losses.map((loss, step) => ({ step, loss }));
    const finite = data.filter((d) => d.loss !== null);
    const chart = plot({
      width: 260,
      height: 160,
      marginLeft: 50,
      title: r.config.variant,
      y: { label: "loss", grid: true },
      x: { label: "step" },
      marks: [
        Plot.lineY(data, { x: "step", y: "loss", stroke: "#1f5f99" }),
        Plot.dot(data.filter((d) => d.loss === null), {
          x: "step",
          y: () => finite.length ? finite[0].loss : 0,
          fill: "#c0392b",
          r: 2,
        }),
      ],
    });
    const note = finite.length < data.length
      ? `${data.length - finite.length} non-finite (red)`
      : "";
    return `<figure class="panel"><figcaption>${escapeHtml(r.config.variant)} ${
      escapeHtml(note)
    }</figcaption>${chart.svg}</figure>`;
  });
  return html(`<div class="panels">${panels.join("")}</div>`);
}

/** 2-D UMAP maps of evaluation frames per variant, coloured by true class (first seed and fold). */
export function projectionMaps(study: Study, dataset: StudyDataset): Displayable {
  const recs = firstRuns(study.records, dataset);
  const panels = recs.map((r) => {
    if (!r.projection || r.projection.x.length === 0) {
      return `<figure class="panel"><figcaption>${
        escapeHtml(r.config.variant)
      }</figcaption><p>no map: ${escapeHtml(r.probeError ?? "embeddings not finite")}</p></figure>`;
    }
    const names = r.data.classNames;
    const pts = r.projection.x.map((x, i) => ({
      x,
      y: r.projection!.y[i],
      class: names[r.projection!.label[i]] ?? "?",
    }));
    const chart = plot({
      width: 260,
      height: 220,
      x: { axis: null },
      y: { axis: null },
      color: { domain: names, scheme: "tableau10" },
      marks: [Plot.dot(pts, { x: "x", y: "y", fill: "class", r: 1.6 })],
    });
    return `<figure class="panel"><figcaption>${escapeHtml(r.config.variant)}</figcaption>${
      dotsAsPaths(chart.svg)
    }</figure>`;
  });
  const names = recs[0]?.data.classNames ?? [];
  // no run, no classes: no legend rather than an empty one
  const classes = names.length
    ? legend({ color: { domain: names, scheme: "tableau10", label: "true class" } })
    : "";
  return html(`${classes}<div class="panels">${panels.join("")}</div>`);
}

function firstRuns(records: ResultRecord[], dataset: StudyDataset): ResultRecord[] {
  const seeds = records.filter((r) => r.config.dataset === dataset).map((r) => r.config.seed);
  const seed = Math.min(...seeds);
  return records.filter((r) =>
    r.config.dataset === dataset && r.config.seed === seed && r.config.fold === 0
  );
}

function formatValue(v: unknown, digits: number): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "−Inf";
    return Number.isInteger(v)
      ? v
      : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 && v !== 0
      ? v.toExponential(2)
      : v.toFixed(digits);
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v);
}

/** Any array of flat objects as a table (columns = keys of the first row; NaN/Inf shown as such). */
export function table(
  rows: Record<string, unknown>[],
  { caption, digits = 4 }: { caption?: string; digits?: number } = {},
): Displayable {
  const cols = rows.length ? Object.keys(rows[0]) : [];
  return html(
    htmlTable(cols, rows.map((r) => cols.map((c) => formatValue(r[c], digits))), { caption }),
  );
}

/** One small line chart per `y` column against the `x` column (each with its own scale). */
export function linePanels(
  rows: Record<string, number>[],
  x: string,
  ys: string[],
  { xLabel = x }: { xLabel?: string } = {},
): Displayable {
  const panels = ys.map((y) => {
    const data = rows.map((r) => ({ x: r[x], y: Number.isFinite(r[y]) ? r[y] : null }));
    const chart = plot({
      width: 240,
      height: 160,
      marginLeft: 55,
      x: { label: xLabel },
      y: { label: y, grid: true },
      marks: [
        Plot.lineY(data, { x: "x", y: "y", stroke: "#1f5f99" }),
        Plot.dot(data, { x: "x", y: "y", r: 2 }),
      ],
    });
    const gaps = data.filter((d) => d.y === null).length;
    return `<figure class="panel"><figcaption>${escapeHtml(y)}${
      gaps ? ` (${gaps} non-finite points not drawn)` : ""
    }</figcaption>${chart.svg}</figure>`;
  });
  return html(`<div class="panels">${panels.join("")}</div>`);
}

/** A notice of the profile the numbers come from (quick and reduced results are labelled as such). */
export function profileNotice(study: Study): Displayable {
  const runs = study.records.length;
  const steps = [...new Set(study.records.map((r) => `${r.config.dataset}: ${r.settings.steps}`))]
    .join(", ");
  const seeds = [...new Set(study.records.map((r) => r.config.seed))].join(", ");
  const text = study.profile === "quick"
    ? `QUICK PROFILE: ${runs} runs, one seed, shortened training (steps per dataset — ${steps}) and subsampled evaluation. These numbers check the pipeline end to end; they are not the study's results.`
    : study.profile === "reduced"
    ? `REDUCED PROFILE: ${runs} runs, one seed (${seeds}) and one fold, a fifth of the paper's iterations (steps per dataset — ${steps}), full data and evaluation. Standard deviations over seeds are not available, so every comparison rests on a single run.`
    : `Paper profile: ${runs} runs (steps per dataset — ${steps}), seeds ${seeds}.`;
  const broken = study.failures.filter((f) => !isNotComputed(f));
  const skipped = study.failures.length - broken.length;
  const failed = broken.length
    ? ` ${broken.length} run(s) failed: ${
      broken.map((f) => `${f.config.dataset}/${f.config.variant}: ${f.error}`).join("; ")
    }.`
    : "";
  const notComputed = skipped
    ? ` ${skipped} run(s) of the profile's grid were not computed for this build (per dataset in the coverage table).`
    : "";
  return html(`<p class="notice">${escapeHtml(text + failed + notComputed)}</p>`);
}

/** Per-class support (evaluation frames) and per-class probe recall for one dataset. */
export function supportTable(study: Study, dataset: StudyDataset): Displayable {
  const recs = firstRuns(study.records, dataset).filter((r) => r.probe);
  const names = recs[0]?.data.classNames ?? [];
  const rows = names.map((name, c) => [
    name,
    recs[0]?.probe?.support[c] ?? null,
    ...recs.map((r) => {
      const cm = r.probe!.confusionMatrix;
      const total = cm[c]?.reduce((a, b) => a + b, 0) ?? 0;
      return total ? (cm[c][c] / total).toFixed(3) : null;
    }),
  ]);
  return html(
    htmlTable(["class", "eval support", ...recs.map((r) => `recall · ${r.config.variant}`)], rows, {
      caption: `${datasetLabel(dataset)}: per-class support and probe recall (first seed and fold)`,
    }),
  );
}

/**
 * Bar chart of one metric's mean per variant, one panel per dataset, over the
 * folds every variant has runs on (error bars: ± std over runs).
 */
export function metricBars(study: Study, metric: Metric): Displayable {
  const panels = study.datasets.map((d) => {
    const rows = comparableSummary(study)
      .filter((r) => r.dataset === d && r.metrics[metric].mean !== null)
      .map((r) => ({
        variant: r.variant,
        mean: r.metrics[metric].mean as number,
        lo: (r.metrics[metric].mean as number) - (r.metrics[metric].std ?? 0),
        hi: (r.metrics[metric].mean as number) + (r.metrics[metric].std ?? 0),
      }));
    const chart = plot({
      width: 340,
      height: 220,
      marginLeft: 140,
      x: { label: METRIC_LABEL[metric], grid: true },
      y: { label: null },
      marks: [
        Plot.barX(rows, { y: "variant", x: "mean", fill: "#1f5f99" }),
        Plot.ruleY(rows, { y: "variant", x1: "lo", x2: "hi", stroke: "#c0392b" }),
      ],
    });
    return `<figure class="panel"><figcaption>${
      escapeHtml(`${datasetLabel(d)}, ${foldsLabel(study, d)}`)
    }</figcaption>${chart.svg}</figure>`;
  });
  return html(`<div class="panels">${panels.join("")}</div>`);
}
