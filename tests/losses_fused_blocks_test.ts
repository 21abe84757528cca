import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BackendName } from "../lib/backend.ts";
import {
  hatclLoss,
  infoNceLoss,
  lsMarginLoss,
  marginLoss,
  stableMarginLoss,
} from "../lib/losses/mod.ts";
import {
  fusedHatclLoss,
  fusedInfoNceLoss,
  fusedLsMarginLoss,
  fusedMarginLoss,
  fusedStableMarginLoss,
} from "../lib/losses/fused/mod.ts";
import {
  BLOCKED_MIN_ROWS,
  blockedExpTerms,
  symmetricGram,
} from "../lib/losses/fused/symmetric_blocks.ts";
import { WASM_COLUMN_KERNELS } from "../lib/losses/fused/wasm_kernels.ts";
import assert from "node:assert/strict";
import { assertClose } from "./_util.ts";

const scatter = (x: Tensor, at: Tensor, updates: Tensor) =>
  tf.tensorScatterUpdate(tf.add(x, 0), at, updates);

/**
 * The fused loss at `z` equals the reference: the value within 1e−5 relative
 * (1e−6 absolute), the gradient within 1e−5 relative plus `gradScale` (1e−5)
 * of its largest entry (float32 summation order). `label` names the case.
 */
function assertSameValueAndGrad(
  reference: (q: Tensor2D) => Scalar,
  fused: (q: Tensor2D) => Scalar,
  z: Tensor2D,
  label: string,
  gradScale = 1e-5,
): void {
  const want = tf.valueAndGrad(reference)(z);
  const got = tf.valueAndGrad(fused)(z);
  assertClose(got.value.dataSync()[0], want.value.dataSync()[0], {
    rtol: 1e-5,
    atol: 1e-6,
    label,
  });
  const scale = Math.max(...want.grad.dataSync().map(Math.abs));
  assertClose(got.grad.dataSync(), want.grad.dataSync(), {
    rtol: 1e-5,
    atol: gradScale * scale,
    label,
  });
  tf.dispose([want.value, want.grad, got.value, got.grad]);
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`symmetric blocks: T, its row sums and the positives as from the whole product (${backend})`, async () => {
    await initBackend({ prefer: backend });
    for (const [n, blocks] of [[10, 4], [11, 3], [9, 2], [12, 1]]) {
      tf.tidy(() => {
        const u = tf.randomNormal([n, 5], 0, 1, "float32", n) as Tensor2D;
        const logits = tf.matMul(tf.mul(u, 2), tf.transpose(u));
        const keep = tf.tensor2d(
          Array.from(
            { length: n * n },
            (_, k) => (Math.abs(Math.floor(k / n) - (k % n)) > 1 ? 1 : 0),
          ),
          [n, n],
        );
        // the lower triangle's values, mirrored: the blocks read L_ij for i ≥ j only
        const lowerPart = tf.linalg.bandPart(logits, -1, 0);
        const symmetric = tf.sub(
          tf.add(lowerPart, tf.transpose(lowerPart)),
          tf.linalg.bandPart(logits, 0, 0),
        );
        const t = tf.mul(tf.exp(symmetric), keep);
        const got = blockedExpTerms(u, 0.5, blocks, scatter);
        const label = `N ${n}, ${blocks} blocks`;
        assertClose(got.t.dataSync(), t.dataSync(), { rtol: 1e-6, atol: 0, label: `${label} T` });
        assertClose(got.r.dataSync(), tf.sum(t, 1).dataSync(), {
          rtol: 1e-5,
          atol: 0,
          label: `${label} R`,
        });
        const values = symmetric.dataSync();
        const lower = Array.from({ length: n - 1 }, (_, k) => values[(k + 1) * n + k]);
        assertClose(got.lower.dataSync(), Float32Array.from(lower), {
          rtol: 1e-6,
          atol: 0,
          label: `${label} b`,
        });
      });
    }
  });

  Deno.test(`fused InfoNCE by symmetric blocks equals infoNceLoss (${backend})`, async () => {
    await initBackend({ prefer: backend });
    const n = BLOCKED_MIN_ROWS + 45;
    const tensors = tf.memory().numTensors;
    const z = tf.tidy(() => tf.relu(tf.randomNormal([n, 16], 0.3, 1, "float32", 9))) as Tensor2D;
    for (const form of ["ls", "single"] as const) {
      for (const vrns of [undefined, { lambda: 30, k: 5000 }]) {
        const options = { temperature: 0.1, form, vrns };
        assertSameValueAndGrad(
          (q) => infoNceLoss(q, options),
          (q) => fusedInfoNceLoss(q, options),
          z,
          `${form}${vrns ? " + VRN" : ""}`,
        );
      }
    }
    if (backend === "wasm") {
      // on wasm T, its row sums and the backward pass's weights are the column kernels'
      const { kernelNames, result } = await tf.profile(() =>
        tf.tidy(() =>
          tf.grad((q) => fusedInfoNceLoss(q as Tensor2D, { temperature: 0.1, form: "ls" }))(z)
        )
      );
      assert.ok(kernelNames.includes(WASM_COLUMN_KERNELS.values), kernelNames.join(" "));
      assert.ok(kernelNames.includes(WASM_COLUMN_KERNELS.gradients), kernelNames.join(" "));
      tf.dispose(result as Tensor);
    }
    z.dispose();
    assertClose(tf.memory().numTensors, tensors, { rtol: 0, atol: 0, label: "tensors left" });
  });
}

Deno.test("symmetricGram: U·Uᵀ from its lower blocks, exactly symmetric", async () => {
  await initBackend({ prefer: "wasm" });
  for (const [n, blocks] of [[10, 4], [13, 3], [300, 4]]) {
    tf.tidy(() => {
      const u = tf.randomNormal([n, 7], 0, 1, "float32", n) as Tensor2D;
      const got = symmetricGram(u, blocks);
      const label = `N ${n}, ${blocks} blocks`;
      assertClose(got.dataSync(), tf.matMul(u, u, false, true).dataSync(), {
        rtol: 1e-5,
        atol: 1e-5,
        label,
      });
      assertClose(got.dataSync(), tf.transpose(got).dataSync(), { rtol: 0, atol: 0, label });
    });
  }
});

Deno.test("fused column-sum losses on the blocked S equal the reference formulation (wasm)", async () => {
  await initBackend({ prefer: "wasm" });
  const n = BLOCKED_MIN_ROWS + 45;
  const z = tf.tidy(() => tf.relu(tf.randomNormal([n, 16], 0.3, 1, "float32", 4))) as Tensor2D;
  const x = tf.tidy(() => tf.abs(tf.randomNormal([n, 6], 0, 1, "float32", 5))) as Tensor2D;
  const v = tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([n], 0, 1, "float32", 6), 0.5), "float32")
  ) as Tensor1D;
  const single = tf.slice(v, [0], [n - 1]);
  const margin = { temperature: 0.1, margin: 5 };
  const stable = { temperature: 0.1, margin: 5, threshold: 0.4, form: "ls" as const };
  const pairs: [string, (q: Tensor2D) => Scalar, (q: Tensor2D) => Scalar][] = [
    ["hatcl", (q) => hatclLoss(q, margin), (q) => fusedHatclLoss(q, margin)],
    [
      "margin",
      (q) => marginLoss(q, single, margin),
      (q) => fusedMarginLoss(q, single, margin),
    ],
    ["lsMargin", (q) => lsMarginLoss(q, v, margin), (q) => fusedLsMarginLoss(q, v, margin)],
    ["stable", (q) => stableMarginLoss(q, x, stable), (q) => fusedStableMarginLoss(q, x, stable)],
  ];
  // The whole-matrix column sums run lib/losses/fused/wasm_kernels.ts, whose exp is within 1–2
  // ulp of tfjs' Exp; with margin 5 and τ = 0.1 the gradient's entries cancel terms up to e^12.5,
  // which turns those ulps into ≈ 5e−5 of its largest entry ("stable" keeps tfjs' ops).
  for (const [label, reference, fused] of pairs) {
    assertSameValueAndGrad(reference, fused, z, label, label === "stable" ? 1e-5 : 1e-4);
  }
  tf.dispose([z, x, v, single]);
});
