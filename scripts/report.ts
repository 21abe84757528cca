/**
 * `deno task report [--profile quick|reduced|paper] [--data DIR] [--out DIR] [--refresh]
 * [--shard i/n] [--merge DIR…] [--workers N] [--cached-only] [--datasets NAME,…]`
 *
 * Runs (or reads from the cache) the study grid, executes the notebooks
 * headlessly on the Deno kernel with the profile and data directory as
 * parameters, and builds one self-contained `index.html` (default `reports/`).
 * With `--shard i/n` it only computes that shard's runs into the cache; a
 * later `--merge DIR…` run copies other machines' result folders in first.
 * `--cached-only` builds from the cache alone and lists the runs it lacks.
 * `--datasets` restricts the grid to some of the datasets found (e.g. to
 * compute them first).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import {
  availableDatasets,
  formatProgress,
  listCachedResults,
  mergeResultDirs,
  parseShard,
  runStudy,
  shardOf,
  STUDY_PROFILES,
  studyGrid,
} from "../lib/experiments/mod.ts";
import type { StudyDataset, StudyProfile, StudyProgress } from "../lib/experiments/mod.ts";
import { initBackend } from "../lib/backend.ts";
import { dataDir as defaultDataDir, repoRoot } from "../lib/paths.ts";
import { createProgressReporter, runNotebook } from "../lib/notebook/mod.ts";
import { buildReport, collectHeader } from "../lib/report/mod.ts";
import { writeJsonAtomic } from "../lib/io.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    profile: { type: "string" },
    data: { type: "string" },
    out: { type: "string" },
    refresh: { type: "boolean", default: false },
    "cached-only": { type: "boolean", default: false },
    shard: { type: "string" },
    merge: { type: "boolean", default: false },
    workers: { type: "string" },
    datasets: { type: "string" },
    timeout: { type: "string" },
  },
});

if (
  values.profile !== undefined && !(STUDY_PROFILES as readonly string[]).includes(values.profile)
) {
  console.error(`--profile ${values.profile}: expected one of ${STUDY_PROFILES.join(", ")}`);
  Deno.exit(2);
}
const outDir = resolve(values.out ?? join(repoRoot, "reports"));

function chooseDataDir(): { dir: string | null; datasets: StudyDataset[]; why: string } {
  const candidates: [string | undefined, string][] = [
    [values.data, "--data"],
    [Deno.env.get("EMARGIN_DATA"), "EMARGIN_DATA"],
    [defaultDataDir(), "data/"],
  ];
  for (const [dir, why] of candidates) {
    if (!dir) continue;
    const abs = resolve(dir);
    if (!existsSync(abs)) {
      if (why !== "data/") throw new Error(`${why}: the data directory ${abs} does not exist`);
      continue;
    }
    const datasets = availableDatasets(abs);
    if (datasets.length) return { dir: abs, datasets, why };
    if (why !== "data/") {
      console.error(`${why}: no known dataset in ${abs}; using the synthetic dataset`);
    }
  }
  return { dir: null, datasets: ["synthetic"], why: "no real data found" };
}

const isTty = Deno.stderr.isTerminal();
const encoder = new TextEncoder();
function progress(line: string, final = false) {
  if (isTty && !final) Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line.slice(0, 160)}`));
  else Deno.stderr.writeSync(encoder.encode(`${isTty ? "\r\x1b[2K" : ""}${line}\n`));
}

const started = performance.now();
if (values.merge) {
  const copied = await mergeResultDirs(positionals.map((p) => resolve(p)));
  console.error(`merged ${copied} result record(s) from ${positionals.join(", ")}`);
}
const { dir: dataDir, datasets: found, why } = chooseDataDir();
const wanted = values.datasets?.split(",").map((d) => d.trim()).filter((d) => d);
const missing = wanted?.filter((d) => !(found as string[]).includes(d)) ?? [];
if (missing.length) {
  console.error(`--datasets: ${missing.join(", ")} not found; the data has ${found.join(", ")}`);
  Deno.exit(2);
}
const datasets = wanted ? found.filter((d) => wanted.includes(d)) : found;
console.error(`data: ${dataDir ?? "synthetic"} (${why}); datasets: ${datasets.join(", ")}`);
// Without --profile: the paper profile when all of its runs are cached, else quick.
let profile = (values.profile ?? "paper") as StudyProfile;
if (values.profile === undefined) {
  const paper = await runStudy(studyGrid(datasets, "paper", dataDir), { cachedOnly: true });
  if (paper.failures.length) {
    profile = "quick";
    console.error(
      `no --profile: ${paper.failures.length} of ${
        paper.records.length + paper.failures.length
      } paper-profile runs are not cached, so the quick profile is used ` +
        "(deno task report --profile paper computes them)",
    );
  }
}
console.error(`profile: ${profile}`);
let runs = studyGrid(datasets, profile, dataDir);
if (values.shard) runs = shardOf(runs, parseShard(values.shard));

let lastStep = 0;
const onProgress = (p: StudyProgress) => {
  if (p.kind === "step") {
    // a line per run step on a TTY; every 10th step otherwise
    if (!isTty && p.step % 10 !== 0 && p.step !== p.steps) return;
    const now = performance.now();
    if (isTty && now - lastStep < 100) return;
    lastStep = now;
  }
  progress(formatProgress(p), p.kind !== "step");
};
const workers = values.workers === undefined ? undefined : Number(values.workers);
const { records, failures } = await runStudy(runs, {
  refresh: values.refresh,
  cachedOnly: values["cached-only"],
  workers,
  onProgress,
});
console.error(
  `study: ${records.length} run(s) ready, ${failures.length} failed, ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s`,
);
if (values.shard) Deno.exit(failures.length ? 1 : 0);

const notebookDir = join(repoRoot, "notebooks");
const notebookFiles = [...Deno.readDirSync(notebookDir)]
  .filter((e) => e.isFile && /^\d\d-.*\.ipynb$/.test(e.name))
  .map((e) => join(notebookDir, e.name))
  .sort();
const executed = [];
const reporter = createProgressReporter();
for (const path of notebookFiles) {
  const t = performance.now();
  const result = await runNotebook(path, {
    // the grid ran above: the notebooks read its records and compute nothing
    params: { profile, dataDir: dataDir ?? "", cachedOnly: true },
    timeoutSeconds: values.timeout ? Number(values.timeout) : 1800,
    onProgress: reporter.onProgress,
  });
  const seconds = (performance.now() - t) / 1000;
  if (result.status !== "ok") {
    reporter.close();
    console.error(
      `notebook ${path} failed (${result.status}); the previous report is left untouched`,
    );
    Deno.exit(1);
  }
  executed.push({
    path: relative(repoRoot, path),
    notebook: result.notebook,
    seconds,
    trusted: true,
  });
}
reporter.close();

const backend = await initBackend();
const header = await collectHeader({
  backend: backend.name,
  adapter: backend.adapter,
  dataDir: dataDir ? (values.data ?? dataDir) : "none (synthetic dataset)",
  profile,
  notes: failures.length
    ? [
      `${records.length} of the ${profile} profile's ${
        records.length + failures.length
      } runs have results; the others are listed per dataset under "What this build covers" (01 · Data).`,
    ]
    : [],
});
await buildReport({
  notebooks: executed,
  outFile: join(outDir, "index.html"),
  title: "eMargin revisited: margin-based contrastive learning on real time series",
  header,
});
const all = await listCachedResults();
const keys = new Set(records.map((r) => r.key));
await writeJsonAtomic(join(outDir, "results.json"), {
  profile,
  dataDir,
  datasets,
  // the 2-D maps are in the report's figures; no per-frame arrays leave the cache
  records: all.filter((r) => keys.has(r.key)).map(({ projection: _maps, ...r }) => r),
  failures,
});
console.error(
  `wrote ${join(outDir, "index.html")} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
