import assert from "node:assert/strict";
import { runExperiment } from "../lib/experiments/mod.ts";
import type { ResultRecord } from "../lib/experiments/mod.ts";
import { initBackend } from "../lib/backend.ts";
import { loadDataset } from "../lib/data/mod.ts";

function numbers(r: ResultRecord): unknown {
  const { timings: _t, createdAt: _c, training, ...rest } = r;
  const { itPerSec: _s, ...trainingNumbers } = training;
  return { ...rest, training: trainingNumbers };
}

Deno.test("runExperiment: same seed, same backend → identical records (timings aside)", async () => {
  const backend = await initBackend({ prefer: "wasm" });
  const cache = await Deno.makeTempDir();
  try {
    const data = await loadDataset("synthetic", { profile: "quick", cache });
    const run = () =>
      runExperiment({
        dataset: "synthetic",
        variant: "emargin-reference",
        seed: 3,
        profile: "quick",
        backend,
        data,
      });
    const a = await run(), b = await run();
    assert.deepEqual(numbers(a), numbers(b));
    assert.equal(a.training.losses.length, a.settings.steps);
    assert.equal(a.training.simVectorMean, 1, "D1: the reference indicator is all ones");
    assert.ok(a.probe && a.probe.accuracy > 0.5);
    const other = await runExperiment({
      dataset: "synthetic",
      variant: "emargin-reference",
      seed: 4,
      profile: "quick",
      backend,
      data,
    });
    assert.notDeepEqual(other.training.losses, a.training.losses);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
