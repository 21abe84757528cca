import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import {
  COLUMN_GRADIENTS_KERNEL,
  COLUMN_SUMS_KERNEL,
  fusedLsHatclLoss,
  fusedLsMarginLoss,
  fusedMarginLoss,
  usesColumnKernels,
} from "../lib/losses/fused/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import type { GoldenCase } from "./_losses_golden.ts";
import { maxAbsFinite, warnIfIgnored, webgpuTest } from "./_webgpu.ts";

warnIfIgnored("losses_fused_webgpu_test", "the WGSL kernel tests");

const f32 = (v: unknown) => Float32Array.from(flat(v));

async function valueAndGrad(loss: (z: Tensor2D) => Scalar, z: Tensor2D) {
  const { value, grad } = tf.valueAndGrad(loss)(z);
  const result = { loss: (await value.data())[0], grad: (await grad.data()) as Float32Array };
  tf.dispose([value, grad]);
  return result;
}

webgpuTest(
  "WGSL fused LS_MARGIN / LS_HATCL / MARGIN kernels match the goldens on WebGPU",
  async () => {
    assert.ok(usesColumnKernels());
    const golden = readGolden<{ cases: GoldenCase[] }>("losses.json");
    // Finite cases of moderate size (llvmpipe compiles and runs slowly), one per loss and config.
    const picked = new Map<string, GoldenCase>();
    for (const c of golden.cases) {
      const key = `${c.loss}/${c.temperature}/${c.margin}`;
      if (c.loss !== "hatcl" && c.expected.finite && c.N >= 10 && c.N <= 100 && !picked.has(key)) {
        picked.set(key, c);
      }
    }
    assert.ok(picked.size >= 5, `only ${picked.size} golden cases picked`);
    for (const c of picked.values()) {
      const s = c.s ? tf.tensor1d(f32(c.s)) : null;
      const loss = (z: Tensor2D, tileRows?: number) => {
        const opts = { temperature: c.temperature, margin: c.margin ?? 0, tileRows };
        return (
          c.loss === "ls_hatcl"
            ? fusedLsHatclLoss(z, opts)
            : c.loss === "margin"
            ? fusedMarginLoss(z, s as Tensor1D, opts)
            : fusedLsMarginLoss(z, s as Tensor1D, opts)
        );
      };
      const z = tf.tensor2d(f32(c.z), [c.N, c.D]);
      for (const tileRows of [undefined, 8]) {
        const got = await valueAndGrad((x) => loss(x, tileRows), z);
        const label = `${c.name} tileRows ${tileRows}`;
        const expectedGrad = flat(c.expected.gradZ);
        assertClose(got.loss, flat([c.expected.loss])[0], { rtol: 1e-4, atol: 1e-5, label });
        assertClose(got.grad, expectedGrad, {
          rtol: 1e-4,
          atol: Math.max(1e-6, 1e-4 * maxAbsFinite(expectedGrad)),
          label,
        });
      }
      tf.dispose([z, ...(s ? [s] : [])]);
    }
  },
);

webgpuTest(
  "WGSL kernels keep the reference's non-finite results (D3 overflow) on WebGPU",
  async () => {
    const z = tf.randomUniform([12, 6], 0, 1, "float32", 3) as Tensor2D;
    const v = tf.ones([12]) as Tensor1D;
    const got = await valueAndGrad(
      (x) => fusedLsMarginLoss(x, v, { temperature: 0.5, margin: 100 }),
      z,
    );
    assert.ok(Number.isNaN(got.loss), `loss ${got.loss}`);
    assert.ok(got.grad.every((g) => Number.isNaN(g)));
    const profile = await tf.profile(() => {
      const { value, grad } = tf.valueAndGrad((x: Tensor2D) =>
        fusedLsMarginLoss(x, v, { temperature: 0.1, margin: 5 })
      )(z);
      tf.dispose([value, grad]);
    });
    const names = new Set(profile.kernels.map((k) => k.name));
    assert.ok(
      names.has(COLUMN_SUMS_KERNEL) && names.has(COLUMN_GRADIENTS_KERNEL),
      [...names].join(),
    );
    tf.dispose([z, v]);
  },
);
