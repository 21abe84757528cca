import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DATASET_LOADERS,
  datasetFolder,
  loadDataset,
  splitSubjects,
  subfolderOrRoot,
} from "../lib/data/datasets/mod.ts";
import type { Dataset } from "../lib/data/types.ts";
import { MissingDataError, OptionError } from "../lib/errors.ts";
import { repoRoot, sharedDatasetsDir } from "../lib/paths.ts";
import { datasetCacheDir, datasetFingerprint, fileStamps } from "../lib/data/cache.ts";
import { makeRng } from "../lib/random.ts";
import { writeEdf } from "./_edf_writer.ts";
import { withTempDir } from "./_util.ts";

/** Shapes, label range, disjoint recordings/subjects and class counts of a dataset. */
function checkDataset(d: Dataset, expected: { T: number; F: number; classes: number }): void {
  assert.equal(d.T, expected.T);
  assert.equal(d.F, expected.F);
  assert.equal(d.classNames.length, expected.classes);
  for (const [name, split] of [["train", d.train], ["eval", d.eval]] as const) {
    assert.ok(split.nSequences > 0, `${name} has sequences`);
    assert.equal(split.x.length, split.nSequences * d.T * d.F, `${name}.x`);
    assert.equal(split.y.length, split.nSequences * d.T, `${name}.y`);
    assert.equal(split.recording.length, split.nSequences);
    for (const v of split.x) assert.ok(Number.isFinite(v), `${name}.x finite`);
    const counts = new Array(expected.classes).fill(0);
    for (const y of split.y) {
      assert.ok(Number.isInteger(y) && y >= -1 && y < expected.classes, `${name} label ${y}`);
      if (y >= 0) counts[y]++;
    }
    assert.deepEqual(d.meta.classCounts[name], counts);
  }
  const trainRecordings = new Set(d.train.recording);
  for (const r of d.eval.recording) {
    assert.ok(!trainRecordings.has(r), `recording ${r} in both splits`);
  }
  const trainSubjects = new Set(d.meta.subjects.train);
  for (const s of d.meta.subjects.eval) {
    assert.ok(!trainSubjects.has(s), `subject ${s} in both splits`);
  }
  assert.match(d.meta.fingerprint, /^[0-9a-f]{64}$/);
  assert.ok(d.meta.splitRule.length > 0 && d.meta.source !== undefined);
}

const withCache = <T>(fn: (cache: string) => Promise<T>) => withTempDir("emargin-cache-", fn);

Deno.test("splitSubjects: 4 disjoint folds by subject, fold 0 evaluates the last block", () => {
  const users = Array.from({ length: 30 }, (_, i) => `user${String(i + 1).padStart(2, "0")}`);
  const split = splitSubjects(users, 0);
  assert.deepEqual(split.eval, users.slice(22));
  assert.deepEqual(split.train, users.slice(0, 22));
  assert.deepEqual(splitSubjects(users, 3).eval, users.slice(0, 7));
  assert.deepEqual(splitSubjects([...users].reverse(), 0), split);
  const seen = new Set<string>();
  for (let fold = 0; fold < 4; fold++) {
    const s = splitSubjects(users, fold);
    assert.equal(s.train.length + s.eval.length, 30);
    assert.ok(s.eval.every((u) => !s.train.includes(u)));
    s.eval.forEach((u) => seen.add(u));
  }
  assert.equal(seen.size, 30, "the folds together evaluate every subject once");
  const sizes = [0, 1, 2, 3].map((f) => splitSubjects(users, f).eval.length);
  assert.deepEqual(sizes, [8, 8, 7, 7]);
  assert.deepEqual(splitSubjects(["a", "b", "c"], 2).eval, ["a"], "3 subjects: 3 folds");
  assert.throws(() => splitSubjects(users, 4), OptionError);
  assert.deepEqual(splitSubjects(["u2", "u10", "u1"]).train, ["u1", "u2"]);
});

Deno.test("loadDataset('synthetic'): shapes, labels, determinism, normalisation options, cache hit", async () => {
  await withCache(async (cache) => {
    const a = await loadDataset("synthetic", { profile: "quick", cache });
    checkDataset(a, { T: 100, F: 52, classes: 4 });
    assert.equal(a.meta.extra?.cacheHit, false);
    const b = await loadDataset("synthetic", { profile: "quick", cache });
    assert.equal(b.meta.extra?.cacheHit, true);
    assert.deepEqual(b.train.x, a.train.x);
    assert.deepEqual(b.eval.y, a.eval.y);
    assert.deepEqual(b.meta.subjects, a.meta.subjects);
    const fresh = await loadDataset("synthetic", { profile: "quick", cache: false });
    assert.deepEqual(fresh.train.x, a.train.x, "same seed, same data without the cache");
    const other = await loadDataset("synthetic", { profile: "quick", seed: 1, cache: false });
    assert.notDeepEqual(other.train.y, a.train.y);
    const leak = await loadDataset("synthetic", {
      profile: "quick",
      normalisation: "all",
      cache: false,
    });
    assert.notDeepEqual(leak.eval.x, a.eval.x);
    assert.match(leak.meta.notes.join("\n"), /leak/);
    const raw = await loadDataset("synthetic", {
      profile: "quick",
      normalisation: "none",
      cache: false,
    });
    assert.ok(raw.train.x.every((v) => v >= 0), "raw magnitudes are non-negative");
    assert.notEqual(raw.meta.fingerprint, a.meta.fingerprint);
  });
});

Deno.test("loadDataset('hapt', quick): 156 features, T 119, users never in both splits, cached", async () => {
  await withCache(async (cache) => {
    const options = { dataDir: sharedDatasetsDir(), profile: "quick" as const, cache };
    const d = await loadDataset("hapt", options);
    checkDataset(d, { T: 119, F: 156, classes: 12 });
    assert.deepEqual(d.meta.subjects, {
      train: ["user01", "user04", "user07", "user10", "user13", "user16", "user19", "user22"],
      eval: ["user23", "user26", "user29"],
    });
    assert.ok(d.meta.classCounts.train.every((c) => c > 0), "all 12 activities in training");
    assert.equal(d.meta.extra?.cacheHit, false);
    const again = await loadDataset("hapt", options);
    assert.equal(again.meta.extra?.cacheHit, true);
    assert.equal(again.meta.fingerprint, d.meta.fingerprint);
    assert.deepEqual(again.eval.x, d.eval.x);
  });
});

Deno.test("loadDataset('mitdb', quick): 250-Hz recipe, F 1502, 3 sequences per record, cached", async () => {
  await withCache(async (cache) => {
    const options = { dataDir: sharedDatasetsDir(), profile: "quick" as const, cache };
    const d = await loadDataset("mitdb", options);
    checkDataset(d, { T: 200, F: 1502, classes: 4 });
    const records = [...d.meta.subjects.train, ...d.meta.subjects.eval];
    assert.equal(d.train.nSequences + d.eval.nSequences, 3 * records.length);
    assert.ok(d.meta.classCounts.train[0] > 0, "record 201 brings AFIB frames");
    const excluded = d.meta.extra?.excludedSamples as Record<string, number>;
    assert.ok(Object.keys(excluded).length > 0 && !("N" in excluded) && !("AFIB" in excluded));
    const again = await loadDataset("mitdb", options);
    assert.equal(again.meta.extra?.cacheHit, true);
  });
});

Deno.test("loadDataset: missing data and unknown names raise typed errors", async () => {
  await assert.rejects(
    () => loadDataset("hapt", { dataDir: "/nonexistent-data", cache: false }),
    (e: unknown) => e instanceof MissingDataError && /deno task data/.test(e.message),
  );
  await assert.rejects(
    () => loadDataset("afdb", { dataDir: sharedDatasetsDir(), cache: false }),
    MissingDataError,
  );
  await assert.rejects(
    () => loadDataset("sleep-edf", { dataDir: sharedDatasetsDir(), cache: false }),
    (e: unknown) => e instanceof MissingDataError && /PSG/.test(e.message),
  );
  await assert.rejects(() => loadDataset("nope"), OptionError);
  await assert.rejects(
    () => loadDataset("synthetic", { normalisation: "z" as "train", cache: false }),
    OptionError,
  );
  assert.ok(
    ["synthetic", "hapt", "harth", "mitdb", "afdb", "sleep-edf", "dreams"].every((n) =>
      n in DATASET_LOADERS
    ),
  );
});

/** A 100-epoch night: 70 epochs W, 20 of sleep (N1 N2 N3 N3(4) REM ×4), one unscored, 9 W. */
function writeNight(dir: string, name: string, seed: number): void {
  const rng = makeRng(seed);
  const nRecords = 100;
  Deno.writeFileSync(
    join(dir, `${name}E0-PSG.edf`),
    writeEdf({
      patient: "X",
      recording: "Startdate X",
      startDate: "01.01.90",
      startTime: "22.00.00",
      reserved: "",
      recordDuration: 30,
      nRecords,
      signals: [{
        label: "EEG Fpz-Cz",
        transducer: "",
        physicalDimension: "uV",
        physicalMin: -200,
        physicalMax: 200,
        digitalMin: -2048,
        digitalMax: 2047,
        prefiltering: "",
        samplesPerRecord: 3000,
        data: Float64Array.from(
          { length: nRecords * 3000 },
          (_, i) => 20 * Math.sin(i / 7) + 10 * rng.normal(),
        ),
      }],
    }),
  );
  const stages = ["1", "2", "3", "4", "R"];
  const annotations = [{ onset: 0, duration: 2100, text: "Sleep stage W" }];
  for (let e = 70; e < 90; e++) {
    annotations.push({ onset: 30 * e, duration: 30, text: `Sleep stage ${stages[(e - 70) % 5]}` });
  }
  annotations.push({ onset: 2700, duration: 30, text: "Sleep stage ?" });
  annotations.push({ onset: 2730, duration: 270, text: "Sleep stage W" });
  Deno.writeFileSync(
    join(dir, `${name}EH-Hypnogram.edf`),
    writeEdf({
      patient: "X",
      recording: "Startdate X",
      startDate: "01.01.90",
      startTime: "22.00.00",
      reserved: "EDF+C",
      recordDuration: 0,
      nRecords: 1,
      signals: [],
      annotations: [annotations],
    }),
  );
}

Deno.test("loadDataset('sleep-edf') on EDF files written by the test: trimming, F 90, T 200", async () => {
  const root = await Deno.makeTempDir();
  try {
    const dir = join(root, "sleep-edf");
    await Deno.mkdir(dir);
    for (const [i, name] of ["SC4001", "SC4011", "SC4021", "SC4031"].entries()) {
      writeNight(dir, name, i);
    }
    const d = await loadDataset("sleep-edf", { dataDir: root, cache: false });
    checkDataset(d, { T: 200, F: 90, classes: 5 });
    assert.deepEqual(d.meta.subjects, { train: ["SC400", "SC401", "SC402"], eval: ["SC403"] });
    // epochs 10…99 kept (60 epochs of wake before the first sleep epoch 70) → 270 000 samples
    // → ⌊270000/178⌋ = 1516 frames → 7 sequences of 200 per night
    assert.equal(d.train.nSequences, 21);
    assert.equal(d.eval.nSequences, 7);
    const excluded = d.meta.extra?.excludedSamples as Record<string, number>;
    assert.equal(excluded["movement/unscored"], 4 * 3000);
    // within a night: 60 W epochs → ⌊180000/178⌋ frames of W first
    assert.ok(d.eval.y.subarray(0, 1011).every((y) => y === 0));
    assert.ok(d.meta.classCounts.train.every((c) => c > 0));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("datasetCacheDir: .cache and outside folders only, never a tracked path", () => {
  assert.equal(datasetCacheDir(join(repoRoot, ".cache")), join(repoRoot, ".cache", "datasets"));
  assert.equal(datasetCacheDir("/tmp/x"), join("/tmp/x", "datasets"));
  assert.throws(() => datasetCacheDir(join(repoRoot, "lib")), OptionError);
  assert.throws(() => datasetCacheDir(repoRoot), OptionError);
  assert.throws(() => datasetCacheDir(join(repoRoot, "data")), OptionError);
});

Deno.test("datasetFingerprint follows file contents, not modification times", async () => {
  await withTempDir("emargin-stamps-", async (dir) => {
    const file = join(dir, "rec.dat");
    await Deno.writeFile(file, new Uint8Array([1, 2, 3, 4]));
    const first = datasetFingerprint(fileStamps([file]), { recipe: 1 });
    Deno.utimeSync(file, new Date(2001, 0, 1), new Date(2001, 0, 1)); // a re-mount or copy
    assert.equal(datasetFingerprint(fileStamps([file]), { recipe: 1 }), first);
    await Deno.writeFile(file, new Uint8Array([1, 2, 3, 5])); // same size, one byte differs
    assert.notEqual(datasetFingerprint(fileStamps([file]), { recipe: 1 }), first);
    assert.notEqual(datasetFingerprint(fileStamps([file]), { recipe: 2 }), first);
    assert.deepEqual(fileStamps([join(dir, "missing")]), [
      { path: join(dir, "missing"), size: -1, sha256: "" },
    ]);
  });
});

Deno.test("subfolderOrRoot: dataDir/<name> when it exists, else dataDir; datasetFolder looks for the marker", async () => {
  await withTempDir("folders-", async (root) => {
    assert.equal(subfolderOrRoot(root, "harth"), root);
    await Deno.mkdir(join(root, "harth"));
    assert.equal(subfolderOrRoot(root, "harth"), join(root, "harth"));
    assert.equal(datasetFolder(root, "hapt", "RawData"), join(root, "hapt"));
    await Deno.mkdir(join(root, "RawData"));
    assert.equal(datasetFolder(root, "hapt", "RawData"), root);
  });
});
