import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DREAMS_CLASS_NAMES,
  dreamsEpochCodes,
  dreamsStages,
  readDreamsExcerpt,
  readDreamsHypnogram,
} from "../lib/data/dreams.ts";
import {
  dreamsClusteringSubset,
  dreamsFoldExcerpts,
  loadDataset,
  loadDreamsDataset,
  loadDreamsExcerpt,
} from "../lib/data/datasets/mod.ts";
import { datasetCacheDir } from "../lib/data/cache.ts";
import { DataFormatError, MissingDataError, OptionError } from "../lib/errors.ts";
import { zScoreStats } from "../lib/features/normalise.ts";
import { repoRoot, sharedDatasetsDir } from "../lib/paths.ts";
import { assertClose, readGolden } from "./_util.ts";

const DIR = join(sharedDatasetsDir(), "dreams");

interface ExcerptGolden {
  channel: string;
  n_samples: number;
  fs: number;
  first_100: number[];
  mean: number;
  std: number;
  stage_codes_counts: Record<string, number>;
  stages_first_60: string[];
  stage_counts: Record<string, number>;
  epochs_30s: string[];
}

interface FeaturesGolden {
  up: number;
  down: number;
  n_resampled: number;
  resampled_first_200: number[];
  resampled_at: Record<string, number>;
  resampled_mean: number;
  resampled_std: number;
  n_frames: number;
  n_bins: number;
  frames_0_2: number[][];
  frame_500: number[];
  frame_last: number[];
  frame_labels: number[];
  frame_label_counts: Record<string, number>;
}

const dreamsGolden = readGolden<Record<string, ExcerptGolden>>("dreams.json");
const featuresGolden = readGolden<{ excerpts: Record<string, FeaturesGolden> }>(
  "dreams_features.json",
);

function meanStd(x: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / x.length) };
}

function countBy<T extends string | number>(xs: ArrayLike<T>): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < xs.length; i++) out[String(xs[i])] = (out[String(xs[i])] ?? 0) + 1;
  return out;
}

function peak(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/**
 * Elementwise equality of two large arrays that fails fast with the first
 * mismatch (assert.deepEqual would build a diff of millions of elements).
 */
function assertSameValues(a: ArrayLike<number>, b: ArrayLike<number>, label: string): void {
  assert.equal(a.length, b.length, `${label}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${label}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

function countDifferent(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!Object.is(a[i], b[i])) n++;
  return n + Math.abs(a.length - b.length);
}

const stageName = (s: number) => (s < 0 ? "excluded" : DREAMS_CLASS_NAMES[s]);

Deno.test("readDreamsExcerpt reproduces dreams.json for all eight excerpts", async () => {
  for (let n = 1; n <= 8; n++) {
    const g = dreamsGolden[`excerpt${n}`];
    const e = await readDreamsExcerpt(join(DIR, `excerpt${n}.txt`));
    assert.equal(e.channel, g.channel, `excerpt${n} channel`);
    assert.equal(e.data.length, g.n_samples, `excerpt${n} n_samples`);
    assertClose(e.fs, g.fs, { rtol: 1e-12, label: `excerpt${n} fs` });
    assertClose(e.data.subarray(0, 100), g.first_100, { rtol: 0, atol: 1e-9 });
    const { mean, std } = meanStd(e.data);
    assertClose(mean, g.mean, { rtol: 1e-9, atol: 1e-9, label: `excerpt${n} mean` });
    assertClose(std, g.std, { rtol: 1e-9, label: `excerpt${n} std` });
  }
});

Deno.test("excerpt 6 (360 140 values = 200.08 Hz) passes the rate check", async () => {
  const e = await readDreamsExcerpt(join(DIR, "excerpt6.txt"));
  assert.equal(e.data.length, 360_140);
  assert.ok(Math.abs(e.fs - 200.0777777777) < 1e-6);
});

Deno.test("readDreamsHypnogram and dreamsStages reproduce dreams.json", async () => {
  for (let n = 1; n <= 8; n++) {
    const g = dreamsGolden[`excerpt${n}`];
    const codes = await readDreamsHypnogram(join(DIR, `Hypnogram_excerpt${n}.txt`));
    assert.equal(codes.length, 360);
    assert.deepEqual(countBy(codes), g.stage_codes_counts, `excerpt${n} code counts`);
    const stages = dreamsStages(codes);
    assert.deepEqual(
      Array.from(stages.subarray(0, 60), stageName),
      g.stages_first_60,
      `excerpt${n} first 60`,
    );
    const mapped = Array.from(stages).filter((s) => s >= 0).map(stageName);
    assert.deepEqual(countBy(mapped), g.stage_counts, `excerpt${n} stage counts`);
    const epochs = dreamsStages(dreamsEpochCodes(codes));
    assert.deepEqual(Array.from(epochs, stageName), g.epochs_30s, `excerpt${n} epochs`);
  }
});

Deno.test("dreamsStages maps R&K codes (S3 + S4 = N3, negative = excluded)", () => {
  assert.deepEqual(Array.from(dreamsStages([5, 4, 3, 2, 1, 0, -1, -3])), [
    0,
    4,
    1,
    2,
    3,
    3,
    -1,
    -1,
  ]);
  assert.throws(() => dreamsStages([6]), DataFormatError);
  assert.throws(() => dreamsStages([-4]), DataFormatError);
  assert.throws(() => dreamsStages([1.5]), DataFormatError);
});

Deno.test("dreamsEpochCodes: majority of six codes, ties to the earliest tied code", () => {
  assert.deepEqual(Array.from(dreamsEpochCodes([2, 2, 3, 3, 3, 2, 1, 0, 0, 1, 5, 5])), [2, 1]);
  assert.deepEqual(Array.from(dreamsEpochCodes([0, 1, 1, 0, 2, 2])), [0]);
});

Deno.test("loadDreamsExcerpt reproduces every field of dreams_features.json", async () => {
  for (const [key, g] of Object.entries(featuresGolden.excerpts)) {
    const r = await loadDreamsExcerpt(DIR, Number(key.replace("excerpt", "")));
    assert.equal(r.fs, 100);
    assert.equal(r.up, g.up, `${key} up`);
    assert.equal(r.down, g.down, `${key} down`);
    assert.ok(r.signal instanceof Float32Array);
    assert.equal(r.signal.length, g.n_resampled);
    const sigTol = 1e-5 * peak(r.signal);
    assertClose(r.signal.subarray(0, 200), g.resampled_first_200, {
      rtol: 0,
      atol: sigTol,
      label: `${key} first 200`,
    });
    for (const [at, v] of Object.entries(g.resampled_at)) {
      assertClose(r.signal[Number(at)], v, { rtol: 0, atol: sigTol, label: `${key}[${at}]` });
    }
    const { mean, std } = meanStd(r.signal);
    assertClose(mean, g.resampled_mean, { rtol: 0, atol: sigTol, label: `${key} mean` });
    assertClose(std, g.resampled_std, { rtol: 0, atol: sigTol, label: `${key} std` });

    assert.equal(r.nFrames, g.n_frames);
    assert.equal(r.nBins, g.n_bins);
    assert.equal(r.features.length, 1011 * 90);
    const rows: Array<[number, number[]]> = [
      [0, g.frames_0_2[0]],
      [1, g.frames_0_2[1]],
      [2, g.frames_0_2[2]],
      [500, g.frame_500],
      [1010, g.frame_last],
    ];
    for (const [f, expected] of rows) {
      assertClose(r.features.subarray(f * 90, (f + 1) * 90), expected, {
        rtol: 0,
        atol: 1e-4 * peak(expected),
        label: `${key} frame ${f}`,
      });
    }
    assertSameValues(r.frameLabels, g.frame_labels, `${key} frame labels`);
    const counts = countBy(r.frameLabels);
    for (const [c, k] of Object.entries(g.frame_label_counts)) {
      assert.equal(counts[c] ?? 0, k, `${key} label ${c}`);
    }
    assert.equal(r.channel, dreamsGolden[key].channel);
    assertClose(r.nativeFs, dreamsGolden[key].fs, { rtol: 1e-12 });
  }
});

// ---------------------------------------------------------------------------
// The dataset (one temporary cache folder shared by the tests below)
// ---------------------------------------------------------------------------

const cache = await Deno.makeTempDir({ prefix: "emargin-dreams-cache-" });
globalThis.addEventListener("unload", () => Deno.removeSync(cache, { recursive: true }));
const loadFold = (fold: number, normalisation: "train" | "none" | "all" = "train") =>
  loadDreamsDataset({ dataDir: DIR, fold, normalisation, cache });

Deno.test("the dataset cache returns identical arrays and survives a damaged entry", async () => {
  const cold = await loadFold(0);
  const warm = await loadFold(0);
  assert.equal(cold.meta.extra?.cacheHit, false);
  assert.equal(warm.meta.extra?.cacheHit, true);
  assert.deepEqual({ ...warm.meta, extra: { ...warm.meta.extra, cacheHit: false } }, cold.meta);
  for (const split of ["train", "eval"] as const) {
    assertSameValues(warm[split].x, cold[split].x, `${split}.x`);
    assertSameValues(warm[split].y, cold[split].y, `${split}.y`);
    assert.deepEqual(warm[split].recording, cold[split].recording);
  }
  const registry = await loadDataset("dreams", { dataDir: DIR, fold: 0, cache });
  assert.equal(registry.meta.extra?.cacheHit, true, "the registry shares the cache entry");
  const damaged = await Deno.makeTempDir({ prefix: "emargin-dreams-cache-" });
  await loadDreamsDataset({ dataDir: DIR, fold: 0, cache: damaged });
  const root = datasetCacheDir(damaged);
  const entries = [...Deno.readDirSync(root)].filter((e) => e.isDirectory);
  assert.equal(entries.length, 1, "one cache entry per (fold, normalisation, profile)");
  await Deno.writeFile(join(root, entries[0].name, "train_x.f32"), new Uint8Array([1, 2, 3]));
  const rebuilt = await loadDreamsDataset({ dataDir: DIR, fold: 0, cache: damaged });
  assert.equal(rebuilt.meta.extra?.cacheHit, false);
  assertSameValues(rebuilt.train.x, cold.train.x, "rebuilt");
  await Deno.remove(damaged, { recursive: true });
});

Deno.test("the cache refuses a folder inside the repository (derived arrays never enter git)", async () => {
  await assert.rejects(
    () => loadDreamsDataset({ dataDir: DIR, cache: join(repoRoot, "lib") }),
    OptionError,
  );
});

Deno.test("loadDreamsDataset: four folds disjoint by excerpt, 5 sequences of 200×90 per excerpt", async () => {
  const seen: string[] = [];
  for (let fold = 0; fold < 4; fold++) {
    const d = await loadFold(fold);
    assert.equal(d.name, "dreams");
    assert.equal(d.T, 200);
    assert.equal(d.F, 90);
    assert.deepEqual(d.classNames, ["W", "N1", "N2", "N3", "REM"]);
    const { train, eval: ev } = dreamsFoldExcerpts(fold);
    assert.deepEqual(ev, [fold + 1, fold + 5]);
    assert.deepEqual(d.meta.subjects.eval, ev.map((n) => `excerpt${n}`));
    assert.deepEqual(d.meta.subjects.train, train.map((n) => `excerpt${n}`));
    for (const [split, excerpts] of [[d.train, train], [d.eval, ev]] as const) {
      assert.equal(split.nSequences, 5 * excerpts.length);
      assert.equal(split.x.length, split.nSequences * 200 * 90);
      assert.equal(split.y.length, split.nSequences * 200);
      assert.equal(split.recording.length, split.nSequences);
      for (const n of excerpts) {
        assert.equal(split.recording.filter((r) => r === `excerpt${n}`).length, 5);
      }
    }
    const trainSet = new Set(d.train.recording);
    assert.ok(d.eval.recording.every((r) => !trainSet.has(r)), `fold ${fold} overlaps`);
    assert.equal(new Set([...d.train.recording, ...d.eval.recording]).size, 8);
    seen.push(...new Set(d.eval.recording));
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const labelled = (y: Int32Array) => y.filter((c) => c >= 0).length;
    assert.equal(sum(d.meta.classCounts.train), labelled(d.train.y));
    assert.equal(sum(d.meta.classCounts.eval), labelled(d.eval.y));
  }
  assert.deepEqual(seen.sort(), [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `excerpt${n}`));
  await assert.rejects(() => loadFold(4), OptionError);
});

Deno.test("loadDreamsDataset: sequences are the excerpt's first 1000 frames in order", async () => {
  const raw = await loadFold(0, "none");
  const excerpt5 = await loadDreamsExcerpt(DIR, 5);
  const s = raw.eval.recording.indexOf("excerpt5");
  assert.ok(s >= 0);
  for (let k = 0; k < 5; k++) {
    const block = raw.eval.x.subarray((s + k) * 200 * 90, (s + k + 1) * 200 * 90);
    assertSameValues(
      block,
      excerpt5.features.subarray(k * 200 * 90, (k + 1) * 200 * 90),
      `sequence ${k}`,
    );
    assertSameValues(
      raw.eval.y.subarray((s + k) * 200, (s + k + 1) * 200),
      excerpt5.frameLabels.subarray(k * 200, (k + 1) * 200),
      `labels ${k}`,
    );
  }
});

Deno.test("loadDreamsDataset: z-score statistics come from the training split only", async () => {
  const raw = await loadFold(1, "none");
  const norm = await loadFold(1, "train");
  const leaky = await loadFold(1, "all");
  const stats = zScoreStats([raw.train.x], 90);
  for (const [r, z] of [[raw.train.x, norm.train.x], [raw.eval.x, norm.eval.x]]) {
    for (let i = 0; i < r.length; i += 997) {
      const f = i % 90;
      assertClose(z[i], (r[i] - stats.mean[f]) / stats.std[f], { rtol: 1e-5, atol: 1e-5 });
    }
  }
  const trainStats = zScoreStats([norm.train.x], 90);
  for (let f = 0; f < 90; f++) {
    assert.ok(Math.abs(trainStats.mean[f]) < 1e-4, `bin ${f} mean ${trainStats.mean[f]}`);
    assert.ok(Math.abs(trainStats.std[f] - 1) < 1e-4, `bin ${f} std ${trainStats.std[f]}`);
  }
  // The leaky option differs, so the eval split is what changes the statistics.
  let differs = 0;
  for (let i = 0; i < norm.train.x.length; i += 101) {
    if (Math.abs(norm.train.x[i] - leaky.train.x[i]) > 1e-4) differs++;
  }
  assert.ok(differs > 100);
  assert.notEqual(norm.meta.fingerprint, leaky.meta.fingerprint);
});

Deno.test("loadDreamsDataset: replacing the eval excerpts leaves the normalised training split unchanged", async () => {
  // A folder that links the six training excerpts of fold 0 and holds two
  // synthetic evaluation excerpts (generated noise, not derived from DREAMS).
  const dir = await Deno.makeTempDir({ prefix: "emargin-dreams-synthetic-" });
  try {
    for (let n = 1; n <= 8; n++) {
      await Deno.symlink(
        join(DIR, `Hypnogram_excerpt${n}.txt`),
        join(dir, `Hypnogram_excerpt${n}.txt`),
      );
      if (n === 1 || n === 5) {
        const lines = ["[SYNTH]"];
        let s = 7;
        for (let i = 0; i < 180_000; i++) {
          s = (s * 1103515245 + 12345) % 2147483648;
          lines.push(((s / 2147483648 - 0.5) * 400).toFixed(4));
        }
        await Deno.writeTextFile(join(dir, `excerpt${n}.txt`), lines.join("\n") + "\n");
      } else {
        await Deno.symlink(join(DIR, `excerpt${n}.txt`), join(dir, `excerpt${n}.txt`));
      }
    }
    const real = await loadFold(0);
    const swapped = await loadDreamsDataset({ dataDir: dir, fold: 0, cache: false });
    assertSameValues(swapped.train.x, real.train.x, "normalised train.x");
    assert.ok(countDifferent(swapped.eval.x, real.eval.x) > 1000);
    assert.equal(
      swapped.meta.extra?.channel &&
        (swapped.meta.extra.channel as Record<string, string>).excerpt1,
      "SYNTH",
    );
    assert.notEqual(swapped.meta.fingerprint, real.meta.fingerprint);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadDreamsDataset: metadata names channels, rates, caveats, source and licence", async () => {
  const d = await loadFold(2);
  const extra = d.meta.extra as Record<string, unknown>;
  const channel = extra.channel as Record<string, string>;
  const nativeFs = extra.nativeFs as Record<string, number>;
  for (let n = 1; n <= 8; n++) {
    assert.equal(channel[`excerpt${n}`], dreamsGolden[`excerpt${n}`].channel);
    assertClose(nativeFs[`excerpt${n}`], dreamsGolden[`excerpt${n}`].fs, { rtol: 1e-12 });
  }
  assert.deepEqual(extra.bandLimited, [{ excerpt: "excerpt3", nativeFs: 50, maxFrequencyHz: 25 }]);
  assert.deepEqual(extra.remExcerpts, ["excerpt7"]);
  assert.equal(extra.cacheHit, true);
  assert.ok(d.meta.notes.some((s) => s.includes("excerpt3") && s.includes("25 Hz")));
  assert.ok(d.meta.notes.some((s) => s.includes("REM occurs only in excerpt7")));
  assert.equal(d.meta.source?.licence, "CC BY-NC-ND 3.0");
  assert.match(d.meta.source?.citation ?? "", /Devuyst/);
  assert.equal(d.meta.fs, 100);
  assert.match(d.meta.fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(d.meta.fingerprint, (await loadFold(2)).meta.fingerprint);
  assert.notEqual(d.meta.fingerprint, (await loadFold(3)).meta.fingerprint);
  assert.ok(d.meta.classCounts.eval[4] > 0, "fold 2 evaluates on excerpt 7, which has REM");
  assert.equal(d.meta.classCounts.train[4], 0);
});

Deno.test("dreamsClusteringSubset draws min(perClass, available) per class present, seeded", async () => {
  for (const fold of [0, 2]) {
    const d = await loadFold(fold);
    const a = dreamsClusteringSubset(d.eval, { perClass: 1000, seed: 1 });
    const available = [0, 0, 0, 0, 0];
    for (const c of d.eval.y) if (c >= 0) available[c]++;
    assert.deepEqual(a.available, available);
    assert.deepEqual(a.counts, available.map((n) => Math.min(1000, n)));
    assert.deepEqual(a.classes, available.flatMap((n, c) => (n > 0 ? [c] : [])));
    assert.equal(a.K, fold === 2 ? 5 : 4);
    assert.equal(new Set(a.indices).size, a.indices.length);
    for (let i = 0; i < a.indices.length; i++) assert.equal(d.eval.y[a.indices[i]], a.labels[i]);
    const again = dreamsClusteringSubset(d.eval, { perClass: 1000, seed: 1 });
    assert.deepEqual(again.indices, a.indices);
    const small = dreamsClusteringSubset(d.eval, { perClass: 50, seed: 2 });
    assert.deepEqual(small.counts, available.map((n) => Math.min(50, n)));
    const other = dreamsClusteringSubset(d.eval, { perClass: 50, seed: 3 });
    assert.notDeepEqual(other.indices, small.indices);
  }
});

Deno.test("loadDreamsDataset on a folder without the files raises MissingDataError naming them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "emargin-dreams-empty-" });
  try {
    const err = await loadDreamsDataset({ dataDir: dir, cache: false }).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof MissingDataError, `got ${err}`);
    assert.match(err.message, /excerpt1\.txt/);
    assert.match(err.message, /Hypnogram_excerpt8\.txt/);
    await assert.rejects(() => readDreamsExcerpt(join(dir, "excerpt1.txt")), MissingDataError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
