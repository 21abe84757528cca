import assert from "node:assert/strict";
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
