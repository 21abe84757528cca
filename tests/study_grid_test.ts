import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compare,
  listCachedResults,
  mergeResultDirs,
  parseShard,
  resultKey,
  shardOf,
  stat,
  studyGrid,
  summarise,
  variantsFor,
  writeCachedResult,
} from "../lib/experiments/mod.ts";
import type { ResultRecord, RunConfig } from "../lib/experiments/mod.ts";
import { OptionError } from "../lib/errors.ts";
import { heatmap } from "../lib/report/heatmap.ts";
import { unzlibSync } from "fflate";

Deno.test("stat: mean and sample std of finite values; none → null", () => {
  assert.deepEqual(stat([1, 2, 3, null, NaN]), { mean: 2, std: 1, n: 3 });
  assert.deepEqual(stat([null, Infinity]), { mean: null, std: null, n: 0 });
  assert.deepEqual(stat([5]), { mean: 5, std: 0, n: 1 });
});

Deno.test("studyGrid: paper profile has 3 seeds, DREAMS 4 folds, the m=5 ECG setting only on ECG", () => {
  const runs = studyGrid(["hapt", "mitdb", "dreams"], "paper", "/data");
  const count = (d: string) => runs.filter((r) => r.dataset === d).length;
  assert.equal(count("hapt"), variantsFor("hapt").length * 3);
  assert.equal(count("mitdb"), variantsFor("mitdb").length * 3);
  assert.equal(count("dreams"), variantsFor("dreams").length * 3 * 4);
  assert.ok(variantsFor("mitdb").includes("emargin-reference-m5"));
  assert.ok(!variantsFor("hapt").includes("emargin-reference-m5"));
  // fold-major, then seed-major: the first block is seed 1 of fold 0 on every dataset
  const firstBlock = runs.slice(0, runs.findIndex((r) => r.seed !== 1));
  assert.deepEqual(new Set(firstBlock.map((r) => r.dataset)), new Set(["hapt", "mitdb", "dreams"]));
  assert.ok(firstBlock.every((r) => r.fold === 0));
  const order = runs.map((r) => r.fold * 10 + r.seed);
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
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

const config: RunConfig = {
  dataset: "synthetic",
  variant: "infonce",
  seed: 1,
  profile: "quick",
  fold: 0,
  dataDir: null,
};

Deno.test("resultKey depends on config and fingerprint, not on the data directory", async () => {
  const k1 = await resultKey(config, "fp");
  assert.equal(k1, await resultKey({ ...config, dataDir: "/elsewhere" }, "fp"));
  assert.notEqual(k1, await resultKey({ ...config, seed: 2 }, "fp"));
  assert.notEqual(k1, await resultKey(config, "fp2"));
  assert.match(k1, /^[0-9a-f]{64}$/);
});

function fakeRecord(
  variant: ResultRecord["config"]["variant"],
  seed: number,
  dbi: number,
  acc: number,
): ResultRecord {
  return {
    key: `${variant}-${seed}`,
    libVersion: "test",
    config: { ...config, variant, seed },
    settings: {
      lossLabel: "",
      loss: null,
      encoder: "x",
      steps: 1,
      batchSize: 8,
      lr: 1e-3,
      weightDecay: 0.01,
    },
    data: {
      fingerprint: "fp",
      T: 1,
      F: 1,
      classNames: ["a"],
      nTrainSequences: 1,
      nEvalSequences: 1,
      subjects: { train: [], eval: [] },
    },
    backend: { name: "cpu", adapter: null, isFallbackAdapter: false },
    training: {
      losses: [1, null],
      nonFinite: 1,
      firstNonFiniteStep: 1,
      diverged: false,
      divergedStep: null,
      itPerSec: 1,
      simVectorMean: null,
    },
    embeddingsFinite: true,
    clustering: {
      status: "ok",
      daviesBouldin: dbi,
      calinskiHarabasz: 1,
      silhouette: 0,
      nmi: 0,
      ari: 0,
      effectiveRank: 1,
      nDistinctPoints: 2,
      nNonEmptyClusters: 2,
      reason: null,
      k: 2,
      perClassCounts: [1],
    },
    probe: {
      accuracy: acc,
      f1Weighted: acc,
      f1Macro: acc,
      precisionMacro: acc,
      recallMacro: acc,
      support: [1],
      confusionMatrix: [[1]],
    },
    probeError: null,
    projection: null,
    timings: { loadSeconds: 0, trainSeconds: 0, evalSeconds: 0, totalSeconds: 0 },
    createdAt: "",
  };
}

Deno.test("summarise and compare: a win needs a gap above both standard deviations", () => {
  const recs = [
    fakeRecord("infonce", 1, 1.0, 0.8),
    fakeRecord("infonce", 2, 1.1, 0.82),
    fakeRecord("emargin-reference", 1, 0.5, 0.6),
    fakeRecord("emargin-reference", 2, 0.52, 0.79),
  ];
  const rows = summarise(recs);
  assert.equal(rows.length, 2);
  assert.equal(rows.find((r) => r.variant === "infonce")?.runsWithNonFinite, 2);
  assert.equal(
    compare(rows, "synthetic", "daviesBouldin", "emargin-reference", "infonce").winner,
    "a",
  );
  assert.equal(
    compare(rows, "synthetic", "accuracy", "emargin-reference", "infonce").winner,
    "tie",
  );
  assert.equal(compare(rows, "synthetic", "accuracy", "ts2vec", "infonce").winner, "n/a");
  // single runs: a difference below 2 % of the larger value is a tie
  const single = summarise([
    fakeRecord("infonce", 1, 1, 0.616),
    fakeRecord("emargin-reference", 1, 0.5, 0.615),
  ]);
  assert.equal(
    compare(single, "synthetic", "accuracy", "emargin-reference", "infonce").winner,
    "tie",
  );
  assert.equal(
    compare(single, "synthetic", "daviesBouldin", "emargin-reference", "infonce").winner,
    "a",
  );
  assert.equal(
    compare(single, "synthetic", "daviesBouldin", "emargin-reference", "infonce").runs,
    1,
  );
});

Deno.test("result cache: records round-trip and shard folders merge", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const a = join(dir, "a"), b = join(dir, "b");
    await writeCachedResult(fakeRecord("infonce", 1, 1, 1), a);
    await writeCachedResult(fakeRecord("infonce", 2, 1, 1), b);
    assert.equal(await mergeResultDirs([a], b), 1);
    assert.equal(await mergeResultDirs([a], b), 0);
    assert.deepEqual((await listCachedResults(b)).map((r) => r.key), ["infonce-1", "infonce-2"]);
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
