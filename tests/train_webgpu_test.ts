import assert from "node:assert/strict";
import { BackendError, initBackend, probeWebGpu } from "../lib/backend.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { makeContrastiveLoss } from "../lib/losses/mod.ts";
import { linearProbe } from "../lib/metrics/mod.ts";
import { encode, frameObjective, pretrain, sequenceBatches } from "../lib/train/mod.ts";
import { makeRng } from "../lib/random.ts";

const gpu = await probeWebGpu();
const inCi = Deno.env.get("CI") === "true";

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
