/**
 * The command line of `deno task report`: every option parsed and checked
 * before any work, the data directory chosen (`--data` wins over
 * `$EMARGIN_DATA`), and the default output folder — `reports/` for a paper
 * build, the git-ignored `reports/quick/` for quick and reduced builds, so a
 * newcomer's first command never overwrites the committed study.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { availableDatasets, parseShard, STUDY_PROFILES, VARIANTS } from "../lib/experiments/mod.ts";
import type { StudyDataset, StudyProfile, Variant } from "../lib/experiments/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { repoRoot } from "../lib/paths.ts";
import {
  existingDirectory,
  integerOption,
  outputDirectory,
  parseCommandLine,
  secondsOption,
  UsageError,
} from "./_cli.ts";

/** Usage line of `deno task report`. */
export const REPORT_USAGE =
  "usage: deno task report [--profile quick|reduced|paper] [--data DIR] " +
  "[--out DIR] [--refresh | --cached-only] [--shard i/n] [--merge DIR…] [--workers N] " +
  "[--datasets NAME,…] [--variants NAME,…] [--timeout SECONDS]";

/** Dataset names `--datasets` accepts. */
const DATASETS: readonly StudyDataset[] = [
  "hapt",
  "mitdb",
  "dreams",
  "sleep-edf",
  "harth",
  "afdb",
  "synthetic",
];

/** The checked options of `deno task report`. */
export interface ReportArgs {
  help: boolean;
  /** `--profile`, or undefined to choose from the cache. */
  profile?: StudyProfile;
  /** `--data` as typed (an existing directory; shown in the report header). */
  data?: string;
  /** `--out` (absolute), or undefined for {@linkcode reportOutDir}'s default. */
  out?: string;
  refresh: boolean;
  cachedOnly: boolean;
  shard?: { index: number; count: number };
  /** Result folders to merge first (absolute; `--merge DIR…`). */
  merge: string[];
  workers?: number;
  datasets?: StudyDataset[];
  /** `--variants`: restrict the grid to these variants (e.g. the controls, or the baselines). */
  variants?: Variant[];
  /** Per-cell notebook timeout (s). */
  timeoutSeconds: number;
}

/**
 * Parses and checks `deno task report`'s arguments; nothing is read or
 * written but `stat`s of the named paths.
 *
 * @throws UsageError naming the option and what was expected
 * @example
 * ```ts
 * parseReportArgs(["--profile", "quick", "--workers", "2"]).workers; // 2
 * ```
 */
export function parseReportArgs(args: string[]): ReportArgs {
  const { values, positionals } = parseCommandLine({
    args,
    strict: true,
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
      variants: { type: "string" },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const profile = values.profile;
  if (profile !== undefined && !(STUDY_PROFILES as readonly string[]).includes(profile)) {
    throw new UsageError(`--profile ${profile}: expected one of ${STUDY_PROFILES.join(", ")}`);
  }
  if (values.refresh && values["cached-only"]) {
    throw new UsageError("--refresh and --cached-only contradict each other: use one");
  }
  if (!values.merge && positionals.length > 0) {
    throw new UsageError(`unexpected argument ${positionals[0]} (only --merge takes folders)`);
  }
  if (values.merge && positionals.length === 0) {
    throw new UsageError("--merge: expected one or more result folders after the options");
  }
  const datasets = values.datasets?.split(",").map((d) => d.trim()).filter((d) => d);
  const unknown = datasets?.filter((d) => !(DATASETS as readonly string[]).includes(d)) ?? [];
  if (datasets?.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--datasets ${values.datasets}: expected names among ${DATASETS.join(", ")}`,
    );
  }
  const variants = values.variants?.split(",").map((v) => v.trim()).filter((v) => v);
  const unknownVariants = variants?.filter((v) => !(VARIANTS as readonly string[]).includes(v)) ??
    [];
  if (variants?.length === 0 || unknownVariants.length > 0) {
    throw new UsageError(
      `--variants ${values.variants}: expected names among ${VARIANTS.join(", ")}`,
    );
  }
  if (values.data !== undefined) existingDirectory("--data", values.data);
  return {
    help: values.help,
    profile: profile as StudyProfile | undefined,
    data: values.data,
    out: values.out === undefined ? undefined : outputDirectory("--out", values.out),
    refresh: values.refresh,
    cachedOnly: values["cached-only"],
    shard: values.shard === undefined ? undefined : shardOption(values.shard),
    merge: positionals.map((p) => existingDirectory("--merge", p)),
    workers: values.workers === undefined
      ? undefined
      : integerOption("--workers", values.workers, 1),
    datasets: datasets as StudyDataset[] | undefined,
    variants: variants as Variant[] | undefined,
    timeoutSeconds: values.timeout === undefined
      ? 1800
      : secondsOption("--timeout", values.timeout),
  };
}

function shardOption(text: string): { index: number; count: number } {
  try {
    return parseShard(text);
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Where a report of `profile` goes: `out` when given, else `reports/` for
 * the paper profile and `reports/quick/` (git-ignored) for quick and reduced.
 */
export function reportOutDir(profile: StudyProfile, out?: string): string {
  if (out !== undefined) return resolve(out);
  return profile === "paper" ? join(repoRoot, "reports") : join(repoRoot, "reports", "quick");
}

/** The data directory a report uses, what it holds, and why it was chosen. */
export interface DataChoice {
  /** Absolute directory, or null for the synthetic dataset. */
  dir: string | null;
  datasets: StudyDataset[];
  why: string;
  /** A note for stderr (e.g. "no known dataset … using the synthetic dataset"). */
  note?: string;
}

/**
 * Chooses the data directory: `--data` when given (even when it holds no
 * dataset: then the synthetic one, never `$EMARGIN_DATA`), else
 * `$EMARGIN_DATA` (which must exist), else `data/` when it holds a dataset,
 * else the synthetic dataset.
 *
 * @throws UsageError when `$EMARGIN_DATA` names a missing directory
 */
export function chooseDataDir(data: string | undefined, env: string | undefined): DataChoice {
  const synthetic = (note?: string): DataChoice => ({
    dir: null,
    datasets: ["synthetic"],
    why: "no real data found",
    note,
  });
  const pick = (dir: string, why: string): DataChoice => {
    const datasets = availableDatasets(dir);
    return datasets.length
      ? { dir, datasets, why }
      : synthetic(`${why}: no known dataset in ${dir}; using the synthetic dataset`);
  };
  if (data !== undefined) return pick(existingDirectory("--data", data), "--data");
  if (env) return pick(existingDirectory("EMARGIN_DATA", env), "EMARGIN_DATA");
  const local = join(repoRoot, "data");
  const found = existsSync(local) ? availableDatasets(local) : [];
  return found.length ? { dir: local, datasets: found, why: "data/" } : synthetic();
}
