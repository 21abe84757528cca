import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { tf } from "../lib/tf.ts";
import type { Tensor2D } from "../lib/tf.ts";
import {
  collapsePath,
  indicatorByThreshold,
  overflowCases,
  reluEmbeddings,
} from "../lib/experiments/mod.ts";
import { makeRng } from "../lib/random.ts";

function rawFrames(n: number, f: number, seed: number): Tensor2D {
  const rng = makeRng(seed);
  return tf.tensor2d(Float32Array.from({ length: n * f }, () => rng.normal()), [n, f]);
}

Deno.test("defect demos: D1 all-ones indicator, D2 collapse path, D3/D4 non-finite reference losses", async () => {
  await initBackend({ prefer: "wasm" });
  const x = rawFrames(120, 6, 1);
  const z = reluEmbeddings(120, 16, 2);
  try {
    const d1 = await indicatorByThreshold(x, [-0.5, 0, 0.4, 0.9]);
    assert.deepEqual(d1.slice(1).map((r) => r.referenceMean), [1, 1, 1]);
    assert.ok(d1[2].intendedMean > 0 && d1[2].intendedMean < 1);

    const path = await collapsePath(z, x, { temperature: 0.1, margin: 5 });
    for (let i = 1; i < path.length; i++) {
      assert.ok(path[i].meanNegativeSimilarity > path[i - 1].meanNegativeSimilarity);
    }
    // D2: the reference margin loss falls far more steeply than InfoNCE as every pair grows
    // more similar, then turns non-finite near collapse (D4); the stable loss stays finite.
    const at = (alpha: number) => path.find((r) => r.alpha === alpha)!;
    assert.ok(at(0.6).referenceMargin / at(0).referenceMargin < 0.5);
    assert.ok(at(0.6).infonce / at(0).infonce > 0.7);
    assert.ok(!Number.isFinite(at(0.95).referenceMargin));
    assert.ok(path.every((r) => Number.isFinite(r.stable) && Number.isFinite(r.infonce)));

    const cases = await overflowCases(x, { d: 16 });
    const ecg = cases[0];
    assert.ok(ecg.maxExponent > 88.72 && Number.isNaN(ecg.lsMargin), "D3: NaN at the ECG config");
    assert.ok(!Number.isFinite(ecg.margin1));
    for (const c of cases) {
      assert.ok(Number.isFinite(c.stable) && c.stableGradFinite, c.case);
      assert.ok(Number.isFinite(c.lsHatcl), c.case);
    }
  } finally {
    tf.dispose([x, z]);
  }
});
