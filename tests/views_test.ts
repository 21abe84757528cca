import assert from "node:assert/strict";
import { findings, probeBaselines } from "../lib/experiments/mod.ts";
import type { ResultRecord, Study, SummaryRow, Variant } from "../lib/experiments/mod.ts";

// Evaluation support [10, 30, 60]: always predicting class "c" scores 0.6.
const SUPPORT = [10, 30, 60];

function studyWith(accuracies: Record<string, [number, number | null]>): Study {
  const records = Object.keys(accuracies).map((variant) =>
    ({
      config: { dataset: "mitdb", variant, seed: 1, fold: 0 },
      data: { classNames: ["a", "b", "c"] },
      probe: { support: SUPPORT },
    }) as unknown as ResultRecord
  );
  const summary = Object.entries(accuracies).map(([variant, [mean, std]]) =>
    ({
      dataset: "mitdb",
      variant: variant as Variant,
      metrics: { accuracy: { mean, std, n: 3 } },
    }) as unknown as SummaryRow
  );
  return { profile: "paper", dataDir: "", datasets: ["mitdb"], records, failures: [], summary };
}

Deno.test("probeBaselines: majority-class accuracy from the support; clearly-above variants only", () => {
  const [b] = probeBaselines(studyWith({
    infonce: [0.7, 0.02], // above by 0.1 > std and 2 %
    "emargin-reference": [0.605, 0.001], // above by 0.005 < 2 % of the mean: not clearly
    ts2vec: [0.65, 0.08], // above by 0.05 < std: not clearly
  }));
  assert.equal(b.majorityClass, "c");
  assert.equal(b.majorityAccuracy, 0.6);
  assert.deepEqual(b.above.map((v) => v.variant), ["infonce"]);
  assert.deepEqual(b.variants.map((v) => v.variant), ["infonce", "ts2vec", "emargin-reference"]);
});

Deno.test("findings: says 'no' when no probe beats always predicting the majority class", () => {
  const at = (s: Study) => findings(s).find((f) => f.question.includes("majority class"))!;
  const none = at(studyWith({ infonce: [0.61, 0.01], "emargin-reference": [0.6, 0] }));
  assert.equal(none.answer, "no");
  assert.match(
    none.evidence,
    /majority class c 0\.600; best probe infonce 0\.610, within the margin/,
  );
  const some = at(studyWith({ infonce: [0.8, 0.01] }));
  assert.equal(some.answer, "yes");
  assert.match(some.evidence, /above it: infonce 0\.800/);
});
