import assert from "node:assert/strict";
import { join } from "node:path";
import {
  adjacentSimilarity,
  boundaryMask,
  CLAIMS,
  compareClaim,
  judgeClaims,
  productKernelNote,
  readCachedResultChecked,
  variantEvidence,
  writeCachedResult,
} from "../lib/experiments/mod.ts";
import type { ResultRecord, Variant } from "../lib/experiments/mod.ts";
import {
  baselineClaims,
  baselineHeadline,
  claimsTable,
  clearBest,
  d6Rows,
  frontPage,
  resolutionNote,
  symbolHtml,
} from "../lib/views/mod.ts";
import { BASELINE_NAMES } from "../lib/baselines/mod.ts";
import { smallestSwapP, unitsForSwapP } from "../lib/stats/mod.ts";
import { fakeRecord, fakeStudy } from "./_records.ts";

const SEEDS = [1, 2, 3];
const FOLDS = [0, 1, 2, 3];

/** 8 held-out groups per fold around `c` correct of 10 frames per class. */
const spread = (c: number, by = 1) => [c, c + by, c, c - by, c, c + by, c, c - by];

/** infonce recalls `good` of 10 frames per group, emargin-reference `bad`, over folds × seeds. */
function records(good: number, bad: number, excludedEmargin = false): ResultRecord[] {
  return FOLDS.flatMap((fold) =>
    SEEDS.flatMap((seed) => [
      fakeRecord({
        variant: "infonce",
        fold,
        seed,
        dbi: 1,
        correct: spread(good),
      }),
      fakeRecord({
        variant: "emargin-reference",
        fold,
        seed,
        dbi: 0.5 + 0.01 * seed,
        correct: spread(bad),
        nonFinite: excludedEmargin ? 3 : 0,
      }),
      fakeRecord({
        variant: "raw-features",
        fold,
        seed,
        dbi: 2,
        correct: spread(good, 0),
      }),
    ])
  );
}

Deno.test("judgeClaims: a clear probe loss is supported, a null difference is not resolved", () => {
  const judged = judgeClaims(records(8, 5), ["synthetic"]);
  const probe = judged.find((c) => c.id === "probe")!;
  assert.equal(probe.effect?.verdict, "supported");
  assert.ok(probe.effect!.estimate < 0 && probe.effect!.upper < 0);
  assert.equal(probe.effect!.pairs, 12);
  assert.equal(probe.effect!.pMethod, "permutation");
  const dbi = judged.find((c) => c.id === "dbi")!;
  assert.equal(dbi.effect?.verdict, "supported");
  // the same probe: no difference, so not resolved
  const same = judgeClaims(records(7, 7), ["synthetic"]).find((c) => c.id === "probe")!;
  assert.equal(same.effect?.verdict, "not resolved by this data");
  // an opposite effect is contradicted
  const opposite = judgeClaims(records(5, 8), ["synthetic"]).find((c) => c.id === "probe")!;
  assert.equal(opposite.effect?.verdict, "contradicted");
  // claims about variants without runs say why
  const vrns = judged.find((c) => c.id === "vrns")!;
  assert.equal(vrns.effect, null);
  assert.match(vrns.reason!, /no runs of infonce\+vrns/);
  assert.equal(judged.length, CLAIMS.length);
});

Deno.test("runs non-finite on most steps are left out of verdicts and marked", () => {
  const recs = records(8, 5, true);
  const cmp = compareClaim(recs, "synthetic", CLAIMS.find((c) => c.id === "probe")!);
  assert.equal(typeof cmp, "string");
  assert.match(cmp as string, /every run of emargin-reference is excluded/);
  const ev = variantEvidence(recs, ["synthetic"]).find((e) => e.variant === "emargin-reference")!;
  assert.equal(ev.excludedRuns, 12);
  assert.equal(ev.nonFiniteRuns, 12);
  assert.match(
    symbolHtml(claimsTable(fakeStudy(recs))),
    /every run of emargin-reference is excluded/,
  );
});

Deno.test("variantEvidence: means with bootstrap intervals; clearBest only when intervals clear", () => {
  const ev = variantEvidence(records(9, 5), ["synthetic"]);
  const infonce = ev.find((e) => e.variant === "infonce")!;
  const ba = infonce.intervals.balancedAccuracy!;
  assert.ok(Math.abs(ba.estimate - 0.9) < 1e-12);
  assert.ok(ba.lower <= ba.estimate && ba.estimate <= ba.upper);
  assert.equal(ba.runs, 12);
  assert.equal(clearBest(ev, "daviesBouldin")?.variant, "emargin-reference");
  // raw features recall 0.9 everywhere like infonce: no clear best probe
  assert.equal(clearBest(ev, "balancedAccuracy"), null);
});

Deno.test("d6Rows: a failed clustering counts as DBI 0 for the reference and ranks first", () => {
  const recs = records(8, 5);
  for (const r of recs.filter((r) => r.config.variant === "emargin-reference")) {
    r.clustering = { ...r.clustering, status: "single_cluster", daviesBouldin: null };
  }
  const rows = d6Rows(recs, "synthetic");
  const em = rows.find((r) => r.variant === "emargin-reference")!;
  assert.equal(em.referenceDbi, 0);
  assert.equal(em.referenceRank, 1);
  assert.equal(em.rank, null);
  assert.equal(rows.find((r) => r.variant === "infonce")!.rank, 1);
});

Deno.test("frontPage: generated summary with headline verdicts and the main results table", () => {
  const page = symbolHtml(frontPage(fakeStudy(records(8, 5))));
  assert.match(page, /<h2>Summary<\/h2>/);
  assert.match(page, /synthetic dataset/);
  assert.match(page, /supported on synthetic/);
  assert.match(page, /Main results/);
  assert.match(page, /raw-features/);
  // a baseline with runs has its row in the main results table
  const withCpc = [
    ...records(8, 5),
    fakeRecord({ variant: "cpc", fold: FOLDS[0], seed: SEEDS[0], correct: spread(6) }),
  ];
  const main = symbolHtml(frontPage(fakeStudy(withCpc))).split("Headline findings")[0];
  assert.match(main, /<td[^>]*>cpc<\/td><td[^>]*>baseline<\/td>/);
});

Deno.test("boundaryMask and adjacentSimilarity stay within sequences", () => {
  const y = Int32Array.from([0, 0, 0, 1, 1, 1, /* next sequence */ 1, 1, 0, 0, -1, 0]);
  assert.deepEqual([...boundaryMask(y, 6, 1)], [0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0]);
  assert.deepEqual([...boundaryMask(y, 6, 2)], [0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0]);
  // D = 2: same-label neighbours identical, different-label neighbours orthogonal
  const e = [1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1];
  const emb = Float32Array.from(e);
  const yy = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const r = adjacentSimilarity(emb, yy, 6);
  assert.equal(r.nSame, 4);
  assert.equal(r.nDifferent, 1);
  assert.equal(r.sameLabel, 1);
  assert.equal(r.differentLabel, 0);
});

Deno.test("result cache: an edited or incomplete record is rejected with the reason", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rec = fakeRecord({ variant: "infonce" });
    await writeCachedResult(rec, dir);
    assert.equal((await readCachedResultChecked(rec.key, dir) as ResultRecord).key, rec.key);
    const file = join(dir, `${rec.key}.json`);
    const stored = JSON.parse(await Deno.readTextFile(file));
    await Deno.writeTextFile(
      file,
      JSON.stringify({ ...stored, probe: { ...stored.probe, accuracy: 0.999 } }),
    );
    const edited = await readCachedResultChecked(rec.key, dir);
    assert.match((edited as { reason: string }).reason, /contentHash/);
    const { probe: _p, ...partial } = stored;
    await Deno.writeTextFile(file, JSON.stringify(partial));
    const missing = await readCachedResultChecked(rec.key, dir);
    assert.match((missing as { reason: string }).reason, /field "probe": missing/);
    await Deno.writeTextFile(file, "{ not json");
    assert.match(
      (await readCachedResultChecked(rec.key, dir) as { reason: string }).reason,
      /JSON/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("productKernelNote: counts the wasm runs per product kernel, null without wasm runs", () => {
  const base = fakeRecord({ variant: "infonce" });
  const on = (name: "wasm" | "cpu", products?: "gemm-fma" | "xnnpack") => ({
    ...base,
    backend: { name, adapter: null, isFallbackAdapter: false, ...(products ? { products } : {}) },
  });
  assert.equal(productKernelNote([on("cpu")]), null);
  const note = productKernelNote([on("wasm", "gemm-fma"), on("wasm"), on("wasm", "xnnpack")])!;
  assert.match(note, /of the 3 wasm runs: 1 on the packed GEMM/);
  assert.match(note, /; 1 on tfjs' XNNPACK kernel; 1 written before records named/);
  assert.doesNotMatch(productKernelNote([on("wasm", "gemm-fma")])!, /XNNPACK/);
});

Deno.test("baselineClaims: per eMargin variant, supported, contradicted, not resolved and no data", () => {
  const runs = (variant: Variant, dbi: (seed: number) => number, nonFinite = 0) =>
    FOLDS.flatMap((fold) =>
      SEEDS.map((seed) =>
        fakeRecord({ variant, fold, seed, dbi: dbi(seed) + 0.01 * fold, nonFinite })
      )
    );
  const stable = runs("emargin-stable", (seed) => 0.5 + 0.02 * seed);
  const reference = runs("emargin-reference", () => 0.4, 3); // every run non-finite
  const baselines = BASELINE_NAMES.flatMap((b) => runs(b, (seed) => 1 + 0.03 * seed));
  const dbi = (claims: ReturnType<typeof baselineClaims>) =>
    claims.find((c) => c.metric === "daviesBouldin")!;
  const all = [...stable, ...reference, ...baselines];
  const supported = dbi(baselineClaims(all, "synthetic", "emargin-stable"));
  assert.equal(supported.emargin, "emargin-stable");
  assert.equal(supported.verdict, "supported");
  assert.equal(supported.compared.length, BASELINE_NAMES.length);
  assert.ok(supported.compared.every((c) => c.pAdjusted < 0.05 && c.cmp.estimate < 0));
  assert.equal(dbi(baselineClaims(all, "synthetic")).verdict, "no data");
  // one baseline missing: the claim over every baseline cannot be supported
  const withoutCpc = all.filter((r) => r.config.variant !== "cpc");
  const partial = dbi(baselineClaims(withoutCpc, "synthetic", "emargin-stable"));
  assert.equal(partial.verdict, "not resolved by this data");
  assert.deepEqual(partial.missing, ["cpc"]);
  // a baseline clearly better than eMargin contradicts it
  const better = [...withoutCpc, ...runs("cpc", (seed) => 0.1 + 0.01 * seed)];
  const contradicted = dbi(baselineClaims(better, "synthetic", "emargin-stable"));
  assert.equal(contradicted.verdict, "contradicted");
  assert.equal(contradicted.favoured.length, BASELINE_NAMES.length - 1);
  assert.ok(!contradicted.favoured.includes("cpc"));
  // 12 pairs per baseline resolve; 3 cannot (2/2³ = 0.25), and the note says how many would
  assert.equal(resolutionNote([supported]), "");
  const fold0 = all.filter((r) => r.config.fold === 0 || r.config.variant === "emargin-stable");
  const short = dbi(baselineClaims(fold0, "synthetic", "emargin-stable"));
  assert.equal(short.verdict, "not resolved by this data");
  assert.equal(short.favoured.length, BASELINE_NAMES.length);
  const note = resolutionNote([short]);
  assert.match(note, /only 3 \(fold, seed\) pairs/);
  assert.match(note, /cannot go below p = 0\.250/);
  assert.match(note, /at least 9 pairs per baseline/);
  // the front page's headline on the comparative claim, generated from the same verdicts
  const headline = baselineHeadline(fakeStudy(fold0));
  assert.ok(headline);
  assert.match(
    headline.text,
    /emargin-stable: not resolved by this data \(better than 10 of 10 on DBI/,
  );
  assert.match(headline.text, /emargin-reference: no data/);
  assert.match(headline.text, /at least 9 pairs per baseline/);
  assert.match(symbolHtml(frontPage(fakeStudy(fold0))), /comparative claim/);
  assert.equal(baselineHeadline(fakeStudy(records(8, 5))), null);
});

Deno.test("smallestSwapP and unitsForSwapP: the exact swap test's floor", () => {
  assert.equal(smallestSwapP(3), 0.25);
  assert.equal(smallestSwapP(0), 1);
  assert.equal(smallestSwapP(1), 1);
  assert.equal(unitsForSwapP(0.05), 6); // 2/2⁶ = 0.031
  assert.equal(unitsForSwapP(0.005), 9); // 2/2⁹ = 0.0039
  for (const alpha of [0.05, 0.01, 0.005, 0.001]) {
    const n = unitsForSwapP(alpha);
    assert.ok(smallestSwapP(n) < alpha && smallestSwapP(n - 1) >= alpha, `${alpha}`);
  }
});
