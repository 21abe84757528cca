import assert from "node:assert/strict";
import { initBackend } from "../lib/backend.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { makeContrastiveLoss } from "../lib/losses/mod.ts";
import type { LossSpec } from "../lib/losses/mod.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { PretrainResult, SequenceBatch } from "../lib/train/mod.ts";
import { countWebGpu, fusedStepUnsupported } from "../lib/webgpu/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose } from "./_util.ts";
import { ci, warnIfIgnored, webgpu } from "./_webgpu.ts";

warnIfIgnored("webgpu_step_losses_test", "the fused-step loss tests");

function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

const CONV_BIAS = /^conv\d\.bias$/;

/** Three steps of `spec` on the backend; the losses and every trained value. */
async function train(
  backend: "wasm" | "webgpu",
  spec: LossSpec,
  x: Float32Array,
  shape: [number, number, number],
): Promise<{ result: PretrainResult; state: Record<string, Float32Array>; dispatches: number }> {
  await initBackend({ prefer: backend });
  const encoder: Encoder = createFeatureProjector({ inFeatures: shape[2], seed: 1 });
  const counter = backend === "webgpu" ? countWebGpu() : null;
  try {
    const result = await pretrain({
      encoder,
      loss: makeContrastiveLoss(spec),
      batches: repeat(x, shape),
      steps: 3,
      mode: "reference",
    });
    const state: Record<string, Float32Array> = {};
    for (const [key, v] of Object.entries({ ...encoder.params, ...encoder.buffers })) {
      state[key] = (await v.data()) as Float32Array;
    }
    return { result, state, dispatches: counter?.snapshot().dispatches ?? 0 };
  } finally {
    counter?.uninstall();
    encoder.dispose();
  }
}

Deno.test("the fused step covers InfoNCE and emargin-stable without the §6 options", async () => {
  await initBackend({ prefer: "cpu" });
  const encoder = createFeatureProjector({ inFeatures: 6, seed: 1 });
  const ok: LossSpec = { kind: "infonce", temperature: 0.1, form: "ls" };
  const why = (spec: LossSpec, n = 40) => String(fusedStepUnsupported(encoder, spec, n));
  assert.equal(fusedStepUnsupported(encoder, ok, 40), null);
  assert.equal(fusedStepUnsupported(encoder, { ...ok, form: "single" } as LossSpec, 3), null);
  assert.match(why({ ...ok, form: "single" }, 2), /N = 2/);
  assert.match(why({ ...ok, temperature: 0.02 }), /range/);
  assert.match(why({ ...ok, vrns: { lambda: 1, k: 5 } }), /§6/);
  assert.match(String(fusedStepUnsupported(encoder, ok, 3)), /N = 3/);
  const stable: LossSpec = {
    kind: "stable",
    temperature: 0.1,
    margin: 5,
    threshold: 0.4,
    form: "ls",
  };
  assert.equal(fusedStepUnsupported(encoder, stable, 40), null);
  assert.equal(fusedStepUnsupported(encoder, { ...stable, form: "single" } as LossSpec, 40), null);
  assert.match(why({ ...stable, temperature: 0.02 }), /range/);
  assert.match(why({ ...stable, difficult: { sigma: 0.1, rho: 2, removal: "none" } }), /§6/);
  assert.match(
    why({ kind: "margin", temperature: 0.1, margin: 5, threshold: 0.4, simVariant: "reference" }),
    /margin/,
  );
  encoder.dispose();
});

Deno.test({
  name: "fused InfoNCE and emargin-stable training on webgpu match the tfjs loop on wasm",
  ignore: !webgpu && !ci,
  async fn() {
    assert.ok(webgpu, "CI=true but no WebGPU adapter is available");
    const shape: [number, number, number] = [4, 10, 12];
    const rng = makeRng(1);
    const x = Float32Array.from({ length: 4 * 10 * 12 }, () => rng.normal());
    const specs: LossSpec[] = [
      { kind: "infonce", temperature: 0.1, form: "ls" },
      { kind: "infonce", temperature: 0.05, form: "ls" },
      // v = 1 nearly everywhere (θ = 0.4), and mixed (θ = 0)
      { kind: "stable", temperature: 0.1, margin: 5, threshold: 0.4, form: "ls" },
      { kind: "stable", temperature: 0.05, margin: 5, threshold: 0, form: "ls" },
      // the ECG config's "single" form
      { kind: "infonce", temperature: 0.5, form: "single" },
      { kind: "stable", temperature: 0.5, margin: 100, threshold: 0, form: "single" },
    ];
    for (const spec of specs) {
      const { temperature } = spec;
      const wasm = await train("wasm", spec, x, shape);
      const gpu = await train("webgpu", spec, x, shape);
      assert.ok(gpu.dispatches <= 3 * 40, `${gpu.dispatches} dispatches for 3 steps`);
      assertClose(gpu.result.losses, wasm.result.losses, {
        rtol: 1e-5,
        label: `${spec.kind} τ ${temperature}`,
      });
      for (const [key, want] of Object.entries(wasm.state)) {
        const label = `${spec.kind} τ ${temperature} ${key}`;
        if (CONV_BIAS.test(key)) {
          // float32 noise gradients (BatchNorm removes the bias) move by ±lr a step
          assertClose(gpu.state[key], want, { rtol: 0, atol: 2e-3 * 3 + 1e-6, label });
        } else if (key.endsWith("running_mean")) {
          assertClose(gpu.state[key], want, { rtol: 1e-5, atol: 2e-4 * 3, label });
        } else {
          // AdamW's m/√v of near-zero gradients magnifies float32 rounding; at
          // m = 100 the logits reach 1/τ + γ(m+1)²/(2τ) ≈ 512, where one ulp is
          // 3e−5 of each term (the loss still agrees to 1e−5)
          const atol = spec.kind === "stable" && spec.margin >= 100 ? 2e-4 : 2e-5;
          assertClose(gpu.state[key], want, { rtol: 1e-5, atol, label });
        }
      }
    }
    await initBackend({ prefer: "wasm" });
  },
});
