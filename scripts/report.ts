/**
 * `deno task report [--profile quick|reduced|paper] [--data DIR] [--out DIR] [--refresh]
 * [--shard i/n] [--merge DIR…] [--workers N] [--cached-only] [--datasets NAME,…]
 * [--variants NAME,…]`
 *
 * Runs (or reads from the cache) the study grid, executes the notebooks
 * headlessly on the Deno kernel with the profile and data directory as
 * parameters, and builds one self-contained `index.html` with its `results.json`:
 * by default into `reports/` for the paper profile and into the git-ignored
 * `reports/quick/` for quick and reduced builds, so the committed study is
 * only replaced by a paper build or an explicit `--out reports`.
 * With `--shard i/n` it only computes that shard's runs into the cache; a
 * later `--merge DIR…` run copies other machines' result folders in first.
 * `--cached-only` builds from the cache alone and lists the runs it lacks.
 * `--datasets` and `--variants` restrict the grid to some of the datasets found
 * and some of the variants (e.g. to compute them first). Every option is
 * checked before any work; misuse prints one line on stderr and exits 2. `--data` wins over `$EMARGIN_DATA`.
 *
 * @module
 */
import { join, relative } from "node:path";
import {
  dataDirLabel,
  formatProgress,
  listCachedResults,
  mergeResultDirs,
  productKernelNote,
  runStudy,
  shardOf,
  studyGrid,
} from "../lib/experiments/mod.ts";
import type { StudyProfile, StudyProgress } from "../lib/experiments/mod.ts";
import { repoRoot } from "../lib/paths.ts";
import { writeJsonAtomic } from "../lib/io.ts";
import { outputDirectory, USAGE_EXIT_CODE, UsageError } from "./_cli.ts";
import { chooseDataDir, parseReportArgs, REPORT_USAGE, reportOutDir } from "./report_args.ts";

// Every option is checked before any work: misuse is one line on stderr and exit 2.
function usage<T>(check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(e.message);
    Deno.exit(USAGE_EXIT_CODE);
  }
}
const options = usage(() => parseReportArgs(Deno.args));
if (options.help) {
  console.log(REPORT_USAGE);
  Deno.exit(0);
}
const choice = usage(() => chooseDataDir(options.data, Deno.env.get("EMARGIN_DATA")));
const missing = options.datasets?.filter((d) => !choice.datasets.includes(d)) ?? [];
if (missing.length) {
  console.error(
    `--datasets: ${missing.join(", ")} not found; the data has ${choice.datasets.join(", ")}`,
  );
  Deno.exit(USAGE_EXIT_CODE);
}

const isTty = Deno.stderr.isTerminal();
const encoder = new TextEncoder();
function progress(line: string, final = false) {
  if (isTty && !final) Deno.stderr.writeSync(encoder.encode(`\r\x1b[2K${line.slice(0, 160)}`));
  else Deno.stderr.writeSync(encoder.encode(`${isTty ? "\r\x1b[2K" : ""}${line}\n`));
}

const started = performance.now();
if (options.merge.length) {
  const copied = await mergeResultDirs(options.merge);
  console.error(`merged ${copied} result record(s) from ${options.merge.join(", ")}`);
}
const { dir: dataDir, why } = choice;
if (choice.note) console.error(choice.note);
const datasets = options.datasets
  ? choice.datasets.filter((d) => options.datasets!.includes(d))
  : choice.datasets;
console.error(`data: ${dataDir ?? "synthetic"} (${why}); datasets: ${datasets.join(", ")}`);
// Without --profile: the paper profile when all of its runs are cached, else quick.
let profile: StudyProfile = options.profile ?? "paper";
if (options.profile === undefined) {
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
// quick and reduced builds go to the git-ignored reports/quick/ unless --out says otherwise
const outDir = usage(() => outputDirectory("--out", reportOutDir(profile, options.out)));
console.error(`profile: ${profile}; report into ${relative(Deno.cwd(), outDir) || "."}`);
let runs = studyGrid(datasets, profile, dataDir);
if (options.variants) runs = runs.filter((r) => options.variants!.includes(r.variant));
if (options.shard) runs = shardOf(runs, options.shard);

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
const { records, failures } = await runStudy(runs, {
  refresh: options.refresh,
  cachedOnly: options.cachedOnly,
  workers: options.workers,
  onProgress,
});
console.error(
  `study: ${records.length} run(s) ready, ${failures.length} failed, ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s`,
);
// A shard only fills the cache. The process ends on its own once the terminated
// workers have wound down: Deno.exit() while a wasm worker is still being torn
// down can crash the runtime (exit 139).
if (options.shard) Deno.exitCode = failures.length ? 1 : 0;
else await writeReport();

/** Executes the notebooks on the grid's records and writes `index.html` + `results.json`. */
async function writeReport(): Promise<void> {
  // Loaded only now: a --shard run (or a misused command line) never starts the notebook runner.
  const { createProgressReporter, runNotebook } = await import("../lib/notebook/mod.ts");
  const { buildReport, collectHeader } = await import("../lib/report/mod.ts");
  const { initBackend } = await import("../lib/backend.ts");
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
      // relative to the notebook's folder (the kernel's working directory): no machine path
      params: { profile, dataDir: dataDir ? relative(notebookDir, dataDir) : "", cachedOnly: true },
      timeoutSeconds: options.timeoutSeconds,
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
    dataDir: dataDir ? dataDirLabel(dataDir, repoRoot)! : "none (synthetic dataset)",
    profile,
    notes: [
      ...(failures.length
        ? [
          `${records.length} of the ${profile} profile's ${
            records.length + failures.length
          } runs have results; the others are listed per dataset under "What this build covers" (01 · Data).`,
        ]
        : []),
      ...[productKernelNote(records)].filter((n): n is string => n !== null),
    ],
  });
  await buildReport({
    notebooks: executed,
    outFile: join(outDir, "index.html"),
    title: "eMargin revisited: margin-based contrastive learning on real time series",
    header,
  });
  const all = await listCachedResults();
  const keys = new Set(records.map((r) => r.key));
  // a record per line: the committed file stays small and its diffs name whole runs
  await writeJsonAtomic(join(outDir, "results.json"), {
    profile,
    dataDir: dataDirLabel(dataDir, repoRoot),
    datasets,
    // the 2-D maps are in the report's figures; no per-frame arrays leave the cache
    records: all.filter((r) => keys.has(r.key)).map(({ projection: _maps, ...r }) => r),
    failures: failures.map((f) => ({
      ...f,
      config: { ...f.config, dataDir: dataDirLabel(f.config.dataDir, repoRoot) },
    })),
  }, { depth: 2 });
  console.error(
    `wrote ${join(outDir, "index.html")} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}
