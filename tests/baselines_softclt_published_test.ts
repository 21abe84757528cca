import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Tensor3D } from "../lib/tf.ts";
import {
  softHierarchicalLoss,
  softInstanceLabels,
  softLoss,
  softPairedCrossEntropy,
  softTimelag,
} from "../lib/baselines/mod.ts";
import { assertClose } from "./_util.ts";
import { instanceContrastiveLoss, temporalContrastiveLoss } from "../lib/ts2vec/mod.ts";
import {
  baselinesGolden,
  eachBackend,
  eachGoldenCase,
  expectClose,
  tensorOf,
} from "./_baselines_golden.ts";

Deno.test("soft instance labels: save_sim_mat on a hand-computed batch", () => {
  // rows (1,0), (0,1), (1,1): −cos = [[−1, 0, −r], [0, −1, −r], [−r, −r, −1]], r = 1/√2
  const r = Math.SQRT1_2;
  const labels = softInstanceLabels(Float32Array.of(1, 0, 0, 1, 1, 1), 3);
  // diagonal ← min off-diagonal (−r); columns scaled by (d + r)/r; S = 1 − that
  const expected = [[1, 0, 1], [0, 1, 1], [1, 1, 1]];
  for (let i = 0; i < 3; i++) {
    assertClose(labels[i], expected[i], { atol: 1e-12, label: `row ${i}` });
  }
  assert.equal(labels[0][1], 1 - r / r);
});

Deno.test("soft timelag: 2/(1 + e^{|Δt|σ}), 1 on the diagonal, tiny values zeroed", () => {
  const lag = softTimelag(3, 2);
  assert.equal(lag[1][1], 1);
  assertClose(lag[0][1], 2 / (1 + Math.exp(2)), { label: "Δ1" });
  assertClose(lag[0][2], 2 / (1 + Math.exp(4)), { label: "Δ2" });
  assert.equal(softTimelag(20, 2)[0][19], 0);
});

eachBackend("soft paired CE on a hand-computed group (M = 2, scalars)", async () => {
  const v = [1, 0, 0.5, -1], S = [[1, 0.5], [0.25, 1]];
  let expected = 0;
  for (let i = 0; i < 4; i++) {
    let norm = 0;
    for (let j = 0; j < 4; j++) if (j !== i) norm += Math.exp(v[i] * v[j]);
    for (let j = 0; j < 4; j++) {
      if (j !== i) expected += S[i % 2][j % 2] * (Math.log(norm) - v[i] * v[j]);
    }
  }
  expected /= 2 * 2 * 1;
  const z = tf.tensor3d(v, [1, 4, 1]);
  const loss = softPairedCrossEntropy(z, S);
  assertClose((await loss.data())[0], expected, { rtol: 1e-6, label: "L" });
  tf.dispose([z, loss]);
});

eachGoldenCase(
  "soft",
  2,
  "soft terms with identity labels equal TS2Vec's hard terms (golden inputs)",
  async (c) => {
    const z1 = tensorOf<Tensor3D>(c.z1), z2 = tensorOf<Tensor3D>(c.z2);
    const eye = (n: number) =>
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
    const instSoft = softPairedCrossEntropy(
      tf.transpose(tf.concat([z1, z2], 0), [1, 0, 2]) as Tensor3D,
      eye(c.B),
    );
    const tempSoft = softPairedCrossEntropy(tf.concat([z1, z2], 1) as Tensor3D, eye(c.T));
    const instHard = instanceContrastiveLoss(z1, z2), tempHard = temporalContrastiveLoss(z1, z2);
    await expectClose(instSoft, (await instHard.data())[0], `${c.name} instance`);
    await expectClose(tempSoft, (await tempHard.data())[0], `${c.name} temporal`);
    tf.dispose([z1, z2, instSoft, tempSoft, instHard, tempHard]);
  },
);

eachBackend("soft hierarchical loss differs from the hard one once labels are soft", async () => {
  const c = baselinesGolden.soft[0];
  const z1 = tensorOf<Tensor3D>(c.z1), z2 = tensorOf<Tensor3D>(c.z2);
  const hard = softLoss(z1, z2);
  await expectClose(hard, c.expected.loss, `${c.name} hard`);
  const soft = softHierarchicalLoss(z1, z2, [[1, 0.5], [0.5, 1]]);
  const [h, s2] = [(await hard.data())[0], (await soft.data())[0]];
  assert.ok(Number.isFinite(s2) && Math.abs(s2 - h) > 1e-3, `${s2} vs ${h}`);
  tf.dispose([z1, z2, hard, soft]);
});
