import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import { costUnfrozenBaseline } from "../lib/baselines/mod.ts";
import { initBackend } from "../lib/backend.ts";
import { pretrain } from "../lib/train/mod.ts";
import { syntheticBatches } from "./_baselines_golden.ts";

Deno.test("cost-unfrozen: FP, CoST layers and head_q train; finite loss, no leaked tensors", async () => {
  await initBackend({ prefer: "wasm" });
  const encoder = costUnfrozenBaseline.createEncoder({ inFeatures: 3, seed: 1, T: 12 });
  const names = Object.keys(encoder.params);
  for (const n of ["head_q.0.weight", "encoder_q.input_fc.weight", "encoder_q.tfd.7.weight"]) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(names.includes("encoder_q.feature_extractor.conv1.weight"));
  const before = encoder.stateDict();
  const objective = costUnfrozenBaseline.createObjective({ seed: 2, T: 12, paperConfig: "HARTH" });
  const batches = syntheticBatches(8, 12, 3, 3);
  const first = await pretrain({ encoder, objective, batches, steps: 1, mode: "reference" });
  const count = tf.memory().numTensors;
  const second = await pretrain({ encoder, objective, batches, steps: 1, mode: "reference" });
  assert.equal(tf.memory().numTensors, count, "tensors leaked");
  assert.ok([...first.losses, ...second.losses].every(Number.isFinite));
  const after = encoder.stateDict();
  const moved = (k: string) => before[k].values.some((v, i) => v !== after[k].values[i]);
  for (const k of ["encoder_q.feature_extractor.conv1.weight", "encoder_q.input_fc.weight"]) {
    assert.ok(moved(k), `${k} trains`);
  }
  assert.ok(moved("head_q.2.bias"), "head_q trains");
  const z = tf.tidy(() => encoder.apply(tf.ones([2, 12, 3]) as Tensor3D, { training: false }));
  assert.deepEqual(z.shape, [2, 12, 320]);
  z.dispose();
  encoder.dispose();
  costUnfrozenBaseline.dispose?.();
});
