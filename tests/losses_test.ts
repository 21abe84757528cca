import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BackendName } from "../lib/backend.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";
import { hatclLoss, lsHatclLoss, lsMarginLoss, marginLoss, simVector } from "../lib/losses/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import type { GoldenNumber } from "./_util.ts";

interface GoldenCase {
  name: string;
  loss: "hatcl" | "ls_hatcl" | "margin" | "ls_margin";
  temperature: number;
  margin?: number;
  N: number;
  D: number;
  z: GoldenNumber[][];
  xShape?: number[];
  x?: unknown;
  threshold?: number;
  simLength?: "single" | "double";
  s?: GoldenNumber[];
  simSingle?: GoldenNumber[];
  simDouble?: GoldenNumber[];
  expected: {
    loss: GoldenNumber;
    gradZ: GoldenNumber[][];
    finite: boolean;
    lossFinite: boolean;
  };
}

interface SimVectorCase {
  name: string;
  xShape: [number, number, number];
  x: unknown;
  threshold: number;
  single: GoldenNumber[];
  double: GoldenNumber[];
}

interface ErrorCase {
  loss: "margin" | "ls_margin";
  N: number;
  simLength: "single" | "double";
  sLength: number;
  raises: boolean;
}

interface LossesGolden {
  cases: GoldenCase[];
  simVectorCases: SimVectorCase[];
  errorCases: ErrorCase[];
}

const golden = readGolden<LossesGolden>("losses.json");

const f32 = (v: unknown) => Float32Array.from(flat(v));

/** The reference loss a golden case names, as a function of z. */
function goldenLoss(c: GoldenCase): (z: Tensor2D) => Scalar {
  const s = c.s ? tf.tensor1d(f32(c.s)) : null;
  const opts = { temperature: c.temperature, margin: c.margin ?? 0 };
  switch (c.loss) {
    case "hatcl":
      return (z) => hatclLoss(z, opts);
    case "ls_hatcl":
      return (z) => lsHatclLoss(z, opts);
    case "margin":
      return (z) => marginLoss(z, s as Tensor1D, opts);
    case "ls_margin":
      return (z) => lsMarginLoss(z, s as Tensor1D, opts);
  }
}

/** Largest finite |value|, the scale that float32 summation errors are relative to. */
function finiteScale(values: Float64Array): number {
  let scale = 0;
  for (const v of values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  return scale;
}

/**
 * Checks one golden case; returns a description of every mismatch.
 *
 * Loss: ≤ 1e−5 relative (1e−6 absolute). Gradient of a finite case: ≤ 1e−5
 * relative per entry plus 1e−5 of the gradient's largest entry (each entry is
 * a sum of terms of that size, so float32 summation order moves small entries
 * by that much). A case whose loss is NaN from a negative denominator (D4)
 * has finite reference gradients ∝ 1/den with den near 0; there only the
 * finite/non-finite pattern is compared, since the values are ill-conditioned.
 */
function checkCase(c: GoldenCase): string[] {
  const problems: string[] = [];
  const z = tf.tensor2d(f32(c.z), [c.N, c.D]);
  const { value, grad } = tf.valueAndGrad(goldenLoss(c))(z);
  const loss = value.dataSync()[0];
  const gradZ = grad.dataSync();
  tf.dispose([z, value, grad]);
  const expectedLoss = flat([c.expected.loss])[0];
  const expectedGrad = flat(c.expected.gradZ);
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      problems.push(`${c.name}: ${(e as Error).message}`);
    }
  };
  if (Number.isFinite(expectedLoss)) {
    attempt(() => assertClose(loss, expectedLoss, { rtol: 1e-5, atol: 1e-6, label: "loss" }));
  } else {
    attempt(() => assert.ok(!Number.isFinite(loss), `loss: expected ${expectedLoss}, got ${loss}`));
  }
  if (c.expected.finite) {
    const atol = Math.max(1e-6, 1e-5 * finiteScale(expectedGrad));
    attempt(() => assertClose(gradZ, expectedGrad, { rtol: 1e-5, atol, label: "gradZ" }));
  } else {
    let mismatched = 0;
    for (let i = 0; i < expectedGrad.length; i++) {
      if (Number.isFinite(expectedGrad[i]) !== Number.isFinite(gradZ[i])) mismatched++;
    }
    attempt(() => assert.equal(mismatched, 0, `gradZ: ${mismatched} entries differ in finiteness`));
  }
  return problems;
}

for (const backend of ["cpu", "wasm"] as BackendName[]) {
  Deno.test(`golden reference losses: loss and dL/dz on ${backend}`, async () => {
    await initBackend({ prefer: backend });
    const problems = golden.cases.flatMap(checkCase);
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
