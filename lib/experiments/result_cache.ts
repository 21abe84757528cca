/**
 * On-disk cache of result records, keyed by a hash of (run config, data
 * fingerprint, library version): rebuilding the report without changes
 * retrains nothing, like Quarto's freeze.
 *
 * @module
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { cacheDir } from "../paths.ts";
import { writeJsonAtomic } from "../io.ts";
import type { ResultRecord, RunConfig } from "./record.ts";

/**
 * Version of the numerical code that produced a record. Bump it whenever a
 * change alters training or evaluation numbers, so cached results are redone.
 */
export const LIB_VERSION = "0.2.0";

/** Default results folder: `<cacheDir>/results`. */
export function resultsDir(): string {
  return join(cacheDir(), "results");
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Cache key: hex SHA-256 of the canonical JSON of (config without dataDir, fingerprint, LIB_VERSION). */
export function resultKey(config: RunConfig, fingerprint: string): Promise<string> {
  const { dataDir: _ignored, ...rest } = config;
  const text = canonical({ config: rest, fingerprint, libVersion: LIB_VERSION });
  return Promise.resolve(createHash("sha256").update(text).digest("hex"));
}

/** Reads a cached record, or null when absent or unreadable. */
export async function readCachedResult(
  key: string,
  dir = resultsDir(),
): Promise<ResultRecord | null> {
  try {
    const rec = JSON.parse(await Deno.readTextFile(join(dir, `${key}.json`))) as ResultRecord;
    return rec.key === key ? rec : null;
  } catch {
    return null;
  }
}

/** Writes a record atomically under its key. */
export function writeCachedResult(record: ResultRecord, dir = resultsDir()): Promise<void> {
  return writeJsonAtomic(join(dir, `${record.key}.json`), record);
}

/** Every record in a results folder. */
export async function listCachedResults(dir = resultsDir()): Promise<ResultRecord[]> {
  const out: ResultRecord[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(await Deno.readTextFile(join(dir, e.name))) as ResultRecord);
      } catch {
        // a foreign or damaged file is not a record
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : 1));
}

/**
 * Merges the result folders of several shards into `into`: records missing
 * there are copied; returns the number copied.
 */
export async function mergeResultDirs(from: string[], into = resultsDir()): Promise<number> {
  let copied = 0;
  for (const dir of from) {
    for (const rec of await listCachedResults(dir)) {
      if (await readCachedResult(rec.key, into)) continue;
      await writeCachedResult(rec, into);
      copied++;
    }
  }
  return copied;
}
