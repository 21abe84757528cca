/**
 * One verified, resumable download, with timeouts and retries.
 *
 * A file is fetched into `dest.part` (resumed with an HTTP `Range` request
 * when a `.part` is already there), hashed with SHA-256 while it streams, and
 * renamed onto `dest` only when its length and hash are right, so `dest`
 * never holds a partial or unverified file. Every attempt has a connect
 * timeout (no response headers in time) and an idle timeout (no body bytes
 * in time); a timed-out, dropped or short transfer, a network error and an
 * HTTP 429/5xx are retried with exponential backoff. A `.part` is kept for
 * resuming only when the server supports ranges (`Accept-Ranges: bytes` or a
 * `206` answer), else it is deleted; a wrong checksum deletes it.
 *
 * Written on `fetch` and `AbortController` (no npm download library adds
 * idle timeouts, range resumption and streaming hashes together on Deno).
 *
 * @module
 */
import { dirname } from "node:path";
import {
  ChecksumError,
  DownloadError,
  DownloadTimeoutError,
  pause,
  seconds,
  type TransferOptions,
  transferSettings,
  TruncatedDownloadError,
  UnverifiedDownloadError,
  within,
} from "./transfer.ts";
import { hashFileInto, sha256, sha256File } from "./hash.ts";
import { SHA256_HEX } from "./manifest.ts";

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
export interface DownloadOptions extends TransferOptions {
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
 * - no response headers within `connectTimeoutMs`, or no body bytes within `idleTimeoutMs`
 *   → `DownloadTimeoutError`; a body shorter than `Content-Length` or a dropped connection
 *   → `TruncatedDownloadError`. Both, network errors and HTTP 429/5xx are retried up to
 *   `retries` times, pausing `retryDelayMs · 2^k`; the `.part` is kept for resuming only
 *   when the server supports ranges, else deleted.
 * - complete body with the wrong hash → `ChecksumError`, `.part` deleted.
 * - success → `.part` renamed onto `dest` (atomic on one file system).
 *
 * @throws UnverifiedDownloadError when `sha256` is null and `trustOnFirstUse` is not set
 * @example
 * ```ts
 * await downloadFile("https://physionet.org/files/mitdb/1.0.0/100.hea", "data/mitdb/100.hea", {
 *   sha256: "60ebc904c7bf3e04d142638d3fd5c903e8dc9f10f1ea3264e07926aa089ee75e",
 *   idleTimeoutMs: 20_000,
 * });
 * ```
 */
export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { sha256, trustOnFirstUse = false, signal } = options;
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
  const settings = transferSettings(url, options);
  const present = await sizeOf(dest);
  if (present !== undefined) {
    const found = await sha256File(dest);
    if (sha256 !== null && found !== sha256) throw new ChecksumError(url, dest, sha256, found);
    return { path: dest, bytes: present, sha256: found, downloaded: false, transferred: 0 };
  }
  await Deno.mkdir(dirname(dest), { recursive: true });
  const tally = { received: 0 }; // bytes over the network, all attempts together
  for (let attempt = 0;; attempt++) {
    try {
      const result = await attemptDownload(url, dest, options, settings, tally);
      return { ...result, transferred: tally.received };
    } catch (e) {
      const transient = e instanceof DownloadError && e.transient && !signal?.aborted;
      if (!transient) throw e;
      if (attempt >= settings.retries) {
        if (attempt > 0) e.message += ` (gave up after ${attempt + 1} attempts)`;
        throw e;
      }
      await pause(Math.min(settings.retryDelayMs * 2 ** attempt, 30_000), signal);
    }
  }
}

/** An HTTP answer to one attempt, its body not yet read. */
interface Answer {
  response: Response;
  /** Where the body starts in the file (the `.part`'s size when resumed, else 0). */
  offset: number;
  /** Aborts the request and its body. */
  controller: AbortController;
}

/** Sends the request (with `Range` when a `.part` exists) and waits for headers within the connect timeout. */
async function request(
  url: string,
  part: string,
  signal: AbortSignal | undefined,
  { connectTimeoutMs }: Required<TransferOptions>,
): Promise<Answer> {
  const offset = (await sizeOf(part)) ?? 0;
  const headers = new Headers();
  if (offset > 0) headers.set("Range", `bytes=${offset}-`);
  const controller = new AbortController();
  const both = signal === undefined
    ? controller.signal
    : AbortSignal.any([signal, controller.signal]);
  let response: Response;
  try {
    response = await within(fetch(url, { headers, signal: both }), connectTimeoutMs, () => {
      controller.abort();
      return new DownloadTimeoutError(
        url,
        `no response within ${seconds(connectTimeoutMs)} (connect timeout)`,
      );
    });
  } catch (e) {
    if (e instanceof DownloadError || signal?.aborted) throw e;
    throw new DownloadError(url, `request failed: ${(e as Error).message}`, true);
  }
  return { response, offset, controller };
}

/** One attempt: request, check the answer, stream the body into the `.part`, verify, rename. */
async function attemptDownload(
  url: string,
  dest: string,
  options: DownloadOptions,
  settings: Required<TransferOptions>,
  tally: { received: number },
): Promise<DownloadResult> {
  const part = `${dest}.part`;
  let answer = await request(url, part, options.signal, settings);
  if (answer.response.status === 416 && answer.offset > 0) {
    // The `.part` is at least as long as the file: start over.
    await answer.response.body?.cancel();
    await removeIfPresent(part);
    answer = await request(url, part, options.signal, settings);
  }
  const { response } = answer;
  if (response.status !== 200 && response.status !== 206) {
    await response.body?.cancel();
    const transient = response.status === 429 || response.status >= 500;
    throw new DownloadError(url, `HTTP ${response.status} ${response.statusText}`, transient);
  }
  if (response.status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("Content-Range") ?? "");
    if (range === null || Number(range[1]) !== answer.offset) {
      await response.body?.cancel();
      await removeIfPresent(part);
      throw new DownloadError(
        url,
        `server answered Range bytes=${answer.offset}- with Content-Range ${
          response.headers.get("Content-Range")
        }; the .part was discarded, run again`,
      );
    }
  } else {
    answer.offset = 0; // The server sent the whole file.
  }
  const { bytes, received, found } = await receive(url, part, answer, options, settings, tally);
  if (options.sha256 !== null && found !== options.sha256) {
    await removeIfPresent(part);
    throw new ChecksumError(url, dest, options.sha256, found);
  }
  await Deno.rename(part, dest);
  return { path: dest, bytes, sha256: found, downloaded: true, transferred: received };
}

/**
 * Streams the body into the `.part` (appending when resumed), hashing it and
 * waiting at most the idle timeout for each chunk. On a stall, a dropped
 * connection or a short body, the `.part` is kept only when the server
 * supports ranges.
 */
async function receive(
  url: string,
  part: string,
  { response, offset, controller }: Answer,
  { onProgress, signal }: DownloadOptions,
  { idleTimeoutMs }: Required<TransferOptions>,
  tally: { received: number },
): Promise<{ bytes: number; received: number; found: string }> {
  const resumable = response.status === 206 ||
    /\bbytes\b/i.test(response.headers.get("Accept-Ranges") ?? "");
  const length = response.headers.get("Content-Length");
  const total = length === null ? undefined : offset + Number(length);
  const hash = sha256();
  if (offset > 0) await hashFileInto(hash, part);
  const started = performance.now();
  const onChunk = (chunk: Uint8Array, received: number) => {
    hash.update(chunk);
    tally.received += chunk.length;
    const bytes = offset + received;
    const rate = received / Math.max((performance.now() - started) / 1000, 1e-3);
    const etaSeconds = total === undefined || rate === 0 ? undefined : (total - bytes) / rate;
    onProgress?.({ bytes, total, rate, etaSeconds });
  };
  const failed = async (error: DownloadError): Promise<never> => {
    controller.abort();
    if (resumable) error.message += `; ${part} kept for resuming`;
    else {
      await removeIfPresent(part);
      error.message += "; the server does not support resuming, so nothing was kept";
    }
    throw error;
  };
  let received = 0;
  try {
    received = await pump(url, part, offset, response, idleTimeoutMs, onChunk);
  } catch (e) {
    if (signal?.aborted || !(e instanceof DownloadError)) throw e;
    await failed(e);
  }
  const bytes = offset + received;
  if (total !== undefined && bytes < total) {
    await failed(new TruncatedDownloadError(url, `received ${bytes} of ${total} bytes`));
  }
  if (total !== undefined && bytes > total) {
    await removeIfPresent(part);
    throw new DownloadError(
      url,
      `received ${bytes} bytes, more than the announced ${total}; nothing kept`,
    );
  }
  return { bytes, received, found: hash.digest("hex") };
}

/**
 * Copies `response`'s body into `part` chunk by chunk, each awaited at most
 * `idleTimeoutMs`; returns the bytes received. A stall is a
 * DownloadTimeoutError, a stream error a TruncatedDownloadError.
 */
async function pump(
  url: string,
  part: string,
  offset: number,
  response: Response,
  idleTimeoutMs: number,
  onChunk: (chunk: Uint8Array, received: number) => void,
): Promise<number> {
  using out = await Deno.open(part, {
    write: true,
    create: true,
    truncate: offset === 0,
    append: offset > 0,
  });
  const reader = response.body?.getReader();
  let received = 0;
  const stalled = () =>
    new DownloadTimeoutError(
      url,
      `no data for ${seconds(idleTimeoutMs)} after ${offset + received} bytes (idle timeout)`,
    );
  try {
    for (;;) {
      if (reader === undefined) return received;
      const { done, value } = await within(reader.read(), idleTimeoutMs, stalled);
      if (done) return received;
      let written = 0;
      while (written < value.length) written += await out.write(value.subarray(written));
      received += value.length;
      onChunk(value, received);
    }
  } catch (e) {
    if (e instanceof DownloadError) throw e;
    throw new TruncatedDownloadError(
      url,
      `connection lost after ${offset + received} bytes (${(e as Error).message})`,
    );
  }
}
