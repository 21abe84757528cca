import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { DegenerateInputError, NonFiniteError, OptionError, ShapeError } from "../lib/errors.ts";
import {
  accuracy,
  ari,
  calinskiHarabasz,
  confusionMatrix,
  daviesBouldin,
  effectiveRank,
  evaluateClustering,
  f1Macro,
  f1Weighted,
  kmeans,
  nmi,
  precisionMacro,
  recallMacro,
  silhouette,
  singularValues,
} from "../lib/metrics/mod.ts";
import { makeRng } from "../lib/random.ts";
import { tf } from "../lib/tf.ts";
import { assertClose, readGolden } from "./_util.ts";

interface MetricsCase {
  name: string;
  X: number[][];
  clusterLabels: number[];
  yTrue: number[];
  yPred: number[];
  labelOrder: number[];
  expected: Record<string, number> & { confusionMatrix: number[][] };
}

interface MetricsGolden {
  cases: MetricsCase[];
  referenceBehaviour: {
    clusteringEvaluation: { name: string; nRows: number; nClusters: number }[];
    sklearnDirect: { name: string; raises: boolean; value?: number }[];
  };
}

const golden = readGolden<MetricsGolden>("metrics.json");
const RTOL = 1e-9;

/** `k` Gaussian blobs of `perBlob` points in `d` dims, centres `spread` apart. */
function blobs(k: number, perBlob: number, d: number, spread: number, seed: number) {
  const rng = makeRng(seed);
  const centres = Array.from(
    { length: k },
    () => Array.from({ length: d }, () => spread * rng.normal()),
  );
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < k * perBlob; i++) {
    const c = i % k;
    x.push(centres[c].map((v) => v + rng.normal()));
    y.push(c);
  }
  return { x, y };
}

function sklearnDirect(name: string): number {
  const entry = golden.referenceBehaviour.sklearnDirect.find((e) => e.name === name);
  assert.ok(entry && !entry.raises && entry.value !== undefined, `golden entry ${name}`);
  return entry.value;
}

Deno.test("metrics: every golden case matches sklearn to 1e-9 relative", () => {
  assert.equal(golden.cases.length, 13);
  for (const c of golden.cases) {
    const e = c.expected;
    const got: Record<string, number> = {
      daviesBouldin: daviesBouldin(c.X, c.clusterLabels),
      calinskiHarabasz: calinskiHarabasz(c.X, c.clusterLabels),
      silhouette: silhouette(c.X, c.clusterLabels),
      nmi: nmi(c.yTrue, c.clusterLabels),
      ari: ari(c.yTrue, c.clusterLabels),
      accuracy: accuracy(c.yTrue, c.yPred),
      f1Weighted: f1Weighted(c.yTrue, c.yPred),
      f1Macro: f1Macro(c.yTrue, c.yPred),
      precisionMacro: precisionMacro(c.yTrue, c.yPred),
      recallMacro: recallMacro(c.yTrue, c.yPred),
      effectiveRank: effectiveRank(c.X),
    };
    for (const [metric, value] of Object.entries(got)) {
      assertClose(value, e[metric], { rtol: RTOL, atol: 1e-15, label: `${c.name}.${metric}` });
    }
    assert.deepEqual(confusionMatrix(c.yTrue, c.yPred), e.confusionMatrix, `${c.name}.confusion`);
    assert.deepEqual(
      confusionMatrix(c.yTrue, c.yPred, { labels: c.labelOrder }),
      e.confusionMatrix,
      `${c.name}.confusion(labelOrder)`,
    );
  }
});

Deno.test("metrics: label agreement and effective rank limit cases match sklearn", () => {
  const ones = new Array(10).fill(0), halves = ones.map((_, i) => i % 2);
  assert.equal(nmi(ones, ones), sklearnDirect("nmi_bothSingleLabel"));
  assert.equal(nmi(ones, halves), sklearnDirect("nmi_singleVsTwo"));
  assert.equal(ari(ones, ones), sklearnDirect("ari_bothSingleLabel"));
  assert.equal(ari(ones, halves), sklearnDirect("ari_singleVsTwo"));
  // ARI is invariant to renaming, NMI symmetric.
  assert.equal(ari([0, 0, 1, 1, 2], [5, 5, 3, 3, 9]), 1);
  assertClose(nmi([0, 0, 1, 2, 2], [1, 0, 0, 1, 1]), nmi([1, 0, 0, 1, 1], [0, 0, 1, 2, 2]));
  const zeros = Array.from({ length: 6 }, () => [0, 0, 0]);
  assert.equal(effectiveRank(zeros), sklearnDirect("effectiveRank_zeroMatrix"));
  const rankOne = Array.from({ length: 6 }, (_, i) => [1 * (i + 1), 2 * (i + 1), -3 * (i + 1)]);
  assertClose(effectiveRank(rankOne), sklearnDirect("effectiveRank_rankOne"), { rtol: 1e-12 });
  const identity = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  assertClose(effectiveRank(identity), sklearnDirect("effectiveRank_identity4"), { rtol: 1e-12 });
});

Deno.test("metrics: classification scores on an all-one-class prediction match sklearn", () => {
  // Four classes, everything predicted as class 0.
  const yTrue = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3];
  const yPred = yTrue.map(() => 0);
  // class 0 precision 12/16 = 0.75, others 0 (zero_division) → macro 0.1875.
  assertClose(precisionMacro(yTrue, yPred), 0.1875, { rtol: 1e-15 });
  assertClose(recallMacro(yTrue, yPred), 0.25, { rtol: 1e-15 });
  const twoClass = [0, 1, 0, 1];
  assertClose(f1Macro(twoClass, [0, 0, 0, 0]), sklearnDirect("f1Macro_allPredictedOneClass"), {
    rtol: 1e-15,
  });
  assertClose(
    precisionMacro(twoClass, [0, 0, 0, 0]),
    sklearnDirect("precisionMacro_allPredictedOneClass"),
    { rtol: 1e-15 },
  );
  // An explicit label set restricts the classes averaged.
  assertClose(recallMacro(yTrue, yPred, { labels: [0] }), 1, { rtol: 1e-15 });
  assert.throws(() => accuracy([0, 1], [0]), ShapeError);
});

Deno.test("metrics: singular values and effective rank of a known spectrum", () => {
  // Rows of a scaled, rotated identity: σ = (4, 2, 1) whatever the rotation.
  const c = Math.cos(0.3), s = Math.sin(0.3);
  const rotation = [[c, -s, 0], [s, c, 0], [0, 0, 1]];
  const scale = [4, 2, 1];
  const x = scale.map((v, i) => rotation[i].map((r) => v * r));
  assertClose(singularValues(x), [4, 2, 1], { rtol: 1e-13 });
  // Wide input (n < d) goes through the transposed path.
  assertClose(singularValues([x[0], x[1]]), [4, 2], { rtol: 1e-13 });
  const p = [4 / 7, 2 / 7, 1 / 7];
  assertClose(effectiveRank(x), Math.exp(-p.reduce((h, q) => h + q * Math.log(q), 0)), {
    rtol: 1e-13,
  });
});

Deno.test("metrics: blocked silhouette equals the direct O(n²) definition", () => {
  // 301 rows: odd (padding) and wider than one 64-row tile; unequal cluster sizes.
  const { x } = blobs(4, 75, 7, 2, 11);
  x.push([9, 9, 9, 9, 9, 9, 9]);
  const labels = x.map((_, i) => (i === 300 ? 4 : i % 4 === 3 && i < 40 ? 0 : i % 4));
  const dist = (a: number[], b: number[]) => Math.hypot(...a.map((v, j) => v - b[j]));
  let total = 0;
  for (let i = 0; i < x.length; i++) {
    const sums = new Map<number, [number, number]>();
    for (let j = 0; j < x.length; j++) {
      if (j === i) continue;
      const e = sums.get(labels[j]) ?? [0, 0];
      sums.set(labels[j], [e[0] + dist(x[i], x[j]), e[1] + 1]);
    }
    const own = sums.get(labels[i]);
    if (own === undefined) continue; // singleton: s = 0
    const a = own[0] / own[1];
    const b = Math.min(...[...sums].filter(([l]) => l !== labels[i]).map(([, [s, n]]) => s / n));
    total += (b - a) / Math.max(a, b);
  }
  assertClose(silhouette(x, labels), total / x.length, { rtol: 1e-12 });
});

Deno.test("metrics: matrix inputs as arrays, tensors and buffers agree", async () => {
  await initBackend({ prefer: "cpu" });
  const { x, y } = blobs(3, 10, 4, 3, 2);
  const flat = Float64Array.from(x.flat());
  const t = tf.tensor2d(Float32Array.from(flat), [30, 4], "float32");
  const f32 = { data: Float32Array.from(flat), rows: 30, cols: 4 };
  try {
    const fromF32 = daviesBouldin(f32, y);
    assert.equal(daviesBouldin(t, y), fromF32);
    assertClose(daviesBouldin({ data: flat, rows: 30, cols: 4 }, y), daviesBouldin(x, y), {
      rtol: 1e-15,
    });
    assertClose(fromF32, daviesBouldin(x, y), { rtol: 1e-5 });
  } finally {
    t.dispose();
  }
  assert.throws(() => daviesBouldin({ data: flat, rows: 31, cols: 4 }, y), ShapeError);
  assert.throws(() => daviesBouldin([[1, 2], [3]], [0, 1]), ShapeError);
  assert.throws(() => silhouette(x, y.slice(1)), ShapeError);
});

Deno.test("metrics: degenerate inputs raise typed errors instead of sklearn's 0 / 1", () => {
  const { x } = blobs(2, 10, 3, 5, 3);
  const twoLabels = x.map((_, i) => i % 2);
  const oneLabel = x.map(() => 7);
  const ownLabel = x.map((_, i) => i);
  const identical = x.map(() => [0.5, 0.5, 0.5]);
  const withNaN = x.map((r, i) => (i === 4 ? [r[0], NaN, r[2]] : r));
  const withInf = x.map((r, i) => (i === 4 ? [r[0], Infinity, r[2]] : r));
  for (const index of [daviesBouldin, calinskiHarabasz, silhouette]) {
    assert.throws(() => index(x, oneLabel), DegenerateInputError, `${index.name} one label`);
    assert.throws(() => index(x, ownLabel), DegenerateInputError, `${index.name} n labels`);
    // sklearn: DBI 0, CHI 1, SIL 0 here.
    assert.throws(
      () => index(identical, twoLabels),
      DegenerateInputError,
      `${index.name} identical`,
    );
    assert.throws(() => index(withNaN, twoLabels), NonFiniteError, `${index.name} NaN`);
    assert.throws(() => index(withInf, twoLabels), NonFiniteError, `${index.name} Inf`);
    assert.throws(() => index(x, twoLabels.slice(2)), ShapeError, `${index.name} shape`);
  }
  // Two clusters whose centroids coincide: DBI divides by zero.
  const symmetric = [[1, 0], [-1, 0], [0, 1], [0, -1], [5, 5]];
  assert.throws(() => daviesBouldin(symmetric, [0, 0, 1, 1, 2]), DegenerateInputError);
  // Every point of a cluster equals every point of another: silhouette 0/0.
  const stacked = [[0, 0], [0, 0], [0, 0], [0, 0], [3, 3], [3, 4]];
  assert.throws(() => silhouette(stacked, [0, 0, 1, 1, 2, 2]), DegenerateInputError);
});

Deno.test("kmeans: recovers well-separated blobs and is deterministic for a seed", () => {
  const { x, y } = blobs(4, 30, 5, 10, 5);
  const first = kmeans(x, { k: 4, seed: 1 });
  assert.equal(ari(y, first.labels), 1);
  assert.equal(first.centers.length, 4);
  assert.equal(first.centers[0].length, 5);
  assert.ok(first.nIter >= 1 && first.nIter <= 300);
  const again = kmeans(x, { k: 4, seed: 1 });
  assert.deepEqual(again.labels, first.labels);
  assert.equal(again.inertia, first.inertia);
  // Inertia is the sum of squared distances to the returned centres.
  let inertia = 0;
  x.forEach((r, i) =>
    r.forEach((v, j) => (inertia += (v - first.centers[first.labels[i]][j]) ** 2))
  );
  assertClose(first.inertia, inertia, { rtol: 1e-10 });
});

Deno.test("kmeans: best of nInit is never worse than one initialisation", () => {
  const { x } = blobs(6, 20, 4, 1.5, 8);
  for (const seed of [1, 2, 3, 4, 5]) {
    const best = kmeans(x, { k: 6, seed, nInit: 10 }).inertia;
    // The first run of the nInit = 10 sequence is the nInit = 1 run of the same seed.
    const single = kmeans(x, { k: 6, seed, nInit: 1 }).inertia;
    assert.ok(best <= single, `seed ${seed}: ${best} > ${single}`);
  }
});

Deno.test("kmeans: rejects NaN, too few distinct points and bad options", () => {
  const { x } = blobs(2, 10, 3, 5, 4);
  assert.throws(
    () => kmeans(x.map((r, i) => (i ? r : [NaN, 0, 0])), { k: 2, seed: 1 }),
    NonFiniteError,
  );
  assert.throws(() => kmeans(x.map(() => [1, 1, 1]), { k: 3, seed: 1 }), DegenerateInputError);
  const twoPoints = x.map((_, i) => (i % 2 ? [0, 0, 0] : [1, 2, 3]));
  assert.throws(() => kmeans(twoPoints, { k: 5, seed: 1 }), DegenerateInputError);
  assert.throws(() => kmeans(x, { k: 0, seed: 1 }), OptionError);
  assert.throws(() => kmeans(x, { k: 21, seed: 1 }), OptionError);
  assert.throws(() => kmeans(x, { k: 2, seed: 1, nInit: 0 }), OptionError);
  assert.equal(new Set(kmeans(twoPoints, { k: 2, seed: 1 }).labels).size, 2);
});

Deno.test("evaluateClustering: reports the reference's failure cases by status, never 0/0/0", () => {
  const cases = golden.referenceBehaviour.clusteringEvaluation;
  const { x, y } = blobs(2, 15, 3, 6, 6);
  const byName = (name: string) => cases.find((c) => c.name === name)!;

  const identical = byName("allIdenticalPoints_3clusters");
  const same = Array.from({ length: identical.nRows }, () => [0.25, 0, 1]);
  const r1 = evaluateClustering(same, { k: identical.nClusters, seed: 1 });
  assert.equal(r1.status, "single_cluster");
  assert.equal(r1.nDistinctPoints, 1);
  assertClose(r1.effectiveRank!, 1, { rtol: 1e-12 });

  const single = byName("singleCluster");
  const r2 = evaluateClustering(x.slice(0, single.nRows), { k: single.nClusters, seed: 1 });
  assert.equal(r2.status, "single_cluster");

  const nan = byName("nanInFeatures");
  const withNaN = x.slice(0, nan.nRows).map((r, i) => (i === 3 ? [NaN, r[1], r[2]] : r));
  const r3 = evaluateClustering(withNaN, { k: nan.nClusters, seed: 1, yTrue: y });
  assert.equal(r3.status, "nan_embeddings");
  assert.equal(r3.nmi, null);
  assert.equal(r3.effectiveRank, null);

  for (const r of [r1, r2, r3]) {
    assert.equal(r.daviesBouldin, null);
    assert.equal(r.calinskiHarabasz, null);
    assert.equal(r.silhouette, null);
    assert.ok(r.reason);
  }

  const normal = byName("normal_twoClusters");
  const r4 = evaluateClustering(x.slice(0, normal.nRows), {
    k: normal.nClusters,
    seed: 1,
    yTrue: y,
  });
  assert.equal(r4.status, "ok");
  assert.equal(r4.reason, null);
  assert.equal(r4.nmi, 1);
  assert.equal(r4.ari, 1);
  assert.equal(r4.nNonEmptyClusters, 2);
  assert.equal(r4.nDistinctPoints, 30);
  assert.ok(r4.daviesBouldin! > 0 && r4.calinskiHarabasz! > 1 && r4.silhouette! > 0.5);
  const labels = kmeans(x, { k: 2, seed: 1 }).labels;
  assert.equal(r4.daviesBouldin, daviesBouldin(x, labels));
  assert.equal(r4.silhouette, silhouette(x, labels));
});

Deno.test("evaluateClustering: 2 distinct points with k = 5 is degenerate, not a perfect score", () => {
  // sklearn's reference gives DBI 0, CHI 1, SIL 1 here (spec D6).
  const x = Array.from({ length: 40 }, (_, i) => (i % 2 ? [1, 0, 0, 2] : [0, 3, 0, 0]));
  const r = evaluateClustering(x, { k: 5, seed: 1, yTrue: x.map((_, i) => i % 2) });
  assert.equal(r.status, "degenerate");
  assert.equal(r.nDistinctPoints, 2);
  assert.equal(r.daviesBouldin, null);
  assert.equal(r.calinskiHarabasz, null);
  assert.equal(r.silhouette, null);
  assert.equal(r.kmeansInertia, null);
  // Orthogonal points, 20 copies each: σ = √20·(√5, 3).
  const p = [Math.sqrt(5) / (Math.sqrt(5) + 3), 3 / (Math.sqrt(5) + 3)];
  assertClose(r.effectiveRank!, Math.exp(-p[0] * Math.log(p[0]) - p[1] * Math.log(p[1])), {
    rtol: 1e-12,
  });
  assert.throws(() => evaluateClustering(x, { k: 5, seed: 1, yTrue: [0, 1] }), ShapeError);
});
