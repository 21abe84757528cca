/**
 * The manifest of dataset files (`lib/data/downloads.json`) and the lock of
 * hashes recorded on first use (`<data dir>/downloads.lock.json`): reading,
 * checking and writing them. The transfers themselves are in `download.ts`.
 *
 * @module
 */
import { dirname, isAbsolute, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { DataFormatError } from "../errors.ts";
import { readRegularFileSync } from "../io.ts";

/** Largest manifest or lock file read (bytes); both are a few hundred KiB at most. */
const MAX_JSON_BYTES = 16 << 20;

/** A regular file's text (FIFOs, devices and oversized files refused). */
function readSmallText(path: string): string {
  return new TextDecoder().decode(readRegularFileSync(path, { maxBytes: MAX_JSON_BYTES }));
}

/** 64 lowercase hex digits. */
export const SHA256_HEX: RegExp = /^[0-9a-f]{64}$/;

/** One file of a dataset. */
export interface ManifestFile {
  /** Path under the dataset's folder (and under `baseUrl` unless `url` is given). */
  path: string;
  /** Expected SHA-256 (hex), or null when none was published. */
  sha256: string | null;
  /** Full URL, when it is not `baseUrl + path`. */
  url?: string;
}

/** One downloadable dataset. */
export interface ManifestDataset {
  title: string;
  homepage: string;
  licence: string;
  citation: string;
  baseUrl: string;
  /** Where the hashes come from, in words. */
  hashSource: string;
  files: ManifestFile[];
}

/** The whole manifest. */
export interface DownloadManifest {
  about: string;
  datasets: Record<string, ManifestDataset>;
}

/** Path of the committed manifest. */
export const DOWNLOAD_MANIFEST_PATH: string = fileURLToPath(
  new URL("./downloads.json", import.meta.url),
);

/**
 * Reads and checks a download manifest: every file has a relative path
 * inside its dataset folder and a 64-hex-digit SHA-256 or null.
 *
 * @throws DataFormatError naming the dataset and file that is malformed
 */
export function readDownloadManifest(path: string = DOWNLOAD_MANIFEST_PATH): DownloadManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readSmallText(path));
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(path, "JSON", "a JSON manifest", (e as Error).message);
  }
  const manifest = parsed as DownloadManifest;
  if (typeof manifest?.datasets !== "object" || manifest.datasets === null) {
    throw new DataFormatError(path, "datasets", "an object of datasets");
  }
  for (const [name, dataset] of Object.entries(manifest.datasets)) {
    for (
      const key of ["title", "homepage", "licence", "citation", "baseUrl", "hashSource"] as const
    ) {
      if (typeof dataset[key] !== "string" || dataset[key] === "") {
        throw new DataFormatError(
          path,
          `datasets.${name}.${key}`,
          "a non-empty string",
          JSON.stringify(dataset[key]),
        );
      }
    }
    if (!Array.isArray(dataset.files) || dataset.files.length === 0) {
      throw new DataFormatError(path, `datasets.${name}.files`, "a non-empty list");
    }
    const seen = new Set<string>();
    for (const file of dataset.files) {
      const at = `datasets.${name}.files[${JSON.stringify(file?.path)}]`;
      if (
        typeof file?.path !== "string" || file.path === "" || isAbsolute(file.path) ||
        normalize(file.path).startsWith("..") || seen.has(file.path)
      ) {
        throw new DataFormatError(
          path,
          `${at}.path`,
          "a unique relative path inside the dataset folder",
        );
      }
      seen.add(file.path);
      if (
        file.sha256 !== null && !(typeof file.sha256 === "string" && SHA256_HEX.test(file.sha256))
      ) {
        throw new DataFormatError(
          path,
          `${at}.sha256`,
          "64 lowercase hex digits or null",
          JSON.stringify(file.sha256),
        );
      }
    }
  }
  return manifest;
}

/** URL of a manifest file: its own `url`, else `baseUrl + path`. */
export function manifestFileUrl(dataset: ManifestDataset, file: ManifestFile): string {
  return file.url ?? new URL(file.path, dataset.baseUrl).href;
}

/** Hashes recorded on first use, by URL (`<data dir>/downloads.lock.json`). */
export type HashLock = Record<string, string>;

/** Reads a hash lock file; an absent file is an empty lock. */
export function readHashLock(path: string): HashLock {
  let text: string;
  try {
    text = readSmallText(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
  let lock: unknown;
  try {
    lock = JSON.parse(text);
  } catch (e) {
    throw new DataFormatError(path, "JSON", "an object of URL → SHA-256", (e as Error).message);
  }
  if (typeof lock !== "object" || lock === null || Array.isArray(lock)) {
    throw new DataFormatError(path, "JSON", "an object of URL → SHA-256");
  }
  for (const [url, hash] of Object.entries(lock)) {
    if (typeof hash !== "string" || !SHA256_HEX.test(hash)) {
      throw new DataFormatError(path, url, "64 lowercase hex digits", JSON.stringify(hash));
    }
  }
  return lock as HashLock;
}

/** Writes a hash lock file atomically (temp file + rename). */
export function writeHashLock(path: string, lock: HashLock): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  Deno.writeTextFileSync(temp, JSON.stringify(lock, null, 2) + "\n");
  Deno.renameSync(temp, path);
}
