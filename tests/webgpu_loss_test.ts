import assert from "node:assert/strict";
import { fusedLsMarginValueAndGrad } from "../lib/webgpu/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import type { LossesGolden } from "./_losses_golden.ts";
import { maxAbsFinite, warnIfIgnored, webgpuTest } from "./_webgpu.ts";

warnIfIgnored("webgpu_loss_test", "the fused-step loss tests");

webgpuTest(
  "the fused step's LS_MARGIN programs match every LS_MARGIN golden (loss and gradient)",
  async () => {
    const golden = readGolden<LossesGolden>("losses.json");
    const cases = golden.cases.filter((c) => c.loss === "ls_margin" && c.s);
    assert.ok(cases.length >= 40, `${cases.length} LS_MARGIN cases`);
    let finite = 0;
    for (const c of cases) {
      const s = Float32Array.from(flat(c.s));
      // N < 3 (an empty mean) and broadcast sim vectors stay with the tfjs loop.
      if (s.length !== c.N || c.N < 3) continue;
      const got = await fusedLsMarginValueAndGrad(Float32Array.from(flat(c.z)), s, c.N, c.D, {
        temperature: c.temperature,
        margin: c.margin ?? 0,
      });
      const loss = flat([c.expected.loss])[0];
      const grad = flat(c.expected.gradZ);
      const label = c.name;
      if (c.expected.finite) {
        finite++;
        assertClose(got.loss, loss, { rtol: 1e-4, atol: 1e-5, label });
        assertClose(got.gradZ, grad, {
          rtol: 1e-4,
          atol: Math.max(1e-6, 1e-4 * maxAbsFinite(grad)),
          label,
        });
      } else {
        assert.equal(
          Number.isFinite(got.loss),
          Number.isFinite(loss),
          `${label}: loss ${got.loss}`,
        );
        const nonFinite = (xs: ArrayLike<number>) => Array.from(xs, (x) => !Number.isFinite(x));
        assert.deepEqual(nonFinite(got.gradZ), nonFinite(grad), `${label}: non-finite gradients`);
      }
    }
    assert.ok(finite >= 10, `${finite} finite cases compared`);
  },
);
