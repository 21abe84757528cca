/**
 * The sharded study as `.github/workflows/study.yml` runs it, on this
 * machine: two `deno task report --shard i/2` runs, each with its own cache,
 * then `--merge` of their result folders into a third and a `--cached-only`
 * report; its records must equal those of one process running the whole grid.
 * Quick profile on the synthetic dataset (an empty data folder), ≈ 2 min here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Runs `deno task report …args` with `EMARGIN_CACHE=cache`; fails with its output's tail. */
async function report(cache: string, args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "report", "--profile", "quick", ...args],
    cwd: ROOT,
    env: { EMARGIN_CACHE: cache, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(600_000),
  }).output();
  const text = new TextDecoder();
  const output = (text.decode(stdout) + text.decode(stderr)).slice(-3000);
  assert.equal(code, 0, `deno task report ${args.join(" ")}\n${output}`);
}

/**
 * Fields that differ between two computations of the same run: wall-clock
 * times, and the hash over the whole record, times included.
 */
function withoutTimes(record: Record<string, unknown>): Record<string, unknown> {
  const { timings: _timings, createdAt: _createdAt, contentHash: _hash, ...rest } = record;
  const { itPerSec: _itPerSec, ...training } = rest.training as Record<string, unknown>;
  return { ...rest, training };
}

async function resultRecords(dir: string): Promise<Record<string, unknown>[]> {
  const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json"))) as {
    records: Record<string, unknown>[];
    failures: unknown[];
  };
  assert.deepEqual(results.failures, [], `${dir}: no failed runs`);
  return results.records.map(withoutTimes)
    .sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

async function recordKeys(cache: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of Deno.readDir(join(cache, "results"))) {
    if (e.name.endsWith(".json")) keys.push(e.name.slice(0, -5));
  }
  return keys.sort();
}

Deno.test({
  name: "report --shard 1/2 + 2/2, then --merge: the same records as one process",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const data = join(dir, "empty-data"); // no dataset in it: the synthetic one is used
      await Deno.mkdir(data);
      // a few variants keep the test short; the grid's code path is the same for all
      const common = ["--data", data, "--variants", "raw-features,infonce,emargin-reference,cpc"];
      await report(join(dir, "shard-1"), [...common, "--shard", "1/2"]);
      await report(join(dir, "shard-2"), [...common, "--shard", "2/2"]);
      const [one, two] = [
        await recordKeys(join(dir, "shard-1")),
        await recordKeys(join(dir, "shard-2")),
      ];
      assert.ok(one.length > 0 && two.length > 0, `shards hold ${one.length} and ${two.length}`);
      assert.deepEqual(one.filter((k) => two.includes(k)), [], "the shards share no run");

      const merged = join(dir, "merged");
      await report(join(dir, "merge-cache"), [
        ...common,
        "--merge",
        join(dir, "shard-1", "results"),
        join(dir, "shard-2", "results"),
        "--cached-only",
        "--out",
        merged,
      ]);
      const single = join(dir, "single");
      await report(join(dir, "single-cache"), [...common, "--out", single]);

      const [fromShards, fromOne] = [await resultRecords(merged), await resultRecords(single)];
      assert.equal(fromShards.length, one.length + two.length);
      assert.deepEqual(fromShards.map((r) => r.key), fromOne.map((r) => r.key));
      assert.deepEqual(fromShards, fromOne);
      const html = await Deno.readTextFile(join(merged, "index.html"));
      assert.ok(html.includes("06 · Findings"), "the merged build has every notebook");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
