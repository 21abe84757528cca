/**
 * The report's layout in headless Chromium at 1400 and 800 px: a report
 * built here from the study's figure and table views on a small made-up
 * study (wide tables, small multiples, embedding maps with their class
 * legend, a scatter with labels, a heatmap with axes and colour scale) must
 * have nothing wider than its column outside a scroll box, no empty `<svg>`,
 * no empty legend; and a page with such faults must be caught. Ignored (with
 * a message) where no Chromium is installed, except under CI=true.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as Plot from "@observablehq/plot";
import type { ICodeCell, INotebookContent } from "@jupyterlab/nbformat";
import {
  buildReport,
  checkLayout,
  heatmapFigure,
  JUPYTER_DISPLAY,
  plot,
} from "../lib/report/mod.ts";
import {
  clusteringVsProbe,
  htmlTable,
  lossCurves,
  metricBars,
  projectionMaps,
} from "../lib/views/mod.ts";
import type { ResultRecord, Study, SummaryRow } from "../lib/experiments/mod.ts";
import { localHeader } from "./_report.ts";
import { chromiumTest } from "./_tools.ts";

const HEADER = localHeader("2026-12-04T20:00:00.000Z");

const VARIANTS = ["infonce", "emargin-reference", "emargin-stable", "infonce+difficult"];
const CLASSES = ["wake", "N1", "N2", "N3", "REM"];

/** A seeded stream of numbers in [0, 1) (xorshift32). */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 2 ** 32);
}

/** A two-dataset, four-variant study with just the fields the views read. */
function madeUpStudy(): Study {
  const r = random(7);
  const datasets = ["mitdb", "dreams"] as const;
  const records = datasets.flatMap((dataset) =>
    VARIANTS.map((variant) => {
      const label = Array.from({ length: 300 }, (_, i) => i % CLASSES.length);
      return {
        config: { dataset, variant, seed: 1, fold: 0 },
        data: { classNames: CLASSES },
        training: { losses: Array.from({ length: 40 }, (_, i) => 5 / (1 + i) + r()) },
        projection: {
          x: label.map((c) => c * 3 + r()),
          y: label.map((c) => (c % 2) * 4 + r()),
          label,
        },
        probeError: null,
      } as unknown as ResultRecord;
    })
  );
  const stat = (mean: number) => ({ mean, std: mean / 10, n: 3 });
  const summary = datasets.flatMap((dataset) =>
    VARIANTS.map((variant) =>
      ({
        dataset,
        variant,
        runs: 3,
        // the same silhouette for all: their labels must still not overlap
        metrics: {
          silhouette: stat(0.41),
          accuracy: stat(0.6 + r() / 100),
          balancedAccuracy: stat(0.5 + r() / 100),
        },
      }) as unknown as SummaryRow
    )
  );
  return {
    profile: "paper",
    dataDir: "/data",
    datasets: [...datasets],
    records,
    failures: [],
    summary,
  } as unknown as Study;
}

function display(data: Record<string, string>): ICodeCell {
  return {
    cell_type: "code",
    execution_count: 1,
    metadata: {},
    source: "display(…)",
    outputs: [{ output_type: "display_data", metadata: {}, data }],
  };
}

function markdown(source: string): INotebookContent["cells"][number] {
  return { cell_type: "markdown", metadata: {}, source };
}

function notebook(cells: INotebookContent["cells"]): INotebookContent {
  return { nbformat: 4, nbformat_minor: 5, metadata: {}, cells };
}

/** A notebook of the study's views on {@linkcode madeUpStudy}. */
function viewsNotebook(): INotebookContent {
  const study = madeUpStudy();
  // views, figures and heatmaps all display through the kernel's symbol
  const shown = (d: object) =>
    display((d as Record<symbol, () => Record<string, string>>)[JUPYTER_DISPLAY]());
  const wide = htmlTable(
    ["dataset", "variant", ...Array.from({ length: 14 }, (_, i) => `metric number ${i + 1} ↑`)],
    VARIANTS.map((
      v,
    ) => ["MIT-BIH Arrhythmia (ECG)", v, ...Array.from({ length: 14 }, () => "0.123 ± 0.045")]),
  );
  const spectrogram = Float32Array.from({ length: 400 * 90 }, (_, i) => (i % 90) / 9 + (i % 7));
  const withLegend = plot({
    color: { legend: true },
    marks: [
      Plot.dot(CLASSES.map((c, i) => ({ x: i, y: i * i, c })), { x: "x", y: "y", fill: "c" }),
    ],
  });
  return notebook([
    markdown("# Layout check\n\nEvery figure and table kind the report shows."),
    display({ "text/html": wide }),
    display({ "text/html": htmlTable(["it/s"], [["12.34 ± 0.56"]]) }),
    shown(lossCurves(study, "mitdb")),
    shown(projectionMaps(study, "mitdb")),
    shown(projectionMaps(study, "dreams")),
    shown(metricBars(study, "accuracy")),
    shown(clusteringVsProbe(study, "silhouette")),
    shown(heatmapFigure(spectrogram, 400, 90, {
      x: { label: "time (min)", domain: [0, 12] },
      y: { label: "frequency (Hz)", domain: [0, 50] },
      colourLabel: "log(1 + |STFT|)",
      log: true,
    })),
    shown(withLegend),
  ]);
}

/** A notebook with the faults the check must catch. */
function faultyNotebook(): INotebookContent {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1800" height="40">' +
    '<rect width="1800" height="40" fill="#1f5f99"/></svg>';
  return notebook([
    display({ "text/html": `<div style="width: 1800px">a fixed-width block</div>` }),
    display({ "image/svg+xml": svg.replace("<svg ", '<svg style="max-width: none" ') }),
    display({
      "text/html": '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="60"></svg>',
    }),
    display({ "text/html": '<div class="legend" style="height: 20px"></div>' }),
  ]);
}

chromiumTest(
  "report_layout_test",
  "report layout at 1400 and 800 px: columns, svg content, legends (headless Chromium)",
  async (chromium, dir) => {
    const good = join(dir, "good.html"), bad = join(dir, "bad.html");
    const entry = (
      nb: INotebookContent,
    ) => [{ path: "notebooks/layout.ipynb", notebook: nb, trusted: true }];
    await buildReport({
      title: "Layout",
      header: HEADER,
      outFile: good,
      notebooks: entry(viewsNotebook()),
    });
    await buildReport({
      title: "Faults",
      header: HEADER,
      outFile: bad,
      notebooks: entry(faultyNotebook()),
    });

    for (const report of await checkLayout(good, { chromium })) {
      assert.deepEqual(report.problems, [], `${report.width} px`);
      // 4 loss curves, 8 maps, 2 bar panels, 2 scatters, heatmap, legends' swatches …
      assert.ok(report.counts.svgs >= 18, `${report.width} px: ${report.counts.svgs} svgs`);
      // two class legends (box and swatches each), the heatmap's ramp (box and svg), Plot's own
      assert.ok(
        report.counts.legends >= 5,
        `${report.width} px: ${report.counts.legends} legends`,
      );
      assert.ok(report.counts.scrollBoxes >= 1, `${report.width} px: the wide table scrolls`);
    }

    const [faulty] = await checkLayout(bad, { chromium, widths: [800] });
    const found = faulty.problems.join("\n");
    assert.match(found, /the page scrolls sideways/);
    assert.match(found, /div "a fixed-width block": .* outside its column/);
    assert.match(found, /svg.*outside its column/);
    assert.match(found, /an empty <svg> \(640×60\)/);
    assert.match(found, /div\.legend: an empty legend/);
  },
);
