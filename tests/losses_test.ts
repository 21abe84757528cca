import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BackendName } from "../lib/backend.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";
import {
  cosineSimilarity,
  difficultPairMask,
  difficultSampleMask,
  hatclLoss,
  infoNceLoss,
  lossSpecLabel,
  lsHatclLoss,
  lsMarginLoss,
  makeContrastiveLoss,
  marginLoss,
  simVector,
  stableMarginFromSimilarity,
  stableMarginLoss,
  vrnsLoss,
} from "../lib/losses/mod.ts";
import type { DifficultOptions, LossSpec } from "../lib/losses/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose, flat } from "./_util.ts";
import { checkCase, f32, golden } from "./_losses_golden.ts";

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`golden reference losses: loss and dL/dz on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const problems: string[] = [];
    for (const c of golden.cases) problems.push(...await checkCase(c));
    assert.deepEqual(problems, []);
    assert.ok(golden.cases.length > 100);
  });

  Deno.test(`golden sim vectors match the reference exactly on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const problems: string[] = [];
    const check = (
      x: tf.Tensor,
      threshold: number,
      length: "single" | "double",
      e: unknown,
      label: string,
    ) => {
      const v = simVector(x, { threshold, variant: "reference", length });
      const got = Array.from(v.dataSync());
      v.dispose();
      const want = Array.from(flat(e));
      if (got.length !== want.length || got.some((g, i) => !Object.is(g, want[i]))) {
        problems.push(`${label} ${length}: ${got} vs ${want}`);
      }
    };
    for (const sc of golden.simVectorCases) {
      const x = tf.tensor3d(f32(sc.x), sc.xShape);
      check(x, sc.threshold, "single", sc.single, sc.name);
      check(x, sc.threshold, "double", sc.double, sc.name);
      x.dispose();
    }
    for (const c of golden.cases.filter((c) => c.x)) {
      const x = tf.tensor(f32(c.x), c.xShape);
      check(x, c.threshold!, "single", c.simSingle, c.name);
      check(x, c.threshold!, "double", c.simDouble, c.name);
      x.dispose();
    }
    assert.deepEqual(problems, []);
  });
}

Deno.test("golden error cases: sim vectors that do not broadcast raise ShapeError", async () => {
  await initBackend({ prefer: "cpu" });
  for (const e of golden.errorCases) {
    assert.ok(e.raises);
    const z = tf.randomNormal([e.N, 4]) as Tensor2D;
    const s = tf.ones([e.sLength]) as Tensor1D;
    const opts = { temperature: 0.1, margin: 5 };
    assert.throws(
      () => (e.loss === "margin" ? marginLoss(z, s, opts) : lsMarginLoss(z, s, opts)),
      (err: unknown) => err instanceof ShapeError && /s: .*length/.test(err.message),
    );
    tf.dispose([z, s]);
  }
});

Deno.test("losses reject non-2-D embeddings and bad options with typed errors", async () => {
  await initBackend({ prefer: "cpu" });
  const z3 = tf.zeros([2, 3, 4]) as unknown as Tensor2D;
  assert.throws(() => hatclLoss(z3, { temperature: 0.1 }), ShapeError);
  assert.throws(() => lsHatclLoss(z3, { temperature: 0.1 }), /z: expected a 2-D tensor \[N, D\]/);
  const z = tf.randomNormal([5, 4]) as Tensor2D;
  assert.throws(() => hatclLoss(z, { temperature: 0 }), OptionError);
  assert.throws(
    () => simVector(tf.zeros([4]), { threshold: 0.4, variant: "reference", length: "single" }),
    ShapeError,
  );
  tf.dispose([z3, z]);
});

/** Seeded `[rows, cols]` Gaussian matrix (ReLU'd when `relu`). */
function randomMatrix(rows: number, cols: number, seed: number, relu = false): Tensor2D {
  const rng = makeRng(seed);
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) {
    const v = rng.normal();
    values[i] = relu ? Math.max(v, 0) : v;
  }
  return tf.tensor2d(values, [rows, cols]);
}

/** Near-collapsed embeddings: every row ≈ the same positive vector. */
function collapsedMatrix(rows: number, cols: number, seed: number): Tensor2D {
  const rng = makeRng(seed);
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) values[i] = 1 + 1e-3 * rng.next();
  return tf.tensor2d(values, [rows, cols]);
}

function scalarOf(t: Scalar): number {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}

Deno.test("infoNceLoss equals the reference HATCL / LS_HATCL (loss and gradient) at τ 0.05, 0.1, 0.5", async () => {
  await initBackend({ prefer: "wasm" });
  const z = randomMatrix(300, 32, 11, true);
  for (const temperature of [0.05, 0.1, 0.5]) {
    for (const form of ["single", "ls"] as const) {
      const reference = (q: Tensor2D) =>
        form === "single" ? hatclLoss(q, { temperature }) : lsHatclLoss(q, { temperature });
      const logSpace = (q: Tensor2D) => infoNceLoss(q, { temperature, form });
      const a = tf.valueAndGrad(reference)(z);
      const b = tf.valueAndGrad(logSpace)(z);
      const label = `${form} τ=${temperature}`;
      assertClose(b.value.dataSync()[0], a.value.dataSync()[0], { rtol: 1e-5, label });
      const g = a.grad.dataSync();
      assertClose(b.grad.dataSync(), g, {
        rtol: 1e-5,
        atol: 1e-5 * Math.max(...g.map(Math.abs)),
        label: `${label} grad`,
      });
      tf.dispose([a.value, a.grad, b.value, b.grad]);
    }
  }
  z.dispose();
});

Deno.test("stableMarginLoss is finite (loss and gradient) at every shipped config, incl. ECG", async () => {
  await initBackend({ prefer: "wasm" });
  const n = 300;
  const x = randomMatrix(n, 12, 21);
  const cases = [
    { name: "ReLU embeddings", z: randomMatrix(n, 64, 22, true), x },
    { name: "near-collapsed, v ≡ 1", z: collapsedMatrix(n, 64, 23), x: null },
  ];
  for (const [temperature, margin] of [[0.5, 100], [0.05, 5], [0.1, 5]]) {
    for (const c of cases) {
      // v ≡ 1 needs every adjacent cosine below θ: alternate ±rows.
      const raw = c.x ?? tf.mul(
        tf.reshape(tf.tile(tf.tensor1d([1, -1]), [n / 2]), [n, 1]),
        tf.ones([n, 12]),
      ) as Tensor2D;
      const v = simVector(raw, { threshold: 0.4, variant: "intended", length: "double" });
      if (!c.x) assert.equal(scalarOf(tf.mean(v) as Scalar), 1);
      v.dispose();
      for (const form of ["ls", "single"] as const) {
        const { value, grad } = tf.valueAndGrad((q: Tensor2D) =>
          stableMarginLoss(q, raw, { temperature, margin, threshold: 0.4, form })
        )(c.z);
        const loss = value.dataSync()[0];
        const label = `${c.name} τ=${temperature} m=${margin} ${form}`;
        assert.ok(Number.isFinite(loss) && loss >= 0, `${label}: loss ${loss}`);
        assert.ok(tf.all(tf.isFinite(grad)).dataSync()[0] === 1, `${label}: gradient not finite`);
        if (!c.x && form === "ls") {
          // Spec §3 variant 4 (verified at N = 300): 505.7, 18.2, 11.9.
          const spec = { 0.5: 505.7, 0.05: 18.2, 0.1: 11.9 }[temperature]!;
          assert.ok(Math.abs(loss - spec) < 0.005 * spec, `${label}: ${loss} vs spec ${spec}`);
        }
        tf.dispose([value, grad]);
      }
      if (!c.x) raw.dispose();
    }
  }
  // The reference LS_MARGIN on the same near-collapsed input is NaN at ECG (D3).
  const s = tf.ones([n]) as Tensor1D;
  assert.ok(Number.isNaN(scalarOf(lsMarginLoss(cases[1].z, s, { temperature: 0.5, margin: 100 }))));
  tf.dispose([x, s, ...cases.map((c) => c.z)]);
});

Deno.test("stableMarginLoss: every negative similarity raises the loss, every positive lowers it (D2 fixed)", async () => {
  await initBackend({ prefer: "cpu" });
  const n = 30;
  const z = randomMatrix(n, 16, 31, true);
  const similarity = cosineSimilarity(z);
  for (const form of ["ls", "single"] as const) {
    for (const vValue of [1, 0]) {
      const v = tf.fill([n], vValue) as Tensor1D;
      const terms = { temperature: 0.1, margin: 5, gamma: 0.05, form };
      const g = tf.grad((s) => stableMarginFromSimilarity(s as Tensor2D, v, terms))(similarity);
      const gv = g.dataSync();
      const anchors = form === "ls" ? n - 2 : n - 1;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < anchors; j++) {
          const d = gv[i * n + j];
          const where = `${form} v=${vValue} ∂L/∂S[${i}, ${j}] = ${d}`;
          if (i === j + 1) assert.ok(d < 0, `positive ${where}`);
          else if (i !== j) assert.ok(d > 0, `negative ${where}`);
        }
      }
      tf.dispose([v, g]);
    }
  }
  // With the margin on, similar negatives weigh more than with it off.
  const opts = { temperature: 0.1, margin: 5, gamma: 0.05, form: "ls" as const };
  const on = scalarOf(stableMarginFromSimilarity(similarity, tf.ones([n]) as Tensor1D, opts));
  const off = scalarOf(stableMarginFromSimilarity(similarity, tf.zeros([n]) as Tensor1D, opts));
  assert.ok(on > off, `margin on ${on} should exceed margin off ${off}`);
  tf.dispose([z, similarity]);
});

Deno.test("D1: the reference sim vector is all ones for θ ∈ {0, 0.4, 0.9}; the intended one is not", async () => {
  await initBackend({ prefer: "cpu" });
  const x = tf.reshape(randomMatrix(8 * 20, 6, 41), [8, 20, 6]);
  for (const threshold of [0, 0.4, 0.9]) {
    for (const length of ["single", "double"] as const) {
      const v = simVector(x, { threshold, variant: "reference", length });
      assert.equal(v.shape[0], length === "single" ? 159 : 160);
      assert.ok(Array.from(v.dataSync()).every((e) => e === 1), `θ=${threshold} ${length}`);
      v.dispose();
    }
    const intended = simVector(x, { threshold, variant: "intended", length: "double" });
    const mean = scalarOf(tf.mean(intended) as Scalar);
    assert.ok(mean > 0 && mean < 1, `intended mean ${mean} at θ=${threshold}`);
    intended.dispose();
  }
  x.dispose();
});

Deno.test("D3: LS_MARGIN is NaN and MARGIN is +∞ at (τ, m) = (0.5, 100)", async () => {
  await initBackend({ prefer: "cpu" });
  const z = randomMatrix(64, 16, 51, true);
  const opts = { temperature: 0.5, margin: 100 };
  const { value, grad } = tf.valueAndGrad((q: Tensor2D) =>
    lsMarginLoss(q, tf.ones([64]) as Tensor1D, opts)
  )(z);
  assert.ok(Number.isNaN(value.dataSync()[0]));
  assert.ok(tf.all(tf.isFinite(grad)).dataSync()[0] === 0);
  assert.equal(scalarOf(marginLoss(z, tf.ones([63]) as Tensor1D, opts)), Infinity);
  tf.dispose([z, value, grad]);
});

/** Linear-interpolation quantile of sorted values (numpy's default). */
function quantileOf(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

Deno.test("difficultPairMask: the quantile band of negative pairs, never neighbours or the diagonal", async () => {
  await initBackend({ prefer: "cpu" });
  const n = 60;
  const z = randomMatrix(n, 8, 61, true);
  const s = cosineSimilarity(z);
  const sv = s.dataSync();
  const band = { qLo: 0.8, qHi: 0.95 };
  const negatives: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) if (Math.abs(i - j) > 1) negatives.push(sv[i * n + j]);
  }
  negatives.sort((a, b) => a - b);
  const lo = quantileOf(negatives, band.qLo);
  const hi = quantileOf(negatives, band.qHi);
  const h = difficultPairMask(s, band);
  const hv = h.dataSync();
  let selected = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const inBand = sv[i * n + j] >= lo && sv[i * n + j] <= hi;
      const expected = Math.abs(i - j) > 1 && inBand ? 1 : 0;
      assert.equal(hv[i * n + j], expected, `h[${i}, ${j}]`);
      selected += hv[i * n + j];
    }
  }
  // ≈ 15 % of the negatives (ties aside).
  const share = selected / negatives.length;
  assert.ok(Math.abs(share - 0.15) < 0.01, `share ${share}`);
  // Neighbours and the diagonal stay out even at the widest band.
  const all = difficultPairMask(s, { qLo: 0, qHi: 1 }).dataSync();
  for (let i = 0; i < n; i++) {
    assert.equal(all[i * n + i], 0);
    if (i + 1 < n) assert.equal(all[i * n + i + 1] + all[(i + 1) * n + i], 0);
  }
  assert.throws(() => difficultPairMask(s, { qLo: 0.9, qHi: 0.5 }), OptionError);
  tf.dispose([z, s, h]);
});

/**
 * Float64 decoupled LS-InfoNCE computed by hand from S, with the §6a edits:
 * per-centre losses and the kept-centre mean.
 */
function handLsInfoNce(
  s: ArrayLike<number>,
  n: number,
  temperature: number,
  h: ArrayLike<number> | null,
  d: Required<Pick<DifficultOptions, "sigma" | "rho" | "removal">>,
  droppedSamples: ArrayLike<number> | null,
): number {
  const logit = (i: number, j: number) =>
    h && h[i * n + j]
      ? (s[i * n + j] - d.sigma) / (d.rho * temperature)
      : s[i * n + j] / temperature;
  const removed = (i: number, j: number) =>
    d.removal === "pairs" && h !== null && h[i * n + j] === 1;
  let sum = 0, count = 0;
  for (let c = 1; c <= n - 2; c++) {
    if (droppedSamples && droppedSamples[c]) continue;
    const num = Math.exp(s[c * n + c - 1] / temperature) +
      Math.exp(s[(c + 1) * n + c] / temperature);
    let den = 0;
    for (let i = 0; i < n; i++) {
      if (i !== c - 1 && i !== c && !removed(i, c - 1)) den += Math.exp(logit(i, c - 1));
      if (Math.abs(i - c) > 1 && !removed(i, c)) den += Math.exp(logit(i, c));
    }
    sum += -Math.log(num / den);
    count++;
  }
  return sum / count;
}

Deno.test("difficult options: σ/ρ/removal match a float64 hand computation and move the loss as expected", async () => {
  await initBackend({ prefer: "cpu" });
  const n = 48, temperature = 0.1;
  const z = randomMatrix(n, 8, 71, true);
  const s = cosineSimilarity(z);
  const sv = s.dataSync();
  const band = { qLo: 0.8, qHi: 0.95 };
  const h = difficultPairMask(s, band);
  const hv = h.dataSync();
  const loss = (difficult?: DifficultOptions) =>
    scalarOf(infoNceLoss(z, { temperature, form: "ls", difficult }));
  const plain = loss();
  const none = { sigma: 0, rho: 1, removal: "none" as const };
  assertClose(plain, handLsInfoNce(sv, n, temperature, null, none, null), { label: "plain" });
  const cases: {
    d: Required<Pick<DifficultOptions, "sigma" | "rho" | "removal">>;
    below: boolean;
  }[] = [
    { d: { sigma: 0.1, rho: 1, removal: "none" }, below: true },
    { d: { sigma: 0, rho: 2, removal: "none" }, below: true },
    { d: { sigma: 0.1, rho: 2, removal: "none" }, below: true },
    { d: { sigma: 0, rho: 1, removal: "pairs" }, below: true },
  ];
  for (const { d, below } of cases) {
    const got = loss({ ...band, ...d });
    assertClose(got, handLsInfoNce(sv, n, temperature, hv, d, null), {
      rtol: 1e-5,
      label: JSON.stringify(d),
    });
    assert.equal(got < plain, below, `${JSON.stringify(d)}: ${got} vs plain ${plain}`);
  }
  // Larger σ → lower loss (difficult negatives count less).
  const sigmaOnly = (sigma: number) => loss({ ...band, sigma, rho: 1, removal: "none" });
  assert.ok(sigmaOnly(0.2) < sigmaOnly(0.05));
  // The default edit is pair removal.
  assertClose(loss(band), loss({ ...band, removal: "pairs" }), { label: "default removal" });
  // Sample removal: the mean over the centres that are not difficult samples.
  const dropped = difficultSampleMask(h, 0.2);
  const droppedValues = dropped.dataSync();
  assert.equal(Array.from(droppedValues).reduce((a, b) => a + b, 0), Math.ceil(0.2 * n));
  const samples = loss({ ...band, sigma: 0, rho: 1, removal: "samples", pRm: 0.2 });
  assertClose(samples, handLsInfoNce(sv, n, temperature, hv, none, droppedValues), {
    label: "samples",
  });
  assert.notEqual(samples, plain);
  assertClose(loss({ ...band, sigma: 0, rho: 1, removal: "samples", pRm: 0 }), plain, {
    label: "pRm 0",
  });
  // The edits leave the loss finite at the stable variant's ECG config too.
  const x = randomMatrix(n, 6, 72);
  const stable = scalarOf(stableMarginLoss(z, x, {
    temperature: 0.5,
    margin: 100,
    threshold: 0.4,
    form: "ls",
    difficult: { ...band, removal: "pairs" },
  }));
  assert.ok(Number.isFinite(stable));
  // Gradients flow through the edited logits only; the selection is a constant.
  for (const removal of ["none", "pairs", "samples"] as const) {
    const g = tf.grad((q) =>
      infoNceLoss(q as Tensor2D, { temperature, form: "ls", difficult: { ...band, removal } })
    )(z);
    assert.equal(tf.all(tf.isFinite(g)).dataSync()[0], 1, removal);
    assert.ok(scalarOf(tf.max(tf.abs(g)) as Scalar) > 0, removal);
    g.dispose();
  }
  assert.throws(() => loss({ rho: 0 }), OptionError);
  assert.throws(() => loss({ pRm: 2 }), OptionError);
  tf.dispose([z, s, h, dropped, x]);
});

Deno.test("vrnsLoss equals a hand-computed value; the combination adds λ·L_VRN", async () => {
  await initBackend({ prefer: "cpu" });
  const r = Math.SQRT1_2;
  const z = tf.tensor2d([[1, 0], [0, 1], [1, 1], [1, -1]]);
  // Neg = {(0,2), (0,3), (1,3)} and transposes; S = r, r, −r; δ = −1/(3 − 1).
  const expected = (2 * (r + 0.5) ** 2 + (-r + 0.5) ** 2) / 3;
  assertClose(scalarOf(vrnsLoss(z, { k: 3 })), expected, { label: "k = 3" });
  assertClose(scalarOf(vrnsLoss(z, { delta: -0.5 })), expected, { label: "δ = −0.5" });
  assertClose(scalarOf(vrnsLoss(z, { delta: 0, p: 4 })), (2 * r ** 4 + r ** 4) / 3, {
    label: "p = 4",
  });
  assert.throws(() => vrnsLoss(z, { delta: 0, k: 10 }), OptionError);
  assert.throws(() => vrnsLoss(z, { k: 1 }), OptionError);
  const zz = randomMatrix(30, 8, 81, true);
  const base = scalarOf(infoNceLoss(zz, { temperature: 0.1, form: "ls" }));
  const vrn = scalarOf(vrnsLoss(zz, { k: 1000 }));
  const total = scalarOf(
    infoNceLoss(zz, { temperature: 0.1, form: "ls", vrns: { lambda: 10, k: 1000 } }),
  );
  assertClose(total, base + 10 * vrn, { label: "infonce + λ·VRN" });
  const x = randomMatrix(30, 4, 82);
  const stableOpts = { temperature: 0.1, margin: 5, threshold: 0.4, form: "ls" as const };
  const stableBase = scalarOf(stableMarginLoss(zz, x, stableOpts));
  const stableTotal = scalarOf(stableMarginLoss(zz, x, { ...stableOpts, vrns: { k: 1000 } }));
  assertClose(stableTotal, stableBase + 30 * vrn, { label: "stable + 30·VRN" });
  assert.throws(
    () => infoNceLoss(zz, { temperature: 0.1, form: "ls", vrns: { delta: 0, k: 5 } }),
    OptionError,
  );
  tf.dispose([z, zz, x]);
});

Deno.test("makeContrastiveLoss dispatches every kind with the sim vector computed from x", async () => {
  await initBackend({ prefer: "cpu" });
  const n = 24;
  const z = randomMatrix(n, 8, 91, true);
  const x = randomMatrix(n, 5, 92);
  const temperature = 0.1, margin = 5, threshold = 0.4;
  const single = simVector(x, { threshold, variant: "reference", length: "single" });
  const double = simVector(x, { threshold, variant: "intended", length: "double" });
  const cases: [LossSpec, number][] = [
    [{ kind: "hatcl", temperature }, scalarOf(hatclLoss(z, { temperature }))],
    [{ kind: "ls-hatcl", temperature }, scalarOf(lsHatclLoss(z, { temperature }))],
    [
      { kind: "margin", temperature, margin, threshold, simVariant: "reference" },
      scalarOf(marginLoss(z, single, { temperature, margin })),
    ],
    [
      { kind: "ls-margin", temperature, margin, threshold, simVariant: "intended" },
      scalarOf(lsMarginLoss(z, double, { temperature, margin })),
    ],
    [
      { kind: "infonce", temperature, form: "ls", vrns: { k: 100 } },
      scalarOf(infoNceLoss(z, { temperature, form: "ls", vrns: { k: 100 } })),
    ],
    [
      { kind: "stable", temperature, margin, threshold, form: "single" },
      scalarOf(stableMarginLoss(z, x, { temperature, margin, threshold, form: "single" })),
    ],
  ];
  const labels = new Set<string>();
  for (const [spec, expected] of cases) {
    const fusedGot = scalarOf(makeContrastiveLoss(spec)(z, x));
    assert.ok(
      Object.is(fusedGot, expected) || Math.abs(fusedGot - expected) <= 1e-5 * Math.abs(expected),
      `${spec.kind} fused: ${fusedGot} vs ${expected}`,
    );
    const loss = makeContrastiveLoss(spec, { implementation: "reference" });
    const got = scalarOf(loss(z, x));
    const g = tf.grad((q) => loss(q as Tensor2D, x))(z);
    assert.equal(tf.all(tf.isFinite(g)).dataSync()[0], 1, `${spec.kind}: gradient`);
    g.dispose();
    assert.ok(Object.is(got, expected) || got === expected, `${spec.kind}: ${got} vs ${expected}`);
    const label = lossSpecLabel(spec);
    assert.ok(label.length > 0 && label.length < 80, label);
    labels.add(label);
  }
  assert.equal(labels.size, cases.length);
  assert.throws(
    () =>
      makeContrastiveLoss({ kind: "stable", temperature, margin, threshold, form: "ls" })(
        z,
        tf.zeros([n + 1, 5]) as Tensor2D,
      ),
    (e: unknown) =>
      e instanceof ShapeError && /x: expected raw inputs with N = 24 rows/.test(e.message),
  );
  tf.dispose([z, x, single, double]);
});
