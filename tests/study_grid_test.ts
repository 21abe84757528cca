import assert from "node:assert/strict";
import { join } from "node:path";
import {
  isControl,
  listCachedResults,
  mergeResultDirs,
  parseShard,
  resultKey,
  shardOf,
  stat,
  studyGrid,
  variantsFor,
  writeCachedResult,
} from "../lib/experiments/mod.ts";
import type { RunConfig } from "../lib/experiments/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { heatmap } from "../lib/report/heatmap.ts";
import { unzlibSync } from "fflate";
import { CONFIG, fakeRecord } from "./_records.ts";

Deno.test("stat: mean and sample std of finite values; none → null", () => {
  assert.deepEqual(stat([1, 2, 3, null, NaN]), { mean: 2, std: 1, n: 3 });
  assert.deepEqual(stat([null, Infinity]), { mean: null, std: null, n: 0 });
  assert.deepEqual(stat([5]), { mean: 5, std: 0, n: 1 });
});

Deno.test("studyGrid: paper profile has 3 seeds × 4 folds everywhere; fold 0 and the controls first; ablations on fold 0", () => {
  const runs = studyGrid(["hapt", "mitdb", "dreams"], "paper", "/data");
  const count = (d: string) => runs.filter((r) => r.dataset === d).length;
  const ablations = 2;
  for (const d of ["hapt", "mitdb", "dreams"] as const) {
    assert.equal(count(d), (variantsFor(d).length - ablations) * 3 * 4 + ablations * 3);
  }
  assert.ok(variantsFor("mitdb").includes("emargin-reference-m5"));
  assert.ok(!variantsFor("hapt").includes("emargin-reference-m5"));
  assert.ok(runs.filter((r) => r.variant.endsWith("-d5")).every((r) => r.fold === 0));
  // within a (seed, fold) the controls come first
  const nControls = runs.filter((r) => isControl(r.variant)).length;
  assert.equal(nControls, 3 * 3 * 3 * 4);
  const firstBlock = runs.slice(0, runs.findIndex((r) => r.fold !== 0));
  assert.deepEqual(new Set(firstBlock.map((r) => r.dataset)), new Set(["hapt", "mitdb", "dreams"]));
  assert.ok(firstBlock.every((r) => r.seed === 1));
  assert.ok(firstBlock.slice(0, 9).every((r) => isControl(r.variant)));
  assert.deepEqual(firstBlock.slice(9, 12).map((r) => r.variant), [
    "infonce",
    "infonce",
    "infonce",
  ]);
  // stage 1: fold 0 of everything and the controls of every fold; stage 2: the rest
  const stage = (r: RunConfig) => r.fold === 0 || isControl(r.variant) ? 0 : 1;
  const order = runs.map((r) => stage(r) * 100 + r.seed * 10 + r.fold);
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  const firstStage = runs.filter((r) => stage(r) === 0).length;
  assert.ok(runs.slice(0, firstStage).every((r) => stage(r) === 0));
  assert.equal(firstStage, nControls + (runs.filter((r) => r.fold === 0).length - nControls / 4));
  const quick = studyGrid(["dreams"], "quick", "/data");
  assert.ok(quick.every((r) => r.seed === 1 && r.fold === 0));
});

Deno.test("shards partition the grid; bad shard specs are typed errors", () => {
  const runs = studyGrid(["hapt", "mitdb"], "paper", "/data");
  const a = shardOf(runs, parseShard("1/3")),
    b = shardOf(runs, parseShard("2/3")),
    c = shardOf(runs, parseShard("3/3"));
  assert.equal(a.length + b.length + c.length, runs.length);
  assert.equal(new Set([...a, ...b, ...c]).size, runs.length);
  for (const bad of ["0/2", "3/2", "x", "1/0"]) assert.throws(() => parseShard(bad), OptionError);
});

Deno.test("resultKey depends on config and fingerprint, not on the data directory", async () => {
  const k1 = await resultKey(CONFIG, "fp");
  assert.equal(k1, await resultKey({ ...CONFIG, dataDir: "/elsewhere" }, "fp"));
  assert.notEqual(k1, await resultKey({ ...CONFIG, seed: 2 }, "fp"));
  assert.notEqual(k1, await resultKey(CONFIG, "fp2"));
  assert.match(k1, /^[0-9a-f]{64}$/);
});

Deno.test("result cache: records round-trip and shard folders merge", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = join(dir, "a"), b = join(dir, "b");
    await writeCachedResult(fakeRecord({ variant: "infonce", seed: 1 }), a);
    await writeCachedResult(fakeRecord({ variant: "infonce", seed: 2 }), b);
    assert.equal(await mergeResultDirs([a], b), 1);
    assert.equal(await mergeResultDirs([a], b), 0);
    assert.deepEqual((await listCachedResults(b)).map((r) => r.key), [
      "synthetic-infonce-0-1",
      "synthetic-infonce-0-2",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("heatmap: a valid PNG whose pixels follow the values", () => {
  const values = Float32Array.from({ length: 6 }, (_, i) => i); // 3 rows × 2 cols
  const h = heatmap(values, 3, 2, { log: false, scale: 1 });
  assert.deepEqual([...h.png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  const view = new DataView(h.png.buffer, h.png.byteOffset);
  assert.equal(view.getUint32(16), 3); // width = rows
  assert.equal(view.getUint32(20), 2); // height = cols
  const idatLength = view.getUint32(33);
  const raw = unzlibSync(h.png.subarray(41, 41 + idatLength));
  assert.equal(raw.length, 2 * (1 + 3 * 3));
  // bottom image row = column 0: values 0, 2, 4 → dark to bright
  const bottom = raw.subarray(1 + 9 + 1, 1 + 9 + 1 + 9);
  assert.ok(bottom[0] + bottom[1] + bottom[2] < bottom[6] + bottom[7] + bottom[8]);
  assert.match(h.html, /^<img alt="heatmap" width="3" height="2" src="data:image\/png;base64,/);
});
