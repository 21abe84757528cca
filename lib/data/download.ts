/**
 * Verified, resumable downloads of dataset files.
 *
 * A file is fetched into `dest.part` (resumed with an HTTP `Range` request
 * when a `.part` is already there), hashed with SHA-256 while it streams, and
 * renamed onto `dest` only when its length and hash are right, so `dest`
 * never holds a partial or unverified file. A truncated transfer keeps the
 * `.part` for the next attempt to resume; a wrong checksum deletes it.
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";
import { dirname, isAbsolute, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DataFormatError, EmarginError, expectation } from "../errors.ts";

/** A download failed (HTTP error, network error). */
export class DownloadError extends EmarginError {
  /** The URL being fetched. */
  readonly url: string;
  constructor(url: string, message: string) {
    super(`${url}: ${message}`);
    this.url = url;
  }
}

/** The downloaded bytes do not have the expected SHA-256; nothing was kept. */
export class ChecksumError extends DownloadError {
  /** Expected SHA-256 (hex). */
  readonly expected: string;
  /** SHA-256 of the bytes received (hex). */
  readonly found: string;
  constructor(url: string, file: string, expected: string, found: string) {
    super(url, `${file}: SHA-256 ${expectation(expected, found)}`);
    this.expected = expected;
    this.found = found;
  }
}

/** The body ended before the announced length; the `.part` is kept for resuming. */
export class TruncatedDownloadError extends DownloadError {}

/** No SHA-256 is known for the file and trust on first use was not allowed. */
export class UnverifiedDownloadError extends DownloadError {}

/** Progress of one download. */
export interface DownloadProgress {
  /** Bytes in hand (including those resumed from a `.part`). */
  bytes: number;
  /** Total size, when the server announced it. */
  total: number | undefined;
  /** Transfer rate of this session (bytes/s). */
  rate: number;
  /** Seconds left at the current rate, when the total is known. */
  etaSeconds: number | undefined;
}

/** Options of `downloadFile`. */
export interface DownloadOptions {
  /**
   * Expected SHA-256 (hex). `null` means "not known": the download is refused
   * unless `trustOnFirstUse` is set, in which case the hash of what arrives is
   * returned for the caller to record.
   */
  sha256: string | null;
  /** Accept a file with no known hash and report its hash. */
  trustOnFirstUse?: boolean;
  /** Called as bytes arrive. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Aborts the transfer. */
  signal?: AbortSignal;
}

/** What `downloadFile` did. */
export interface DownloadResult {
  /** The verified file. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** Its SHA-256 (hex). */
  sha256: string;
  /** False when a verified file was already present. */
  downloaded: boolean;
  /** Bytes fetched over the network in this call. */
  transferred: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await hashInto(hash, path);
  return hash.digest("hex");
}

async function hashInto(hash: Hash, path: string): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 16);
  let bytes = 0;
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
    bytes += n;
  }
  return bytes;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Downloads `url` to `dest` and verifies its SHA-256.
 *
 * - `dest` present with the expected hash → returned untouched (`downloaded: false`);
 *   present with another hash → `ChecksumError` (the file is left for the user to inspect).
 * - `dest.part` present → resumed with `Range: bytes=<size>-` (restarted if the server ignores it).
 * - body shorter than `Content-Length` or the connection drops → `TruncatedDownloadError`, `.part` kept.
 * - complete body with the wrong hash → `ChecksumError`, `.part` deleted.
 * - success → `.part` renamed onto `dest` (atomic on one file system).
 *
 * @throws UnverifiedDownloadError when `sha256` is null and `trustOnFirstUse` is not set
 */
export async function downloadFile(
  url: string,
  dest: string,
  { sha256, trustOnFirstUse = false, onProgress, signal }: DownloadOptions,
): Promise<DownloadResult> {
  if (sha256 !== null && !SHA256_HEX.test(sha256)) {
    throw new DownloadError(
      url,
      `expected SHA-256 must be 64 lowercase hex digits, found ${JSON.stringify(sha256)}`,
    );
  }
  if (sha256 === null && !trustOnFirstUse) {
    throw new UnverifiedDownloadError(
      url,
      `no SHA-256 is recorded for ${dest}; rerun with --trust-on-first-use to accept the file and record its hash`,
    );
  }
  const present = await sizeOf(dest);
  if (present !== undefined) {
    const found = await sha256File(dest);
    if (sha256 !== null && found !== sha256) throw new ChecksumError(url, dest, sha256, found);
    return { path: dest, bytes: present, sha256: found, downloaded: false, transferred: 0 };
  }

  await Deno.mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let offset = (await sizeOf(part)) ?? 0;
  const headers = new Headers();
  if (offset > 0) headers.set("Range", `bytes=${offset}-`);
  let response: Response;
  try {
    response = await fetch(url, { headers, signal });
  } catch (e) {
    throw new DownloadError(url, `request failed: ${(e as Error).message}`);
  }
  if (response.status === 416 && offset > 0) {
    // The `.part` is at least as long as the file: start over.
    await response.body?.cancel();
    await removeIfPresent(part);
    return downloadFile(url, dest, { sha256, trustOnFirstUse, onProgress, signal });
  }
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`);
  }
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("Content-Range") ?? "");
    if (range === null || Number(range[1]) !== offset) {
      await response.body?.cancel();
      await removeIfPresent(part);
      throw new DownloadError(
        url,
        `server answered Range bytes=${offset}- with Content-Range ${
          response.headers.get("Content-Range")
        }; the .part was discarded, run again`,
      );
    }
  } else {
    offset = 0; // The server sent the whole file.
  }
  const length = response.headers.get("Content-Length");
  const total = length === null ? undefined : offset + Number(length);

  const hash = createHash("sha256");
  if (offset > 0) await hashInto(hash, part);
  let received = 0;
  const started = performance.now();
  {
    using out = await Deno.open(part, {
      write: true,
      create: true,
      truncate: offset === 0,
      append: offset > 0,
    });
    try {
      for await (const chunk of response.body ?? []) {
        hash.update(chunk);
        let written = 0;
        while (written < chunk.length) written += await out.write(chunk.subarray(written));
        received += chunk.length;
        if (onProgress !== undefined) {
          const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
          const rate = received / seconds;
          const bytes = offset + received;
          onProgress({
            bytes,
            total,
            rate,
            etaSeconds: total === undefined || rate === 0 ? undefined : (total - bytes) / rate,
          });
        }
      }
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new TruncatedDownloadError(
        url,
        `connection lost after ${offset + received} bytes (${
          (e as Error).message
        }); ${part} kept for resuming`,
      );
    }
  }
  const bytes = offset + received;
  if (total !== undefined && bytes < total) {
    throw new TruncatedDownloadError(
      url,
      `received ${bytes} of ${total} bytes; ${part} kept for resuming`,
    );
  }
  if (total !== undefined && bytes > total) {
    await removeIfPresent(part);
    throw new DownloadError(
      url,
      `received ${bytes} bytes, more than the announced ${total}; nothing kept`,
    );
  }
  const found = hash.digest("hex");
  if (sha256 !== null && found !== sha256) {
    await removeIfPresent(part);
    throw new ChecksumError(url, dest, sha256, found);
  }
  await Deno.rename(part, dest);
  return { path: dest, bytes, sha256: found, downloaded: true, transferred: received };
}

// ---------------------------------------------------------------------------
// The manifest of dataset files (lib/data/downloads.json)

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
    parsed = JSON.parse(Deno.readTextFileSync(path));
  } catch (e) {
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
    text = Deno.readTextFileSync(path);
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

/** Options of `downloadDataset`. */
export interface DownloadDatasetOptions {
  /** Accept files whose hash is null in the manifest and record their hash in the lock. */
  trustOnFirstUse?: boolean;
  /** Lock file (default `<dir>/downloads.lock.json`). */
  lockPath?: string;
  /** Called as bytes arrive, with the file being fetched. */
  onProgress?: (file: string, progress: DownloadProgress) => void;
}

/**
 * Downloads every file of one manifest dataset into `dir/<name>/`, verifying
 * each against the manifest hash, else against the hash recorded on first
 * use. Files already present and verified are not fetched again.
 *
 * @throws UnverifiedDownloadError for a file with no known hash, unless `trustOnFirstUse`
 */
export async function downloadDataset(
  manifest: DownloadManifest,
  name: string,
  dir: string,
  { trustOnFirstUse = false, lockPath = join(dir, "downloads.lock.json"), onProgress }:
    DownloadDatasetOptions = {},
): Promise<DownloadResult[]> {
  const dataset = manifest.datasets[name];
  if (dataset === undefined) {
    throw new DownloadError(
      name,
      `no dataset ${JSON.stringify(name)} in the manifest; known: ${
        Object.keys(manifest.datasets).join(", ")
      }`,
    );
  }
  const lock = readHashLock(lockPath);
  const unverified = dataset.files.filter((f) =>
    f.sha256 === null && lock[manifestFileUrl(dataset, f)] === undefined
  );
  if (unverified.length > 0 && !trustOnFirstUse) {
    // Refuse before fetching anything, naming what lacks a hash.
    const names = unverified.slice(0, 3).map((f) => f.path).join(", ") +
      (unverified.length > 3 ? ", …" : "");
    throw new UnverifiedDownloadError(
      dataset.baseUrl,
      `${unverified.length} of ${dataset.files.length} ${name} files have no published SHA-256 (${names}); ` +
        "rerun with --trust-on-first-use to accept them and record their hashes in " + lockPath,
    );
  }
  const results: DownloadResult[] = [];
  for (const file of dataset.files) {
    const url = manifestFileUrl(dataset, file);
    const dest = resolve(dir, name, file.path);
    const sha256 = file.sha256 ?? lock[url] ?? null;
    const result = await downloadFile(url, dest, {
      sha256,
      trustOnFirstUse,
      onProgress: onProgress && ((progress) => onProgress(file.path, progress)),
    });
    if (sha256 === null) {
      lock[url] = result.sha256;
      writeHashLock(lockPath, lock);
    }
    results.push(result);
  }
  return results;
}
