import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { BASELINE_NAMES, BASELINES } from "../lib/baselines/mod.ts";

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
