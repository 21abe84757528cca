import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor2D } from "../lib/tf.ts";
import { initBackend, probeWebGpu } from "../lib/backend.ts";
import { infoNceLoss, simVector, stableMarginLoss } from "../lib/losses/mod.ts";
import { flat } from "./_util.ts";
import { checkCase, f32, golden } from "./_losses_golden.ts";

// On this project's Linux machines WebGPU is Mesa's llvmpipe software adapter:
// correct float32 but slow, and each new shader takes seconds to compile.
const adapter = await probeWebGpu();
const onCi = Deno.env.get("CI") === "true";
const unavailable = "no WebGPU adapter (navigator.gpu missing or requestAdapter() returned null)";

if (!adapter && onCi) {
  Deno.test("WebGPU is available on CI", () => {
    assert.fail(`CI=true but ${unavailable}`);
  });
}

const suffix = adapter ? `on webgpu (${adapter.adapter})` : `[ignored: ${unavailable}]`;

Deno.test({
  name: `golden reference losses: loss and dL/dz ${suffix}`,
  ignore: !adapter,
  fn: async () => {
    const info = await initBackend({ prefer: "webgpu" });
    assert.equal(info.name, "webgpu");
    const start = performance.now();
    const problems: string[] = [];
    for (const c of golden.cases) problems.push(...await checkCase(c));
    const seconds = (performance.now() - start) / 1000;
    assert.deepEqual(problems, []);
    console.log(`${golden.cases.length} golden cases with gradients in ${seconds.toFixed(1)} s`);
  },
});

Deno.test({
  name: `golden sim vectors ${suffix}`,
  ignore: !adapter,
  fn: async () => {
    await initBackend({ prefer: "webgpu" });
    const problems: string[] = [];
    for (const sc of golden.simVectorCases) {
      const x = tf.tensor3d(f32(sc.x), sc.xShape);
      for (const length of ["single", "double"] as const) {
        const v = simVector(x, { threshold: sc.threshold, variant: "reference", length });
        const got = Array.from(await v.data());
        v.dispose();
        const want = Array.from(flat(sc[length]));
        if (got.length !== want.length || got.some((g, i) => !Object.is(g, want[i]))) {
          problems.push(`${sc.name} ${length}: ${got} vs ${want}`);
        }
      }
      x.dispose();
    }
    assert.deepEqual(problems, []);
  },
});

Deno.test({
  name: `log-space losses: finite at the ECG config, difficult pairs, equal to LS_HATCL ${suffix}`,
  ignore: !adapter,
  fn: async () => {
    await initBackend({ prefer: "webgpu" });
    const z = tf.relu(tf.randomNormal([120, 32], 0, 1, "float32", 7)) as Tensor2D;
    const x = tf.randomNormal([120, 6], 0, 1, "float32", 8) as Tensor2D;
    const { value, grad } = tf.valueAndGrad((q: Tensor2D) =>
      stableMarginLoss(q, x, { temperature: 0.5, margin: 100, threshold: 0.4, form: "ls" })
    )(z);
    const loss = (await value.data())[0];
    assert.ok(Number.isFinite(loss) && loss > 0, `stable loss ${loss}`);
    assert.equal((await tf.all(tf.isFinite(grad)).data())[0], 1);
    // Difficult-pair selection runs on the device (topk), gradients included.
    for (const removal of ["none", "pairs", "samples"] as const) {
      const difficult = { removal };
      const g = tf.grad((q) =>
        infoNceLoss(q as Tensor2D, { temperature: 0.1, form: "ls", difficult })
      )(
        z,
      );
      assert.equal((await tf.all(tf.isFinite(g)).data())[0], 1, removal);
      g.dispose();
    }
    const hatcl = golden.cases.find((c) => c.name === "ls_hatcl_HAR_relu_smooth_N100_D32")!;
    const zGolden = tf.tensor2d(f32(hatcl.z), [hatcl.N, hatcl.D]);
    const logSpace = infoNceLoss(zGolden, { temperature: hatcl.temperature, form: "ls" });
    const expected = flat([hatcl.expected.loss])[0];
    const got = (await logSpace.data())[0];
    assert.ok(Math.abs(got - expected) <= 1e-5 * Math.abs(expected), `${got} vs ${expected}`);
    tf.dispose([z, x, value, grad, zGolden, logSpace]);
  },
});
