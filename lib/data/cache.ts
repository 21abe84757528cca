/**
 * On-disk cache of featurised datasets under {@linkcode cacheDir} (never in a
 * git-tracked path). An entry is a folder `datasets/<key>/` holding
 * `dataset.json` (everything but the arrays) and the raw little-endian arrays
 * `train_x.f32`, `train_y.i32`, `eval_x.f32`, `eval_y.i32`; it is written to a
 * temporary folder and renamed into place, so a reader sees a whole entry or
 * none. The key hashes the source files' names, sizes and contents (SHA-256),
 * the recipe, the load options and {@linkcode FEATURE_CODE_VERSION}. Contents,
 * not modification times: a copied, re-cloned or re-mounted data folder keeps
 * its key, and with it every cached result record computed on it.
 *
 * Every dataset, DREAMS included, goes through this one format (written by
 * `buildDataset`). The per-excerpt feature files `datasets/dreams/features-*.bin`
 * of earlier versions are neither read nor written: a new entry's name is a
 * 64-digit key, so code of either age never reads a file of the other.
 *
 * @module
 */
import { join, relative, resolve } from "node:path";
import { OptionError } from "../errors.ts";
import { cacheDir as defaultCacheDir, repoRoot } from "../paths.ts";
import { sha256, sha256Hex } from "./hash.ts";
import type { Dataset, SequenceSplit } from "./types.ts";

/** Bump when the featurisation code changes in a way that changes its output. */
export const FEATURE_CODE_VERSION = 1;

/** Name, size and content hash of one source file. */
export interface FileStamp {
  path: string;
  size: number;
  /** Hex SHA-256 of the file's bytes ("" for a missing file). */
  sha256: string;
}

/** Stamps of the given files (sorted by path); a missing file has size −1. */
export function fileStamps(paths: readonly string[]): FileStamp[] {
  return [...paths].sort().map((path) => {
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(path);
    } catch {
      return { path, size: -1, sha256: "" };
    }
    return { path, size: bytes.length, sha256: sha256Hex(bytes) };
  });
}

/**
 * SHA-256 (hex) of the files' base names, sizes and content hashes, the recipe
 * and the code version: the dataset fingerprint and cache key.
 */
export function datasetFingerprint(stamps: readonly FileStamp[], recipe: unknown): string {
  const hash = sha256();
  hash.update(JSON.stringify({ version: FEATURE_CODE_VERSION, recipe }));
  for (const s of stamps) hash.update(`\n${s.path.split(/[\\/]/).pop()}\t${s.size}\t${s.sha256}`);
  return hash.digest("hex");
}

/**
 * The cache folder to use: `dir` (default {@linkcode cacheDir}) after checking
 * that it is not inside the repository other than under `.cache/`
 * (featurised arrays, DREAMS-derived ones in particular, must never land in
 * a tracked path).
 *
 * @throws {OptionError} for a folder inside the repository's tracked tree.
 */
export function datasetCacheDir(dir: string = defaultCacheDir()): string {
  const absolute = resolve(dir);
  const inRepo = relative(repoRoot, absolute);
  if (!inRepo.startsWith("..") && !inRepo.startsWith("/") && inRepo !== "") {
    if (!(inRepo === ".cache" || inRepo.startsWith(".cache/") || inRepo.startsWith(".cache\\"))) {
      throw new OptionError(
        `cache folder ${absolute} is inside the repository; use .cache/ or a folder outside it`,
      );
    }
  } else if (inRepo === "") {
    throw new OptionError(`cache folder ${absolute} is the repository root; use .cache/`);
  }
  return join(absolute, "datasets");
}

function bytesOf(array: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/**
 * Reads a cached dataset, or `undefined` when there is no complete entry
 * for `key` (a damaged entry counts as absent).
 */
export function readCachedDataset(key: string, dir?: string): Dataset | undefined {
  const folder = join(datasetCacheDir(dir), key);
  try {
    const head = JSON.parse(Deno.readTextFileSync(join(folder, "dataset.json"))) as
      & Omit<Dataset, "train" | "eval">
      & {
        splits: Record<"train" | "eval", Omit<SequenceSplit, "x" | "y">>;
      };
    const split = (name: "train" | "eval"): SequenceSplit => {
      const x = new Float32Array(Deno.readFileSync(join(folder, `${name}_x.f32`)).buffer);
      const y = new Int32Array(Deno.readFileSync(join(folder, `${name}_y.i32`)).buffer);
      const { nSequences, recording } = head.splits[name];
      if (x.length !== nSequences * head.T * head.F || y.length !== nSequences * head.T) {
        throw new Error("damaged cache entry");
      }
      return { x, y, recording, nSequences };
    };
    const { splits: _splits, ...rest } = head;
    return { ...rest, train: split("train"), eval: split("eval") };
  } catch {
    return undefined;
  }
}

/** Writes `dataset` under `key` atomically (temporary folder + rename). */
export async function writeCachedDataset(
  key: string,
  dataset: Dataset,
  dir?: string,
): Promise<void> {
  const root = datasetCacheDir(dir);
  await Deno.mkdir(root, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: root, prefix: ".tmp-" });
  try {
    const { train, eval: evaluation, ...rest } = dataset;
    const splits = {
      train: { recording: train.recording, nSequences: train.nSequences },
      eval: { recording: evaluation.recording, nSequences: evaluation.nSequences },
    };
    await Deno.writeTextFile(join(tmp, "dataset.json"), JSON.stringify({ ...rest, splits }));
    await Deno.writeFile(join(tmp, "train_x.f32"), bytesOf(train.x));
    await Deno.writeFile(join(tmp, "train_y.i32"), bytesOf(train.y));
    await Deno.writeFile(join(tmp, "eval_x.f32"), bytesOf(evaluation.x));
    await Deno.writeFile(join(tmp, "eval_y.i32"), bytesOf(evaluation.y));
    const target = join(root, key);
    await Deno.remove(target, { recursive: true }).catch(() => {});
    await Deno.rename(tmp, target);
  } catch (err) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw err;
  }
}
