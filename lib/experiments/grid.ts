/**
 * The experiment grid of a profile over the datasets found in a data
 * directory, and sharding of that grid across machines or CI jobs.
 *
 * @module
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { OptionError } from "../errors.ts";
import { foldsFor, isControl, PROFILES, VARIANTS, variantsFor } from "./config.ts";
import type { StudyDataset, StudyProfile, Variant } from "./config.ts";
import type { RunConfig } from "./record.ts";

/** Which study datasets have their files in `dataDir` (in report order). */
export function availableDatasets(dataDir: string | null): StudyDataset[] {
  if (!dataDir || !existsSync(dataDir)) return [];
  const has = (...p: string[]) => existsSync(join(dataDir, ...p));
  const any = (dir: string, re: RegExp) => {
    try {
      return readdirSync(join(dataDir, dir)).some((f) => re.test(f));
    } catch {
      return false;
    }
  };
  const out: StudyDataset[] = [];
  if (has("hapt", "RawData", "labels.txt")) out.push("hapt");
  if (any("harth", /\.csv$/i)) out.push("harth");
  if (has("mitdb", "100.hea")) out.push("mitdb");
  if (any("afdb", /\.hea$/)) out.push("afdb");
  if (has("dreams", "excerpt1.txt")) out.push("dreams");
  if (any("sleep-edf", /-PSG\.edf$/i)) out.push("sleep-edf");
  return out;
}

/**
 * Every run of a profile over the given datasets, in two stages. First what
 * every verdict needs: fold 0 of every variant and the controls of every fold
 * (they train nothing), seed-major then fold-major, so any prefix is a
 * balanced sub-study; within a (seed, fold) the controls come first, then the
 * variants the headline claims rest on, then the rest. Then the other folds
 * of the trained variants, in the same order.
 */
export function studyGrid(
  datasets: StudyDataset[],
  profile: StudyProfile,
  dataDir: string | null,
): RunConfig[] {
  const p = PROFILES[profile];
  const runs: RunConfig[] = [];
  for (const dataset of datasets) {
    for (const variant of variantsFor(dataset)) {
      for (const seed of p.seeds) {
        for (const fold of foldsFor(variant, profile)) {
          runs.push({
            dataset,
            variant,
            seed,
            profile,
            fold,
            dataDir: dataset === "synthetic" ? null : dataDir,
          });
        }
      }
    }
  }
  const stage = (r: RunConfig) => r.fold === 0 || isControl(r.variant) ? 0 : 1;
  return runs.sort((a, b) =>
    stage(a) - stage(b) || a.seed - b.seed || a.fold - b.fold ||
    priority(a.variant) - priority(b.variant)
  );
}

/** The variants the headline claims compare, computed right after the controls. */
const HEADLINE: readonly Variant[] = ["infonce", "emargin-reference", "emargin-stable", "ts2vec"];

function priority(v: Variant): number {
  if (isControl(v)) return 0;
  const i = HEADLINE.indexOf(v);
  return i >= 0 ? 1 + i : 1 + HEADLINE.length + VARIANTS.indexOf(v);
}

/** Parses `"i/n"` (1-based shard i of n). */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : NaN, count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new OptionError(`--shard "${text}": expected i/n with 1 ≤ i ≤ n, e.g. 1/2`);
  }
  return { index, count };
}

/** The runs of shard `index` of `count` (round-robin, so shards get similar work). */
export function shardOf<T>(runs: T[], shard: { index: number; count: number }): T[] {
  return runs.filter((_, i) => i % shard.count === shard.index - 1);
}
