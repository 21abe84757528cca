import assert from "node:assert/strict";
import { BackendError, initBackend } from "../lib/backend.ts";
import { ci as inCi, webgpu as gpu } from "./_webgpu.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { countWebGpu, createFusedProjectorStep } from "../lib/webgpu/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import { assertStateEntry, type GoldenEntry, type ModelGolden, toState } from "./_model_golden.ts";
import { makeContrastiveLoss } from "../lib/losses/mod.ts";
import { linearProbe } from "../lib/metrics/mod.ts";
import { encode, frameObjective, pretrain, sequenceBatches } from "../lib/train/mod.ts";
import type { SequenceBatch } from "../lib/train/mod.ts";
import { makeRng } from "../lib/random.ts";

Deno.test({
  name: gpu
    ? `training, encoding and probing run on webgpu (${gpu.adapter})`
    : "training on webgpu: IGNORED, no WebGPU adapter on this machine",
  ignore: !gpu && !inCi,
  async fn() {
    assert.ok(gpu, "CI must provide a WebGPU adapter (Mesa llvmpipe)");
    const info = await initBackend({ prefer: "webgpu" });
    assert.equal(info.name, "webgpu");
    const [n, T, F] = [4, 12, 6];
    const rng = makeRng(3);
    const x = Float32Array.from({ length: n * T * F }, () => rng.normal());
    const y = Int32Array.from({ length: n * T }, (_, i) => (i % T < T / 2 ? 0 : 1));
    const encoder = createFeatureProjector({ inFeatures: F, outFeatures: 8, seed: 1 });
    try {
      const result = await pretrain({
        encoder,
        objective: frameObjective(
          makeContrastiveLoss({
            kind: "ls-margin",
            temperature: 0.1,
            margin: 5,
            threshold: 0.4,
            simVariant: "reference",
          }),
        ),
        batches: sequenceBatches({ x, nSequences: n, T, F }, { batchSize: 2, seed: 1 }),
        steps: 3,
        mode: "guarded",
      });
      assert.equal(result.losses.length, 3);
      assert.ok(result.losses.every(Number.isFinite));
      const emb = await encode(encoder, x, { T });
      assert.equal(emb.length, n * T * 8);
      const probe = await linearProbe({
        trainX: { data: emb, rows: n * T, cols: 8 },
        trainY: y,
        evalX: { data: emb, rows: n * T, cols: 8 },
        evalY: y,
        classes: 2,
        epochs: 2,
        batchSize: 2 * T,
        seed: 1,
      });
      assert.ok(probe.accuracy >= 0 && probe.accuracy <= 1);
      // No synchronous reads on webgpu under Deno: a typed error, not a tfjs crash.
      assert.throws(() => encoder.stateDict(), BackendError);
    } finally {
      encoder.dispose();
      await initBackend({ prefer: "wasm" });
    }
  },
});

function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

/** The state after step `s` (0-based) against the golden, with train_test's tolerances. */
async function assertGoldenState(
  encoder: Encoder,
  expected: Record<string, GoldenEntry>,
  s: number,
) {
  for (const [key, entry] of Object.entries(expected)) {
    if (key.endsWith("num_batches_tracked")) continue; // not advanced by the fused step
    const variable = encoder.params[key] ?? encoder.buffers[key];
    assertStateEntry(key, await variable.data(), entry, s);
  }
}

Deno.test({
  name: "the fused webgpu step matches the three-step torch training golden",
  ignore: !gpu && !inCi,
  async fn() {
    assert.ok(gpu, "CI must provide a WebGPU adapter (Mesa llvmpipe)");
    await initBackend({ prefer: "webgpu" });
    const golden = readGolden<ModelGolden>("model.json");
    const { temperature, margin, margin_thresh: threshold } = golden.about.config;
    const spec = {
      kind: "ls-margin" as const,
      temperature,
      margin,
      threshold,
      simVariant: "reference" as const,
    };
    const x = Float32Array.from(flat(golden.x));
    const shape: [number, number, number] = [8, 10, 12];
    const fresh = () => {
      const e = createFeatureProjector({ inFeatures: 12, seed: 0 });
      e.loadStateDict(toState(golden.init_state));
      return e;
    };

    // Step by step, the state written back after each step.
    const stepped = fresh();
    const fused = await createFusedProjectorStep({
      encoder: stepped,
      shape,
      loss: spec,
      lr: 1e-3,
      weightDecay: 0.01,
      mode: "reference",
    });
    try {
      assert.ok(fused.dispatchesPerStep <= 40, `${fused.dispatchesPerStep} dispatches`);
      for (let s = 0; s < 3; s++) {
        fused.step(x);
        const { losses, flags } = await fused.read();
        assertClose(losses, [golden.loss[s]], { rtol: 1e-5, label: `loss step ${s + 1}` });
        assert.deepEqual([...flags], [0]);
        await fused.writeBack();
        await assertGoldenState(stepped, golden.paramsAfterStep[s], s);
      }
    } finally {
      fused.destroy();
      stepped.dispose();
    }

    // Through pretrain: the webgpu branch takes the fused step on its own.
    const trained = fresh();
    const counter = countWebGpu();
    try {
      const result = await pretrain({
        encoder: trained,
        loss: makeContrastiveLoss(spec),
        batches: repeat(x, shape),
        steps: 3,
        mode: "reference",
      });
      const counts = counter.snapshot();
      assert.ok(counts.dispatches <= 3 * 40, `${counts.dispatches} dispatches for 3 steps`);
      assert.equal(counts.mapReads, 2, "one read of the 3 losses, one of the trained values");
      assertClose(result.losses, golden.loss, { rtol: 1e-5, label: "losses" });
      assert.equal(result.nonFinite, 0);
      await assertGoldenState(trained, golden.paramsAfterStep[2], 2);
    } finally {
      counter.uninstall();
      trained.dispose();
      await initBackend({ prefer: "wasm" });
    }
  },
});
