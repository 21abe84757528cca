/**
 * Dataset downloads: every file of a manifest dataset fetched with
 * {@linkcode downloadFile} (timeouts, retries, resumption, SHA-256
 * verification) and checked against the manifest or the lock of hashes
 * recorded on first use. Re-exports the pieces: `download_file.ts` (one
 * file), `transfer.ts` (errors and timing), `manifest.ts` (manifest and lock).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { downloadFile, type DownloadProgress, type DownloadResult } from "./download_file.ts";
import { type DownloadManifest, manifestFileUrl, readHashLock, writeHashLock } from "./manifest.ts";
import { DownloadError, type TransferOptions, UnverifiedDownloadError } from "./transfer.ts";

export * from "./download_file.ts";
export {
  ChecksumError,
  DOWNLOAD_DEFAULTS,
  DownloadError,
  DownloadTimeoutError,
  type TransferOptions,
  TruncatedDownloadError,
  UnverifiedDownloadError,
} from "./transfer.ts";
export {
  DOWNLOAD_MANIFEST_PATH,
  type DownloadManifest,
  type HashLock,
  type ManifestDataset,
  type ManifestFile,
  manifestFileUrl,
  readDownloadManifest,
  readHashLock,
  writeHashLock,
} from "./manifest.ts";

/** Options of `downloadDataset`. */
export interface DownloadDatasetOptions extends TransferOptions {
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
  options: DownloadDatasetOptions = {},
): Promise<DownloadResult[]> {
  const { trustOnFirstUse = false, lockPath = join(dir, "downloads.lock.json"), onProgress } =
    options;
  const dataset = manifest.datasets[name];
  if (dataset === undefined) {
    throw new DownloadError(
      name,
      `no dataset ${JSON.stringify(name)} in the manifest; known: ${
        Object.keys(manifest.datasets).join(", ")
      }`,
    );
  }
  const { connectTimeoutMs, idleTimeoutMs, retries, retryDelayMs } = options;
  const transfer = { connectTimeoutMs, idleTimeoutMs, retries, retryDelayMs };
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
      ...transfer,
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
