/**
 * What a study build covers: which of the paper's datasets (or their
 * stand-ins) are in the data directory, how many of each dataset's grid runs
 * have a record, and how to get what is absent.
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { escapeHtml } from "../report/mod.ts";
import type { StudyDataset } from "../experiments/mod.ts";
import { availableDatasets } from "../experiments/mod.ts";
import { describeRun, type Study } from "../experiments/mod.ts";
import { datasetLabel, type Displayable, html, htmlTable } from "./display.ts";

/** The paper's three domains, each with its paper dataset and the stand-in the study accepts. */
export const PAPER_DOMAINS: readonly {
  domain: string;
  paper: StudyDataset;
  standIn: StudyDataset;
}[] = [
  { domain: "activity (HAR)", paper: "harth", standIn: "hapt" },
  { domain: "ECG", paper: "afdb", standIn: "mitdb" },
  { domain: "sleep EEG", paper: "sleep-edf", standIn: "dreams" },
];

/** How to get each real dataset into the data directory. */
const HOW_TO_GET: Record<Exclude<StudyDataset, "synthetic">, string> = {
  harth: "deno task data --only harth --trust-on-first-use",
  afdb: "deno task data --only afdb --trust-on-first-use",
  "sleep-edf": "deno task data --only sleep-edf --trust-on-first-use",
  mitdb: "deno task data --only mitdb",
  hapt: "copy UCI HAPT (RawData/ and activity_labels.txt) into DATA/hapt — no download recipe",
  dreams: "copy the DREAMS excerpts and hypnograms into DATA/dreams — no download recipe",
};

/** Coverage of one dataset in a study build. */
export interface DatasetCoverage {
  dataset: StudyDataset;
  domain: string;
  /** Whether the dataset is the paper's own or the study's stand-in. */
  role: "paper dataset" | "stand-in";
  /** Whether its recordings are in the data directory. */
  present: boolean;
  /** What is there when the recordings are not (e.g. hypnograms only). */
  partial: string | null;
  /** Grid runs with a result record / grid runs. */
  computed: number;
  planned: number;
  seeds: number[];
  folds: number[];
  /** The command (or step) that brings an absent dataset in. */
  howToGet: string;
}

function partialContents(dataDir: string | null, dataset: StudyDataset): string | null {
  if (!dataDir || !existsSync(join(dataDir, dataset))) return null;
  const files = readdirSync(join(dataDir, dataset));
  if (dataset === "sleep-edf" && files.some((f) => /Hypnogram\.edf$/i.test(f))) {
    return "hypnograms only, no PSG recordings";
  }
  return files.length ? `${files.length} file(s), not a complete dataset` : null;
}

/**
 * Per paper domain, the paper dataset and its stand-in: present or absent,
 * and for present ones how many grid runs have records (runs that failed or
 * that `--cached-only` could not find count as planned, not computed).
 */
export function studyCoverage(study: Study): DatasetCoverage[] {
  const present = new Set(availableDatasets(study.dataDir));
  const sorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);
  return PAPER_DOMAINS.flatMap(({ domain, paper, standIn }) =>
    ([[paper, "paper dataset"], [standIn, "stand-in"]] as const).map(([dataset, role]) => {
      const done = study.records.filter((r) => r.config.dataset === dataset);
      const lacking = study.failures.filter((f) => f.config.dataset === dataset).length;
      return {
        dataset,
        domain,
        role,
        present: present.has(dataset),
        partial: present.has(dataset) ? null : partialContents(study.dataDir, dataset),
        computed: done.length,
        planned: done.length + lacking,
        seeds: sorted(done.map((r) => r.config.seed)),
        folds: sorted(done.map((r) => r.config.fold)),
        howToGet: HOW_TO_GET[dataset as Exclude<StudyDataset, "synthetic">],
      };
    })
  );
}

/**
 * A table of {@linkcode studyCoverage} and one plain sentence per domain whose
 * paper dataset is absent or whose grid is incomplete.
 */
export function coverageNotice(study: Study): Displayable {
  const rows = studyCoverage(study);
  const dataName = study.dataDir ?? "(no data directory)";
  const table = htmlTable(
    ["domain", "dataset", "role", "in the data directory", "runs with results", "seeds", "folds"],
    rows.map((c) => [
      c.domain,
      datasetLabel(c.dataset),
      c.role,
      c.present ? "yes" : c.partial ? `no (${c.partial})` : "no",
      c.present ? `${c.computed} of ${c.planned}` : null,
      c.seeds.join(", ") || null,
      c.folds.join(", ") || null,
    ]),
    { caption: `What this build covers (data: ${dataName})` },
  );
  const notes: string[] = [];
  for (const { domain, paper, standIn } of PAPER_DOMAINS) {
    const p = rows.find((c) => c.dataset === paper)!;
    const s = rows.find((c) => c.dataset === standIn)!;
    if (!p.present) {
      notes.push(
        `${datasetLabel(paper)}, the paper's ${domain} dataset, is absent from the data directory${
          p.partial ? ` (${p.partial})` : ""
        }, so this report has no ${datasetLabel(paper)} results${
          s.present ? `; ${datasetLabel(standIn)} stands in for it` : ""
        }. To add it: ${p.howToGet.replace("DATA", dataName)}, then rebuild the report.`,
      );
    }
    for (const c of [p, s]) {
      if (c.present && c.computed < c.planned) {
        notes.push(
          `${
            datasetLabel(c.dataset)
          }: ${c.computed} of the profile's ${c.planned} runs have results ` +
            `(seeds: ${c.seeds.join(", ") || "none"}; folds: ${c.folds.join(", ") || "none"}); ` +
            "the others were not computed for this build, and its means and intervals are over " +
            "the runs listed only.",
        );
      }
    }
  }
  for (const r of study.rejected) {
    notes.push(
      `The cached record of ${describeRun(r.config)} was rejected (${r.reason}): ` +
        "it was recomputed, or is listed as not computed when the build reads the cache only.",
    );
  }
  return html(
    table + notes.map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join(""),
  );
}
