/**
 * Featurisation speed of the real datasets: all of HAPT (61 experiments ×
 * 6 channels, STFT 50/25) and all 48 MIT-BIH Arrhythmia records (2 leads,
 * resampled to 250 Hz, STFT 1500/750), cold (cache disabled) and from the
 * featurised-dataset cache. Throughput is source-file megabytes per second.
 * Target: all of HAPT in ≤ 10 s cold.
 *
 * @module
 */
import { join } from "node:path";
import { loadDataset } from "../lib/data/mod.ts";
import { dataDir, sharedDatasetsDir } from "../lib/paths.ts";

const HAPT_COLD_TARGET_S = 10;

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    total += entry.isDirectory ? sizeOf(path) : Deno.statSync(path).size;
  }
  return total;
}

function findRoot(name: string, marker: string): string | null {
  for (const root of [dataDir(), sharedDatasetsDir()]) {
    try {
      Deno.statSync(join(root, name, marker));
      return root;
    } catch {
      // not in this root
    }
  }
  return null;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

/** Rows: dataset × {cold, cached} with seconds, MB read and MB/s. */
export async function benchData(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const rows: Record<string, unknown>[] = [];
  const notes: string[] = [];
  const cache = await Deno.makeTempDir({ prefix: "emargin-bench-data-" });
  try {
    for (
      const [name, folder, marker, target] of [
        ["hapt", "hapt", "RawData", HAPT_COLD_TARGET_S],
        ["mitdb", "mitdb", "100.hea", null],
      ] as const
    ) {
      const root = findRoot(folder, marker);
      if (root === null) {
        notes.push(`${name}: no data found under ${dataDir()} or ${sharedDatasetsDir()}; skipped`);
        continue;
      }
      const mb = sizeOf(join(root, folder)) / 1e6;
      const [cold, coldSeconds] = await timed(() =>
        loadDataset(name, { dataDir: root, cache: false })
      );
      const shape =
        `train [${cold.train.nSequences}, ${cold.T}, ${cold.F}], eval [${cold.eval.nSequences}, ${cold.T}, ${cold.F}]`;
      rows.push({
        dataset: name,
        mode: "cold",
        seconds: coldSeconds,
        sourceMB: mb,
        MBps: mb / coldSeconds,
        shape,
        target: target === null ? "" : `≤ ${target} s`,
        ok: target === null ? "" : coldSeconds <= target ? "yes" : "NO",
      });
      await loadDataset(name, { dataDir: root, cache }); // featurise once more and fill the cache
      const [hit, cachedSeconds] = await timed(() => loadDataset(name, { dataDir: root, cache }));
      rows.push({
        dataset: name,
        mode: hit.meta.extra?.cacheHit ? "cached" : "cached (MISS)",
        seconds: cachedSeconds,
        sourceMB: mb,
        MBps: mb / cachedSeconds,
        shape,
        target: "",
        ok: "",
      });
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
  return { rows, notes };
}

if (import.meta.main) {
  const { rows, notes } = await benchData();
  console.table(rows);
  for (const note of notes) console.log(note);
}
