import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import {
  auxPool,
  BASELINE_ABOUT,
  BASELINE_NAMES,
  BASELINES,
  baselineSpec,
} from "../lib/baselines/mod.ts";
import type { BaselineName } from "../lib/baselines/mod.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { smokePretrain } from "./_baselines_golden.ts";

Deno.test("baselines registry: every spec is named, sectioned and lists its defects", () => {
  assert.deepEqual(BASELINE_NAMES, [
    "cpc",
    "tnc",
    "infots",
    "softclt",
    "softclt-published",
    "cost",
    "cost-unfrozen",
    "timedrl",
    "simmtm",
    "mf-clr",
  ]);
  for (const [name, spec] of Object.entries(BASELINES)) {
    assert.equal(spec.name, name);
    assert.match(spec.specSection, /^§B\d$/);
    assert.ok(spec.defects.length > 0, name);
    for (const d of spec.defects) assert.match(d, /\.$/, `${name}: one sentence per defect`);
  }
});

Deno.test("baselines registry: creating and disposing an encoder leaves no tensor behind", async () => {
  await initBackend({ prefer: "wasm" });
  for (const spec of Object.values(BASELINES)) {
    const start = tf.memory().numTensors;
    const encoder = spec.createEncoder({ inFeatures: 4, seed: 1, T: 16 });
    assert.ok(encoder.parameterCount() > 0, spec.name);
    encoder.dispose();
    assert.equal(tf.memory().numTensors, start, spec.name);
  }
});

Deno.test("baselines registry: each spec carries the spec's words and frees its own pool", () => {
  const labels = Object.values(BASELINES).map((s) => `${s.name} ${s.label} ${s.specSection}`);
  assert.deepEqual(labels, [
    "cpc CPC §B1",
    "tnc TNC §B2",
    "infots InfoTS §B3",
    "softclt SoftCLT §B4",
    "softclt-published SoftCLT (soft labels on) §B4",
    "cost CoST §B5",
    "cost-unfrozen CoST (encoder trained) §B5",
    "timedrl TimeDRL §B6",
    "simmtm SimMTM §B7",
    "mf-clr MF-CLR §B8",
  ]);
  for (const spec of Object.values(BASELINES)) {
    assert.deepEqual(spec.defects, BASELINE_ABOUT[spec.name].defects, spec.name);
    assert.notEqual(spec.defects, BASELINE_ABOUT[spec.name].defects, `${spec.name}: own array`);
  }
  assert.deepEqual(BASELINES["cost-unfrozen"].defects, BASELINES.cost.defects.slice(2));
  assert.equal(BASELINES["softclt-published"].defects[1], BASELINES.softclt.defects[2]);
  const disposing = BASELINE_NAMES.filter((n) => typeof BASELINES[n].dispose === "function");
  assert.deepEqual(disposing, ["cpc", "tnc", "cost", "cost-unfrozen", "simmtm"]);
});

Deno.test("baselineSpec: the factories get exactly the contract's fields; dispose frees the pool", async () => {
  await initBackend({ prefer: "wasm" });
  const seen: unknown[] = [];
  const pool = auxPool();
  const spec = baselineSpec("tnc", {
    createEncoder: (o) => {
      seen.push(o);
      return createFeatureProjector(o);
    },
    createObjective: (o) => {
      seen.push(o);
      return (encoder, x) => tf.mean(encoder.apply(x, { training: true })) as tf.Scalar;
    },
    pool,
  });
  const wider = { inFeatures: 4, seed: 1, T: 16, outFeatures: 8 };
  const encoder = spec.createEncoder(wider);
  assert.equal(encoder.outFeatures, 320);
  spec.createObjective({ seed: 2, T: 16, paperConfig: "ECG", extra: 1 } as never);
  assert.deepEqual(seen, [{ inFeatures: 4, seed: 1, T: 16 }, {
    seed: 2,
    T: 16,
    paperConfig: "ECG",
  }]);
  encoder.dispose();
  const kept = pool.track({ t: tf.zeros([2]) });
  spec.dispose!();
  assert.ok(kept.t.isDisposed);
  const bare = baselineSpec("infots", {
    createEncoder: createFeatureProjector,
    createObjective: () => () => tf.scalar(0),
  });
  assert.equal("dispose" in bare, false);
});

/**
 * The sequence length and features of each baseline's pretrain smoke test
 * (cost-unfrozen has its own, which also checks which parameters train).
 */
const SMOKE_SHAPES: Partial<Record<BaselineName, { T: number; F: number }>> = {
  cpc: { T: 20, F: 3 },
  tnc: { T: 64, F: 3 },
  infots: { T: 16, F: 3 },
  softclt: { T: 16, F: 3 },
  "softclt-published": { T: 16, F: 3 },
  cost: { T: 12, F: 3 },
  timedrl: { T: 16, F: 4 },
  simmtm: { T: 8, F: 3 },
  "mf-clr": { T: 12, F: 3 },
};

Deno.test("baselines registry: every baseline but cost-unfrozen has a pretrain smoke test", () => {
  const expected = BASELINE_NAMES.filter((n) => n !== "cost-unfrozen");
  assert.deepEqual(Object.keys(SMOKE_SHAPES), expected);
});

for (const [name, shape] of Object.entries(SMOKE_SHAPES)) {
  Deno.test(`${name}: pretrain runs two steps with finite loss and no leaked tensors`, async () => {
    await smokePretrain(BASELINES[name as BaselineName], shape);
  });
}
