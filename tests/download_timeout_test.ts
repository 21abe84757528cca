/**
 * Downloads against servers on 127.0.0.1 that misbehave (issue #21, finding
 * 3): one accepts connections and never answers, one stalls mid-body, one
 * drops the body and then serves the rest by `Range`. Each download must end
 * within its (small) timeouts with a typed error naming the URL, leave no
 * stray file, and leave no timer or socket open (Deno's test sanitizers are
 * on).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  DownloadError,
  downloadFile,
  DownloadTimeoutError,
  TruncatedDownloadError,
} from "../lib/data/download.ts";
import { makeRng } from "../lib/random.ts";
import { withTempDir } from "./_util.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const encoder = new TextEncoder();

function fixture(n: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

/** Reads one HTTP request head from `conn` (enough for a GET) and returns its text. */
async function readHead(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(8192);
  let text = "";
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) break;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}

/**
 * A raw TCP server on 127.0.0.1. `handle(conn, n, head)` answers the `n`-th
 * connection (from 1); a connection it leaves open stays silent until
 * `close()`, which closes the listener and every connection.
 */
function rawServer(handle: (conn: Deno.Conn, n: number, head: string) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      const n = conns.length;
      handlers.push(readHead(conn).then((head) => handle(conn, n, head)).catch(() => {}));
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}/record.dat`,
    connections: () => conns.length,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed by its handler */ }
      }
      await accepting;
      await Promise.all(handlers);
    },
  };
}

async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** `fn`'s rejection, and how long it took (s). */
async function timedRejection(fn: () => Promise<unknown>): Promise<[unknown, number]> {
  const t0 = performance.now();
  const error = await fn().then(() => null, (e: unknown) => e);
  return [error, (performance.now() - t0) / 1000];
}

Deno.test("download: a server that accepts and never answers fails at the connect timeout, retried, naming the URL", async () => {
  const server = rawServer(async () => {}); // reads the request, never answers
  try {
    await withTempDir("emargin-dl-", async (dir) => {
      const dest = join(dir, "record.dat");
      const [error, seconds] = await timedRejection(() =>
        downloadFile(server.url, dest, {
          sha256: "0".repeat(64),
          connectTimeoutMs: 300,
          retries: 1,
          retryDelayMs: 50,
        })
      );
      assert.ok(error instanceof DownloadTimeoutError, String(error));
      assert.equal(error.url, server.url);
      assert.match(
        error.message,
        /^http:\/\/127\.0\.0\.1:\d+\/record\.dat: no response within 0\.3 s/,
      );
      assert.match(error.message, /connect timeout.*gave up after 2 attempts/);
      assert.ok(seconds >= 0.6 && seconds < 5, `took ${seconds} s`);
      assert.equal(server.connections(), 2);
      assert.deepEqual(await listDir(dir), []);
    });
  } finally {
    await server.close();
  }
});

/** Answers 200 with `Content-Length: total`, sends `sent` bytes and stalls. */
function stallingServer(body: Uint8Array, sent: number, acceptRanges: boolean) {
  return rawServer(async (conn) => {
    const head = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n` +
      (acceptRanges ? "Accept-Ranges: bytes\r\n" : "") + "\r\n";
    await conn.write(encoder.encode(head));
    await conn.write(body.subarray(0, sent));
  });
}

Deno.test("download: a body that stalls fails at the idle timeout; without range support nothing is kept", async () => {
  const body = fixture(10_000, 1);
  const server = stallingServer(body, 1000, false);
  try {
    await withTempDir("emargin-dl-", async (dir) => {
      const dest = join(dir, "record.dat");
      const [error, seconds] = await timedRejection(() =>
        downloadFile(server.url, dest, { sha256: sha256(body), idleTimeoutMs: 300, retries: 0 })
      );
      assert.ok(error instanceof DownloadTimeoutError, String(error));
      assert.ok(error.message.startsWith(`${server.url}: no data for 0.3 s after 1000 bytes`));
      assert.match(error.message, /does not support resuming, so nothing was kept/);
      assert.ok(seconds >= 0.3 && seconds < 5, `took ${seconds} s`);
      assert.deepEqual(await listDir(dir), []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("download: a stalled body from a server with ranges keeps the .part, and the retry resumes it", async () => {
  const body = fixture(20_000, 2);
  const ranges: string[] = [];
  const server = rawServer(async (conn, n, head) => {
    ranges.push(/^range: (.*)$/im.exec(head)?.[1].trim() ?? "");
    if (n === 1) {
      await conn.write(encoder.encode(
        `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nAccept-Ranges: bytes\r\n\r\n`,
      ));
      await conn.write(body.subarray(0, 7000));
      return; // stalls
    }
    const start = Number(/bytes=(\d+)-/.exec(ranges.at(-1)!)?.[1] ?? 0);
    await conn.write(encoder.encode(
      `HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length - start}\r\n` +
        `Content-Range: bytes ${start}-${
          body.length - 1
        }/${body.length}\r\nConnection: close\r\n\r\n`,
    ));
    await conn.write(body.subarray(start));
    conn.close();
  });
  try {
    await withTempDir("emargin-dl-", async (dir) => {
      const dest = join(dir, "record.dat");
      // Without retries: the stall fails and the .part is kept.
      const [error] = await timedRejection(() =>
        downloadFile(server.url, dest, { sha256: sha256(body), idleTimeoutMs: 300, retries: 0 })
      );
      assert.ok(error instanceof DownloadTimeoutError, String(error));
      assert.match(error.message, /kept for resuming/);
      assert.equal(Deno.statSync(`${dest}.part`).size, 7000);
      // The next call resumes from byte 7000.
      const result = await downloadFile(server.url, dest, {
        sha256: sha256(body),
        idleTimeoutMs: 300,
        retries: 0,
      });
      assert.deepEqual([result.downloaded, result.transferred], [true, 13_000]);
      assert.deepEqual(Deno.readFileSync(dest), body);
      assert.deepEqual(ranges, ["", "bytes=7000-"]);
      assert.deepEqual(await listDir(dir), ["record.dat"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("download: retries resume within one call after a stall, with backoff", async () => {
  const body = fixture(30_000, 3);
  const server = rawServer(async (conn, n, head) => {
    const start = Number(/^range: bytes=(\d+)-/im.exec(head)?.[1] ?? 0);
    const status = start > 0 ? "206 Partial Content" : "200 OK";
    const range = start > 0
      ? `Content-Range: bytes ${start}-${body.length - 1}/${body.length}\r\n`
      : "";
    await conn.write(encoder.encode(
      `HTTP/1.1 ${status}\r\nContent-Length: ${body.length - start}\r\n${range}` +
        "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n",
    ));
    // Each of the first two connections sends 10 000 bytes and stalls.
    await conn.write(body.subarray(start, n < 3 ? start + 10_000 : body.length));
    if (n >= 3) conn.close();
  });
  try {
    await withTempDir("emargin-dl-", async (dir) => {
      const dest = join(dir, "record.dat");
      const t0 = performance.now();
      const result = await downloadFile(server.url, dest, {
        sha256: sha256(body),
        idleTimeoutMs: 250,
        retries: 2,
        retryDelayMs: 100,
      });
      const seconds = (performance.now() - t0) / 1000;
      assert.deepEqual(Deno.readFileSync(dest), body);
      assert.equal(result.transferred, 30_000);
      assert.equal(server.connections(), 3);
      // two idle timeouts (0.5 s) and pauses of 0.1 s then 0.2 s
      assert.ok(seconds >= 0.8 && seconds < 6, `took ${seconds} s`);
      assert.deepEqual(await listDir(dir), ["record.dat"]);
    });
  } finally {
    await server.close();
  }
});

Deno.test("download: a body cut short without range support deletes the .part", async () => {
  const body = fixture(5000, 4);
  const server = rawServer(async (conn) => {
    await conn.write(encoder.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
    await conn.write(body.subarray(0, 1200));
    conn.close();
  });
  try {
    await withTempDir("emargin-dl-", async (dir) => {
      const dest = join(dir, "record.dat");
      const [error] = await timedRejection(() =>
        downloadFile(server.url, dest, { sha256: sha256(body), retries: 1, retryDelayMs: 10 })
      );
      assert.ok(error instanceof TruncatedDownloadError, String(error));
      assert.ok(error.message.startsWith(server.url));
      assert.match(error.message, /nothing was kept.*gave up after 2 attempts/);
      assert.deepEqual(await listDir(dir), []);
    });
  } finally {
    await server.close();
  }
});

Deno.test("download: timeouts and retries are checked before connecting", async () => {
  for (
    const bad of [
      { connectTimeoutMs: 0 },
      { idleTimeoutMs: -1 },
      { idleTimeoutMs: NaN },
      { retries: 1.5 },
      { retries: -1 },
      { retryDelayMs: -5 },
    ]
  ) {
    await assert.rejects(
      downloadFile("http://127.0.0.1:9/x", "/nonexistent/x", { sha256: "0".repeat(64), ...bad }),
      (e: unknown) => e instanceof DownloadError && /must be/.test(e.message),
      JSON.stringify(bad),
    );
  }
});
