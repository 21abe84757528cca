/**
 * Tables and charts of means compare rows on the same folds: a method run on
 * fold 0 only is not set against controls averaged over folds 0–3.
 */
import assert from "node:assert/strict";
import {
  comparableSummary,
  onSharedFolds,
  type ResultRecord,
  sharedFolds,
} from "../lib/experiments/mod.ts";
import {
  chanceNote,
  controlsAcrossFolds,
  evidenceTable,
  foldList,
  foldsLabel,
  studyEvidence,
  symbolHtml,
} from "../lib/views/mod.ts";
import { fakeRecord, fakeStudy } from "./_records.ts";

// infonce on fold 0 (seeds 1–2) scores 0.6; raw-features on folds 0–3 scores 0.6 on fold 0
// and 0.9 elsewhere, so a mean over each row's own runs would favour the control.
const records: ResultRecord[] = [
  ...[1, 2].map((seed) => fakeRecord({ variant: "infonce", seed, correct: [6, 6, 6, 6] })),
  ...[0, 1, 2, 3].flatMap((fold) =>
    [1, 2].map((seed) =>
      fakeRecord({
        variant: "raw-features",
        fold,
        seed,
        correct: fold === 0 ? [6, 6, 6, 6] : [9, 9, 9, 9],
      })
    )
  ),
];

Deno.test("sharedFolds: the folds every variant has runs on, beside every computed fold", () => {
  assert.deepEqual(sharedFolds(records, "synthetic"), { shared: [0], computed: [0, 1, 2, 3] });
  assert.deepEqual(sharedFolds(records, "hapt"), { shared: [], computed: [] });
  // rows that share no fold: nothing is shared, every record is kept
  const disjoint = [
    fakeRecord({ variant: "infonce", fold: 1 }),
    fakeRecord({ variant: "raw-features", fold: 2 }),
  ];
  assert.deepEqual(sharedFolds(disjoint, "synthetic"), { shared: [], computed: [1, 2] });
  assert.equal(onSharedFolds(disjoint, ["synthetic"]).length, 2);
  assert.deepEqual(
    onSharedFolds(records, ["synthetic"]).map((r) => `${r.config.variant}/${r.config.fold}`),
    ["infonce/0", "infonce/0", "raw-features/0", "raw-features/0"],
  );
});

Deno.test("foldsLabel and foldList say which folds a table is over", () => {
  const s = fakeStudy(records);
  assert.equal(
    foldsLabel(s, "synthetic"),
    "fold 0 (the fold every row has runs on; folds 0–3 computed)",
  );
  assert.equal(
    foldsLabel(fakeStudy(records.filter((r) => r.config.fold === 0)), "synthetic"),
    "fold 0",
  );
  assert.equal(foldsLabel(s, "hapt"), "no runs");
  assert.equal(
    foldsLabel(
      fakeStudy([
        fakeRecord({ variant: "infonce", fold: 0 }),
        fakeRecord({ variant: "raw-features", fold: 2 }),
      ]),
      "synthetic",
    ),
    "every computed fold (folds 0, 2; the rows share none)",
  );
  assert.equal(foldList([0, 1, 2, 3]), "folds 0–3");
  assert.equal(foldList([1, 3]), "folds 1, 3");
});

Deno.test("means are over the shared folds; the controls' table covers every fold", () => {
  const s = fakeStudy(records);
  const rows = new Map(studyEvidence(s, "synthetic").map((e) => [e.variant, e]));
  assert.equal(rows.get("infonce")!.intervals.balancedAccuracy!.estimate, 0.6);
  assert.equal(rows.get("raw-features")!.intervals.balancedAccuracy!.estimate, 0.6);
  assert.equal(rows.get("raw-features")!.runs, 2);
  const all = studyEvidence(s, "synthetic", { allFolds: true })
    .find((e) => e.variant === "raw-features")!;
  assert.equal(all.runs, 8);
  assert.ok(Math.abs(all.intervals.balancedAccuracy!.estimate - (0.6 + 3 * 0.9) / 4) < 1e-12);
  const summary = new Map(comparableSummary(s).map((r) => [r.variant, r]));
  assert.equal(summary.get("raw-features")!.runs, 2);
  assert.equal(summary.get("raw-features")!.metrics.balancedAccuracy.mean, 0.6);
  // the captions name the folds
  assert.match(
    symbolHtml(evidenceTable(s, "synthetic")),
    /fold 0 \(the fold every row has runs on/,
  );
  const controls = symbolHtml(controlsAcrossFolds(s, "synthetic"));
  assert.match(controls, /the controls(&#39;|') balanced accuracy per fold/);
  for (const head of ["fold 0", "fold 1", "fold 2", "fold 3", "all folds"]) {
    assert.match(controls, new RegExp(`<th[^>]*>${head}</th>`));
  }
  // fold 0 at 0.6, folds 1–3 at 0.9, all folds at their mean; two runs a fold, eight in all
  assert.match(controls, /<td[^>]*>raw-features<\/td><td[^>]*>0\.600 \[[^\]]*\] \(2\)<\/td>/);
  assert.match(controls, /0\.900 \[[^\]]*\] \(2\)/);
  assert.match(controls, /0\.825 \[[^\]]*\] \(8\)/);
  assert.doesNotMatch(controls, />infonce</);
});

Deno.test("chanceNote: said only when every row's probe on the shared folds is at chance", () => {
  const half = [5, 5, 5, 5];
  const atChance = [
    fakeRecord({ variant: "infonce", correct: half }),
    fakeRecord({ variant: "raw-features", correct: half }),
    // below chance is no better than chance
    fakeRecord({ variant: "random-encoder", correct: [4, 4, 4, 4] }),
    fakeRecord({ variant: "raw-features", fold: 1, correct: [9, 9, 9, 9] }),
    fakeRecord({ variant: "random-encoder", fold: 1, correct: [9, 9, 9, 9] }),
  ];
  const note = chanceNote(fakeStudy(atChance), "synthetic");
  assert.ok(note);
  assert.match(note, /fold 0 \(the fold every row has runs on; folds 0–1 computed\)/);
  assert.match(note, /no better than chance \(balanced accuracy 0\.400–0\.500 against 1\/2/);
  assert.match(note, /Over folds 0–1, the controls average up to 0\.700/);
  // one row above chance: nothing to say
  assert.equal(chanceNote(fakeStudy(records), "synthetic"), null);
  assert.equal(chanceNote(fakeStudy(atChance), "hapt"), null);
});
