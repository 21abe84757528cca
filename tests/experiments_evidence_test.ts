import assert from "node:assert/strict";
import {
  EVIDENCE_HIGHER_IS_BETTER,
  EVIDENCE_METRICS,
  HIGHER_IS_BETTER,
} from "../lib/experiments/mod.ts";

Deno.test("EVIDENCE_HIGHER_IS_BETTER: the summary's directions where it has the metric, in EVIDENCE_METRICS order", () => {
  assert.deepEqual(EVIDENCE_HIGHER_IS_BETTER, {
    balancedAccuracy: true,
    f1Macro: true,
    accuracy: true,
    boundaryBalancedAccuracy: true,
    interiorBalancedAccuracy: true,
    referenceAccuracy: true,
    nmi: true,
    daviesBouldin: false,
    calinskiHarabasz: true,
    silhouette: true,
    effectiveRank: true,
    adjacentSame: true,
    adjacentDifferent: false,
  });
  assert.deepEqual(Object.keys(EVIDENCE_HIGHER_IS_BETTER), [...EVIDENCE_METRICS]);
  for (const m of EVIDENCE_METRICS) {
    if (m in HIGHER_IS_BETTER) {
      assert.equal(
        EVIDENCE_HIGHER_IS_BETTER[m],
        HIGHER_IS_BETTER[m as keyof typeof HIGHER_IS_BETTER],
      );
    }
  }
});
