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
import { PROBE_SETTINGS } from "./evaluate.ts";

/**
 * Version of the training code. Bump it whenever a change alters trained
 * weights, so cached weights and records are redone.
 */
export const TRAIN_VERSION = "0.3.0";

/**
 * Version of the evaluation code. Bump it whenever a change alters evaluation
 * numbers only: cached weights are re-scored without training.
 */
export const EVAL_VERSION = "0.4.0";

/** Both versions, as stored in records. */
export const LIB_VERSION = `train ${TRAIN_VERSION}, eval ${EVAL_VERSION}`;

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

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * Training key: hex SHA-256 of the canonical JSON of (config without
 * dataDir, data fingerprint, TRAIN_VERSION). It names the cached weights.
 */
export function trainKey(config: RunConfig, fingerprint: string): string {
  const { dataDir: _ignored, ...rest } = config;
  return sha256(canonical({ config: rest, fingerprint, trainVersion: TRAIN_VERSION }));
}

/**
 * Result key: hex SHA-256 of (training key, EVAL_VERSION). A change to the
 * evaluation alone changes this key but not the training key, so the run is
 * re-scored from its cached weights.
 */
export function resultKey(config: RunConfig, fingerprint: string): Promise<string> {
  const text = canonical({
    trainKey: trainKey(config, fingerprint),
    evalVersion: EVAL_VERSION,
    // the quick profile's cheaper probe is part of its key (the other profiles use the defaults)
    probe: config.profile === "quick" ? PROBE_SETTINGS.quick : undefined,
  });
  return Promise.resolve(sha256(text));
}

/** SHA-256 of a record's canonical JSON without its `contentHash` field. */
export function recordHash(record: ResultRecord): string {
  const { contentHash: _ignored, ...rest } = record;
  return sha256(canonical(JSON.parse(JSON.stringify(rest))));
}

/** Why a cached record was not used. */
export interface RejectedRecord {
  file: string;
  reason: string;
}

/**
 * Checks a parsed record against the schema the notebooks rely on and its
 * content hash; returns the first problem in words, or null when sound.
 */
export function validateRecord(value: unknown, key?: string): string | null {
  if (!value || typeof value !== "object") return "not a JSON object";
  const r = value as Record<string, unknown>;
  const need: [string, string][] = [
    ["key", "string"],
    ["trainKey", "string"],
    ["libVersion", "string"],
    ["config", "object"],
    ["settings", "object"],
    ["data", "object"],
    ["training", "object"],
    ["clustering", "object"],
    ["embeddingsFinite", "boolean"],
    ["timings", "object"],
    ["contentHash", "string"],
  ];
  for (const [field, type] of need) {
    if (typeof r[field] !== type || r[field] === null) {
      return `field "${field}": expected ${type}, found ${
        r[field] === null ? "null" : typeof r[field]
      }`;
    }
  }
  if (key !== undefined && r.key !== key) return `field "key": expected ${key}, found ${r.key}`;
  if (r.libVersion !== LIB_VERSION) {
    return `field "libVersion": expected ${LIB_VERSION}, found ${r.libVersion}`;
  }
  const clustering = r.clustering as Record<string, unknown>;
  if (typeof clustering.status !== "string") return `field "clustering.status": expected a string`;
  const training = r.training as Record<string, unknown>;
  if (!Array.isArray(training.losses)) return `field "training.losses": expected an array`;
  for (const field of ["probe", "referenceProbe", "adjacency"]) {
    if (!(field in r)) return `field "${field}": missing (expected an object or null)`;
    if (r[field] !== null && typeof r[field] !== "object") {
      return `field "${field}": expected an object or null`;
    }
  }
  if (r.probe !== null) {
    const p = r.probe as Record<string, unknown>;
    for (const f of ["balancedAccuracy", "f1Macro", "accuracy"]) {
      if (typeof p[f] !== "number") return `field "probe.${f}": expected a number`;
    }
    if (!p.groups || typeof p.groups !== "object") {
      return `field "probe.groups": expected an object`;
    }
  }
  const hash = recordHash(value as ResultRecord);
  if (hash !== r.contentHash) {
    return `field "contentHash": the record's content does not match its hash (edited after it was written)`;
  }
  return null;
}

/**
 * Reads a cached record: the record, null when absent, or the reason it was
 * rejected (damaged, edited, or of another schema) — a rejected record is
 * recomputed by the caller.
 */
export async function readCachedResultChecked(
  key: string,
  dir = resultsDir(),
): Promise<ResultRecord | RejectedRecord | null> {
  const file = join(dir, `${key}.json`);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { file, reason: `not valid JSON (${(err as Error).message})` };
  }
  const reason = validateRecord(value, key);
  return reason ? { file, reason } : value as ResultRecord;
}

/** Whether {@linkcode readCachedResultChecked} returned a rejection. */
export function isRejected(r: ResultRecord | RejectedRecord | null): r is RejectedRecord {
  return r !== null && "reason" in r && "file" in r && !("config" in r);
}

/** Reads a cached record, or null when absent, unreadable or failing validation. */
export async function readCachedResult(
  key: string,
  dir = resultsDir(),
): Promise<ResultRecord | null> {
  const r = await readCachedResultChecked(key, dir);
  return r && !isRejected(r) ? r : null;
}

/** Writes a record atomically under its key, with its content hash. */
export function writeCachedResult(record: ResultRecord, dir = resultsDir()): Promise<void> {
  const sealed = { ...record, contentHash: "" };
  sealed.contentHash = recordHash(sealed);
  record.contentHash = sealed.contentHash;
  return writeJsonAtomic(join(dir, `${record.key}.json`), sealed);
}

/** Every record in a results folder. */
export async function listCachedResults(dir = resultsDir()): Promise<ResultRecord[]> {
  const out: ResultRecord[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      try {
        const value = JSON.parse(await Deno.readTextFile(join(dir, e.name)));
        // a foreign, damaged or edited file is not a record
        if (validateRecord(value) === null) out.push(value as ResultRecord);
      } catch {
        // not JSON: not a record
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
