import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BackendName } from "../lib/backend.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";
import { infoNceLoss, l2Normalize, makeContrastiveLoss } from "../lib/losses/mod.ts";
import type { DifficultOptions, InfoNceOptions, VrnsCombination } from "../lib/losses/mod.ts";
import { fusedInfoNceLoss, vrnsClosedForm } from "../lib/losses/fused/mod.ts";
import { assertClose, flat } from "./_util.ts";
import { f32, finiteScale, golden } from "./_losses_golden.ts";

function valueAndGrad(loss: (z: Tensor2D) => Scalar, z: Tensor2D) {
  const { value, grad } = tf.valueAndGrad(loss)(z);
  const result = { loss: value.dataSync()[0], grad: grad.dataSync() as Float32Array };
  tf.dispose([value, grad]);
  return result;
}

/** Smooth ReLU embeddings with runs of similar rows, as the encoder produces; `noise` 0 repeats rows exactly. */
function embeddings(n: number, d: number, seed: number, noise = 0.2): Tensor2D {
  return tf.tidy(() => {
    const base = tf.randomUniform([Math.ceil(n / 16), d], 0, 1, "float32", seed);
    const repeated = tf.reshape(tf.tile(tf.expandDims(base, 1), [1, 16, 1]), [-1, d]);
    const jitter = tf.randomNormal([repeated.shape[0], d], 0, noise, "float32", seed + 1);
    return tf.relu(tf.slice(tf.add(repeated, jitter), [0, 0], [n, d])) as Tensor2D;
  });
}

/** Fused and reference agree: loss 1e−5 relative, gradient 1e−5 relative + 1e−5 of its largest entry. */
function assertSame(z: Tensor2D, options: InfoNceOptions, label: string, lossRtol = 1e-5): void {
  const want = valueAndGrad((q) => infoNceLoss(q, options), z);
  const got = valueAndGrad((q) => fusedInfoNceLoss(q, options), z);
  assertClose(got.loss, want.loss, { rtol: lossRtol, atol: 1e-6, label: `${label} loss` });
  const atol = 1e-5 * finiteScale(Float64Array.from(want.grad));
  assertClose(got.grad, want.grad, { rtol: 1e-5, atol, label: `${label} grad` });
}

const DIFFICULT: Record<string, DifficultOptions> = {
  "σ/ρ (study)": { sigma: 0.1, rho: 2, removal: "none" },
  "pair removal": { removal: "pairs" },
  "wide band, σ < 0": { qLo: 0.5, qHi: 0.9, sigma: -0.2, rho: 0.5, removal: "none" },
};

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`fused InfoNCE equals infoNceLoss on ${backend} (both forms, τ 0.05/0.1/0.5)`, async () => {
    await initBackend({ prefer: backend });
    const z = embeddings(150, 24, 3);
    for (const form of ["ls", "single"] as const) {
      for (const temperature of [0.05, 0.1, 0.5]) {
        assertSame(z, { temperature, form }, `${form} τ=${temperature}`);
      }
    }
    z.dispose();
  });

  Deno.test(`fused InfoNCE + difficult pairs equals infoNceLoss on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    // Jittered rows (distinct similarities) and exactly repeated rows (ties at the quantiles).
    for (const noise of [0.2, 0]) {
      const z = embeddings(150, 24, 5, noise);
      for (const form of ["ls", "single"] as const) {
        for (const [name, difficult] of Object.entries(DIFFICULT)) {
          assertSame(z, { temperature: 0.1, form, difficult }, `${form} ${name} noise ${noise}`);
        }
      }
      z.dispose();
    }
  });

  Deno.test(`fused InfoNCE + VRNS equals infoNceLoss on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const z = embeddings(150, 24, 7);
    const combos: VrnsCombination[] = [{ lambda: 30, k: 5000 }, { lambda: 1, delta: 0.3 }, {}];
    for (const form of ["ls", "single"] as const) {
      for (const vrns of combos) {
        // The reference sums N² float32 squares; the closed form sums D² of them.
        assertSame(z, { temperature: 0.05, form, vrns }, `${form} ${JSON.stringify(vrns)}`, 2e-5);
      }
      const difficult = DIFFICULT["σ/ρ (study)"];
      assertSame(z, { temperature: 0.1, form, difficult, vrns: { k: 900 } }, `${form} both`, 2e-5);
    }
    z.dispose();
  });
}

Deno.test("the closed-form VRN term equals a float64 sum over the negative pairs", async () => {
  await initBackend({ prefer: "wasm" });
  const n = 90, d = 12, delta = -0.05, lambda = 3;
  const z = embeddings(n, d, 9);
  const u = l2Normalize(z);
  const rows = u.arraySync();
  let sum = 0, count = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (Math.abs(i - j) <= 1) continue;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += rows[i][k] * rows[j][k];
      sum += (dot - delta) ** 2;
      count++;
    }
  }
  const got = vrnsClosedForm(u, { lambda, delta, p: 2 });
  assertClose(got.dataSync()[0], (lambda * sum) / count, { rtol: 1e-5, label: "λ·L_VRN" });
  tf.dispose([z, u, got]);
});

Deno.test("fused InfoNCE matches the golden HATCL / LS_HATCL cases (finite ones)", async () => {
  await initBackend({ prefer: "wasm" });
  const cases = golden.cases.filter((c) =>
    (c.loss === "hatcl" || c.loss === "ls_hatcl") && c.expected.finite && c.N >= 4
  );
  assert.ok(cases.length >= 15, `${cases.length} cases`);
  for (const c of cases) {
    const z = tf.tensor2d(f32(c.z), [c.N, c.D]);
    const form = c.loss === "hatcl" ? "single" : "ls";
    const got = valueAndGrad((q) => fusedInfoNceLoss(q, { temperature: c.temperature, form }), z);
    z.dispose();
    const expectedGrad = flat(c.expected.gradZ);
    assertClose(got.loss, flat([c.expected.loss])[0], { rtol: 1e-5, label: `${c.name} loss` });
    const atol = Math.max(1e-6, 1e-5 * finiteScale(expectedGrad));
    assertClose(got.grad, expectedGrad, { rtol: 1e-5, atol, label: `${c.name} grad` });
  }
});

Deno.test("fused InfoNCE falls back to the reference outside its range, validates options, leaks nothing", async () => {
  await initBackend({ prefer: "wasm" });
  const z = embeddings(40, 8, 11);
  // Sample removal, p ≠ 2, τ below 1/40, N < 4: the reference formulation, same values.
  assertSame(z, { temperature: 0.1, form: "ls", difficult: { removal: "samples" } }, "samples");
  assertSame(z, { temperature: 0.1, form: "single", vrns: { k: 50, p: 3 } }, "p = 3");
  assertSame(z, { temperature: 0.02, form: "ls" }, "τ = 0.02");
  const small = tf.slice(z, [0, 0], [3, -1]) as Tensor2D;
  assertSame(small, { temperature: 0.1, form: "single" }, "N = 3");
  assert.throws(
    () => fusedInfoNceLoss(tf.zeros([1, 4]), { temperature: 0.1, form: "ls" }),
    ShapeError,
  );
  assert.throws(() => fusedInfoNceLoss(z, { temperature: 0, form: "ls" }), OptionError);
  assert.throws(
    () => fusedInfoNceLoss(z, { temperature: 0.1, form: "both" as "ls" }),
    /form: expected/,
  );
  assert.throws(
    () => fusedInfoNceLoss(z, { temperature: 0.1, form: "ls", difficult: { rho: 0 } }),
    OptionError,
  );
  const options: InfoNceOptions = {
    temperature: 0.1,
    form: "ls",
    difficult: { removal: "none" },
    vrns: { k: 100 },
  };
  const step = () =>
    tf.dispose(Object.values(tf.valueAndGrad((q: Tensor2D) => fusedInfoNceLoss(q, options))(z)));
  step();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([z, small]);
});

Deno.test("the loss factory builds the fused InfoNCE by default and the reference on request", async () => {
  await initBackend({ prefer: "wasm" });
  const z = embeddings(64, 8, 13);
  const spec = {
    kind: "infonce" as const,
    temperature: 0.1,
    form: "ls" as const,
    difficult: { sigma: 0.1, rho: 2, removal: "none" as const },
  };
  const fused = valueAndGrad((q) => makeContrastiveLoss(spec)(q, q), z);
  const direct = valueAndGrad((q) => fusedInfoNceLoss(q, spec), z);
  const reference = valueAndGrad(
    (q) => makeContrastiveLoss(spec, { implementation: "reference" })(q, q),
    z,
  );
  assert.deepEqual(fused, direct);
  assertClose(fused.loss, reference.loss, { rtol: 1e-5, label: "loss" });
  z.dispose();
});
