/**
 * DREAMS featurisation speed: reading, resampling to 100 Hz and the STFT of
 * all eight excerpts, and the dataset cold (no cache) and from the dataset cache.
 * Targets: ≤ 5 s cold, ≤ 0.5 s cached.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  dreamsFiles,
  dreamsFrameLabels,
  dreamsStages,
  loadDreamsDataset,
  parseDreamsExcerpt,
  parseDreamsHypnogram,
  resolveDreamsDir,
} from "../lib/data/mod.ts";
import { gcd, resamplePoly, stftMagnitude } from "../lib/features/mod.ts";
import { dataDir, sharedDatasetsDir } from "../lib/paths.ts";

const COLD_TARGET_S = 5;
const CACHED_TARGET_S = 0.5;

function findDreams(): string | null {
  for (const root of [dataDir(), sharedDatasetsDir()]) {
    const dir = resolveDreamsDir(root);
    if (existsSync(join(dir, "excerpt1.txt"))) return dir;
  }
  return null;
}

async function timed<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

/** Per-stage and end-to-end timings of the DREAMS recipe (seconds). */
export async function benchDreams(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const dir = findDreams();
  if (dir === null) {
    return { rows: [], notes: ["DREAMS files not found in dataDir() or ../shared/datasets"] };
  }
  const rows: Record<string, unknown>[] = [];

  // Per stage, summed over the eight excerpts.
  const stage = { read: 0, parse: 0, resample: 0, stft: 0, labels: 0 };
  for (let n = 1; n <= 8; n++) {
    const files = dreamsFiles(dir, n);
    const [texts, tRead] = await timed(() =>
      Promise.all([Deno.readTextFile(files.excerpt), Deno.readTextFile(files.hypnogram)])
    );
    const [parsed, tParse] = await timed(() => ({
      excerpt: parseDreamsExcerpt(texts[0], files.excerpt),
      codes: parseDreamsHypnogram(texts[1], files.hypnogram),
    }));
    const nIn = parsed.excerpt.data.length;
    const g = gcd(180_000, nIn);
    const [y, tResample] = await timed(() =>
      resamplePoly(parsed.excerpt.data, 180_000 / g, nIn / g)
    );
    const [, tStft] = await timed(() => stftMagnitude(y, { nFft: 178, hop: 178, winLength: 178 }));
    const [, tLabels] = await timed(() => dreamsFrameLabels(dreamsStages(parsed.codes)));
    stage.read += tRead;
    stage.parse += tParse;
    stage.resample += tResample;
    stage.stft += tStft;
    stage.labels += tLabels;
    rows.push({
      case: `excerpt${n} resample`,
      nativeFs: Number(parsed.excerpt.fs.toFixed(3)),
      seconds: tResample,
    });
  }
  for (const [name, seconds] of Object.entries(stage)) {
    rows.push({ case: `all 8: ${name}`, seconds });
  }

  const cache = await Deno.makeTempDir({ prefix: "emargin-bench-dreams-" });
  try {
    const load = () => loadDreamsDataset({ dataDir: dir, fold: 0, cache });
    const [cold, tCold] = await timed(load);
    const [warm, tWarm] = await timed(load);
    rows.push({
      case: "loadDreamsDataset fold 0, cold (read+resample+STFT+z-score+cache write)",
      seconds: tCold,
      target: COLD_TARGET_S,
      ok: cold.meta.extra?.cacheHit === false && tCold <= COLD_TARGET_S,
    });
    rows.push({
      case: "loadDreamsDataset fold 0, cached",
      seconds: tWarm,
      target: CACHED_TARGET_S,
      ok: warm.meta.extra?.cacheHit === true && tWarm <= CACHED_TARGET_S,
    });
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
  return { rows, notes: [`data: ${dir}`] };
}

if (import.meta.main) {
  const { rows, notes } = await benchDreams();
  console.table(rows);
  for (const note of notes) console.log(note);
}
