/**
 * The typed errors of downloads and the timing of one transfer: connect/idle
 * timeouts, retry settings and the abortable pause between attempts.
 *
 * @module
 */
import { EmarginError, expectation } from "../errors.ts";

/** A download failed (HTTP error, network error, timeout). */
export class DownloadError extends EmarginError {
  /** The URL being fetched. */
  readonly url: string;
  /** Whether another attempt may succeed (network errors, timeouts, HTTP 429/5xx). */
  readonly transient: boolean;
  constructor(url: string, message: string, transient = false) {
    super(`${url}: ${message}`);
    this.url = url;
    this.transient = transient;
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

/** The body ended before the announced length (or the connection dropped). */
export class TruncatedDownloadError extends DownloadError {
  constructor(url: string, message: string) {
    super(url, message, true);
  }
}

/** No response headers within the connect timeout, or no body bytes within the idle timeout. */
export class DownloadTimeoutError extends DownloadError {
  constructor(url: string, message: string) {
    super(url, message, true);
  }
}

/** No SHA-256 is known for the file and trust on first use was not allowed. */
export class UnverifiedDownloadError extends DownloadError {}

/** Timeouts and retries of every transfer (all optional; see {@linkcode DOWNLOAD_DEFAULTS}). */
export interface TransferOptions {
  /** Longest wait for the response headers of one attempt (ms). */
  connectTimeoutMs?: number;
  /** Longest wait for the next body bytes (ms). */
  idleTimeoutMs?: number;
  /** Further attempts after a transient failure. */
  retries?: number;
  /** Pause before the first retry (ms); doubles on each later one, at most 30 s. */
  retryDelayMs?: number;
}

/** Defaults of {@linkcode TransferOptions}: 30 s connect, 60 s idle, 3 retries from 1 s. */
export const DOWNLOAD_DEFAULTS: Readonly<Required<TransferOptions>> = {
  connectTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  retries: 3,
  retryDelayMs: 1_000,
};

/** @internal The transfer settings with defaults, each checked (a typed error naming the URL). */
export function transferSettings(url: string, options: TransferOptions): Required<TransferOptions> {
  const settings = { ...DOWNLOAD_DEFAULTS };
  for (const key of Object.keys(settings) as (keyof TransferOptions)[]) {
    const value = options[key] ?? settings[key];
    const ok = key === "retries"
      ? Number.isSafeInteger(value) && value >= 0
      : Number.isFinite(value) && value > (key === "retryDelayMs" ? -1 : 0);
    if (!ok) {
      throw new DownloadError(
        url,
        `${key} must be ${
          key === "retries" ? "an integer ≥ 0" : "a positive number of ms"
        }, found ${value}`,
      );
    }
    settings[key] = value;
  }
  return settings;
}

/** @internal Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done, fail) => {
    if (signal?.aborted) return fail(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      fail(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      done();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * `promise`, or the error `onTimeout` builds when it has not settled within
 * `ms`. The timer is always cleared; a late rejection of `promise` is ignored.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(onTimeout()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
    promise.catch(() => {});
  }
}

/** `ms` as seconds for messages, e.g. `0.25 s`. */
export const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;
