import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  ChecksumError,
  downloadDataset,
  DownloadError,
  downloadFile,
  type DownloadManifest,
  type DownloadProgress,
  type ManifestFile,
  readDownloadManifest,
  readHashLock,
  TruncatedDownloadError,
  UnverifiedDownloadError,
} from "../lib/data/download.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { makeRng } from "../lib/random.ts";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function fixture(n: number, seed: number): Uint8Array {
  const rng = makeRng(seed);
  return Uint8Array.from({ length: n }, () => rng.int(256));
}

const exists = (path: string) => {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
};

/**
 * A local file server on 127.0.0.1 (random port): `/file/<name>` honours
 * `Range`; `/norange/<name>` ignores it; `/cut/<name>` announces the full
 * length and `Accept-Ranges: bytes` but ends the body halfway; `/cutnr/<name>`
 * does the same without `Accept-Ranges`; anything else is 404.
 */
function serve(files: Record<string, Uint8Array>) {
  const hits: { path: string; range: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { pathname } = new URL(request.url);
    const range = request.headers.get("Range");
    hits.push({ path: pathname, range });
    const [, mode, name] = pathname.split("/");
    const body = files[name];
    if (body === undefined) return new Response("not found", { status: 404 });
    if (mode === "cut" || mode === "cutnr") {
      const half = body.subarray(0, body.length >> 1);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(half);
          controller.close();
        },
      });
      const headers: Record<string, string> = { "Content-Length": String(body.length) };
      if (mode === "cut") headers["Accept-Ranges"] = "bytes";
      return new Response(stream, { headers });
    }
    const match = /^bytes=(\d+)-$/.exec(range ?? "");
    if (mode === "file" && match !== null) {
      const start = Number(match[1]);
      if (start >= body.length) return new Response(null, { status: 416 });
      return new Response(body.slice(start), {
        status: 206,
        headers: { "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}` },
      });
    }
    return new Response(body.slice());
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, hits, close: () => server.shutdown() };
}

/** Runs `fn` against a fresh local server and temp folder, closing and removing both after. */
async function withServer(
  files: Record<string, Uint8Array>,
  fn: (server: ReturnType<typeof serve>, dir: string) => Promise<void>,
): Promise<void> {
  const server = serve(files);
  const dir = Deno.makeTempDirSync();
  try {
    await fn(server, dir);
  } finally {
    await server.close();
    Deno.removeSync(dir, { recursive: true });
  }
}

Deno.test("download: a good file is verified, reported and renamed into place", async () => {
  const body = fixture(200_000, 1);
  await withServer({ "a.bin": body }, async (server, dir) => {
    const dest = join(dir, "sub", "a.bin");
    const seen: DownloadProgress[] = [];
    const result = await downloadFile(`${server.base}/file/a.bin`, dest, {
      sha256: sha256(body),
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(Deno.readFileSync(dest), body);
    assert.ok(!exists(`${dest}.part`));
    assert.deepEqual([result.downloaded, result.bytes, result.transferred, result.sha256], [
      true,
      body.length,
      body.length,
      sha256(body),
    ]);
    assert.ok(seen.length > 0);
    const last = seen.at(-1)!;
    assert.deepEqual([last.bytes, last.total, last.etaSeconds], [body.length, body.length, 0]);
    assert.ok(last.rate > 0);

    // Second run: nothing fetched.
    const before = server.hits.length;
    const again = await downloadFile(`${server.base}/file/a.bin`, dest, { sha256: sha256(body) });
    assert.equal(server.hits.length, before);
    assert.deepEqual([again.downloaded, again.transferred], [false, 0]);
  });
});

Deno.test("download: a wrong checksum raises ChecksumError and leaves no file or .part", async () => {
  const body = fixture(50_000, 2);
  await withServer({ "b.bin": body }, async (server, dir) => {
    const dest = join(dir, "b.bin");
    await assert.rejects(
      downloadFile(`${server.base}/file/b.bin`, dest, { sha256: "0".repeat(64) }),
      (e: unknown) =>
        e instanceof ChecksumError && e.found === sha256(body) && e.message.includes(dest),
    );
    assert.ok(!exists(dest));
    assert.ok(!exists(`${dest}.part`));
  });
});

Deno.test("download: a truncated body raises TruncatedDownloadError; dest stays absent, .part is resumed", async () => {
  const body = fixture(300_000, 3);
  await withServer({ "c.bin": body }, async (server, dir) => {
    const dest = join(dir, "c.bin");
    await assert.rejects(
      downloadFile(`${server.base}/cut/c.bin`, dest, { sha256: sha256(body), retries: 0 }),
      (e: unknown) => e instanceof TruncatedDownloadError && /kept for resuming/.test(e.message),
    );
    assert.ok(!exists(dest));
    // The bytes that arrived are kept for resuming.
    const kept = Deno.statSync(`${dest}.part`).size;
    assert.ok(kept > 0 && kept <= body.length >> 1, `kept ${kept}`);
    // The next attempt asks only for the rest.
    const result = await downloadFile(`${server.base}/file/c.bin`, dest, { sha256: sha256(body) });
    assert.deepEqual(Deno.readFileSync(dest), body);
    assert.equal(result.transferred, body.length - kept);
    assert.equal(server.hits.at(-1)!.range, `bytes=${kept}-`);
  });
});

Deno.test("download: resume from a .part with Range, and restart when the server ignores Range", async () => {
  const body = fixture(100_000, 4);
  await withServer({ "d.bin": body }, async (server, dir) => {
    const dest = join(dir, "d.bin");
    Deno.writeFileSync(`${dest}.part`, body.subarray(0, 40_000));
    const resumed = await downloadFile(`${server.base}/file/d.bin`, dest, { sha256: sha256(body) });
    assert.equal(server.hits.at(-1)!.range, "bytes=40000-");
    assert.equal(resumed.transferred, 60_000);
    assert.deepEqual(Deno.readFileSync(dest), body);

    const dest2 = join(dir, "d2.bin");
    Deno.writeFileSync(`${dest2}.part`, new Uint8Array(10_000).fill(7)); // Stale bytes.
    const restarted = await downloadFile(`${server.base}/norange/d.bin`, dest2, {
      sha256: sha256(body),
    });
    assert.equal(restarted.transferred, body.length);
    assert.deepEqual(Deno.readFileSync(dest2), body);

    // A wrong .part resumed: the hash catches it and nothing is kept.
    const dest3 = join(dir, "d3.bin");
    Deno.writeFileSync(`${dest3}.part`, new Uint8Array(10_000).fill(7));
    await assert.rejects(
      downloadFile(`${server.base}/file/d.bin`, dest3, { sha256: sha256(body) }),
      ChecksumError,
    );
    assert.ok(!exists(dest3) && !exists(`${dest3}.part`));
  });
});

/** A manifest of one dataset, "demo", whose files are served under `${base}/file/`. */
function demoManifest(base: string, files: ManifestFile[]): DownloadManifest {
  return {
    about: "test",
    datasets: {
      demo: {
        title: "demo",
        homepage: "http://127.0.0.1/",
        licence: "none",
        citation: "none",
        baseUrl: `${base}/file/`,
        hashSource: "test",
        files,
      },
    },
  };
}

Deno.test("download: HTTP errors, unknown hashes and a tampered file are typed errors", async () => {
  const body = fixture(1000, 5);
  await withServer({ "e.bin": body }, async (server, dir) => {
    await assert.rejects(
      downloadFile(`${server.base}/file/missing.bin`, join(dir, "m"), { sha256: sha256(body) }),
      /HTTP 404/,
    );
    const hits = server.hits.length;
    await assert.rejects(
      downloadFile(`${server.base}/file/e.bin`, join(dir, "e"), { sha256: null }),
      UnverifiedDownloadError,
    );
    assert.equal(server.hits.length, hits);
    await assert.rejects(
      downloadFile(`${server.base}/file/e.bin`, join(dir, "e"), { sha256: "xyz" }),
      DownloadError,
    );
    Deno.writeFileSync(join(dir, "t"), new Uint8Array(1000));
    await assert.rejects(
      downloadFile(`${server.base}/file/e.bin`, join(dir, "t"), { sha256: sha256(body) }),
      ChecksumError,
    );
    assert.equal(server.hits.length, hits);
  });
});

Deno.test("download: a dataset with null hashes needs trust on first use, then verifies against the lock", async () => {
  const known = fixture(5000, 6), unknown = fixture(7000, 7);
  await withServer({ "known.bin": known, "unknown.bin": unknown }, async (server, dir) => {
    const manifest = demoManifest(server.base, [
      { path: "known.bin", sha256: sha256(known) },
      { path: "unknown.bin", sha256: null },
    ]);
    await assert.rejects(
      downloadDataset(manifest, "demo", dir),
      /no published SHA-256 \(unknown\.bin\)/,
    );
    assert.equal(server.hits.length, 0);
    const first = await downloadDataset(manifest, "demo", dir, { trustOnFirstUse: true });
    assert.deepEqual(first.map((r) => r.downloaded), [true, true]);
    const lock = readHashLock(join(dir, "downloads.lock.json"));
    assert.deepEqual(lock, { [`${server.base}/file/unknown.bin`]: sha256(unknown) });
    const second = await downloadDataset(manifest, "demo", dir);
    assert.deepEqual(second.map((r) => r.downloaded), [false, false]);
    assert.equal(server.hits.length, 2);
    Deno.writeFileSync(join(dir, "demo", "unknown.bin"), new Uint8Array(7000));
    await assert.rejects(downloadDataset(manifest, "demo", dir), ChecksumError);
    await assert.rejects(downloadDataset(manifest, "nope", dir), /no dataset "nope"/);
  });
});

Deno.test("download: the committed manifest's hashes match the shared copies of the files", () => {
  const manifest = readDownloadManifest();
  assert.deepEqual(Object.keys(manifest.datasets).sort(), ["afdb", "harth", "mitdb", "sleep-edf"]);
  const sleep = manifest.datasets["sleep-edf"];
  assert.equal(sleep.files.length, 40);
  for (const file of sleep.files.filter((f) => f.path.endsWith("-Hypnogram.edf"))) {
    const name = file.path.split("/").pop()!;
    assert.equal(
      file.sha256,
      sha256(Deno.readFileSync(join(sharedDatasetsDir(), "sleep-edf", name))),
      name,
    );
  }
  assert.match(sleep.baseUrl, /^https:\/\/physionet\.org\/files\/sleep-edfx\/1\.0\.0\/$/);
  const mitdb = manifest.datasets.mitdb;
  assert.equal(mitdb.files.length, 2 + 3 * 48);
  for (const file of mitdb.files) {
    let bytes = Deno.readFileSync(join(sharedDatasetsDir(), "mitdb", file.path));
    if (file.path.endsWith(".hea")) {
      // PhysioNet's headers end lines in CR LF; the shared copies in LF.
      bytes = new TextEncoder().encode(new TextDecoder().decode(bytes).replace(/\r?\n/g, "\r\n"));
    }
    assert.equal(file.sha256, sha256(bytes), file.path);
  }
  for (const name of ["afdb", "harth"]) {
    assert.ok(manifest.datasets[name].files.every((f) => f.sha256 === null));
  }
});

async function runDataTask(args: string[]): Promise<{ code: number; stderr: string }> {
  const script = new URL("../scripts/data.ts", import.meta.url).pathname;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("download: `deno task data` fetches, verifies, reports and skips what is there", async () => {
  const known = fixture(120_000, 8), unknown = fixture(3000, 9);
  await withServer({ "k.bin": known, "u.bin": unknown }, async (server, dir) => {
    const manifestPath = join(dir, "manifest.json");
    const manifest = demoManifest(server.base, [
      { path: "k.bin", sha256: sha256(known) },
      { path: "sub/u.bin", url: `${server.base}/file/u.bin`, sha256: null },
    ]);
    Deno.writeTextFileSync(manifestPath, JSON.stringify(manifest));
    const common = ["--manifest", manifestPath, "--dir", join(dir, "data"), "--only", "demo"];
    const refused = await runDataTask(common);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /UnverifiedDownloadError.*--trust-on-first-use/);
    assert.equal(server.hits.length, 0);

    const first = await runDataTask([...common, "--trust-on-first-use"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /demo\/k\.bin: .*KiB \/ 117\.2 KiB, .*\/s, ETA /);
    assert.match(first.stderr, /demo: 2 files verified .*\(2 downloaded/);
    assert.deepEqual(Deno.readFileSync(join(dir, "data", "demo", "sub", "u.bin")), unknown);

    const second = await runDataTask(common);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /demo: 2 files verified .*\(0 downloaded/);
    assert.equal(server.hits.length, 2);

    assert.equal((await runDataTask([...common.slice(0, 4), "--only", "nope"])).code, 2);
  });
});
