/**
 * Golden reference-loss cases (shared/golden/losses.json) and the check that
 * the loss tests run on every backend.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { hatclLoss, lsHatclLoss, lsMarginLoss, marginLoss } from "../lib/losses/mod.ts";
import { assertClose, flat, readGolden } from "./_util.ts";
import type { GoldenNumber } from "./_util.ts";

/** One loss evaluation of the reference. */
export interface GoldenCase {
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

/** One evaluation of the reference sim functions. */
export interface SimVectorCase {
  name: string;
  xShape: [number, number, number];
  x: unknown;
  threshold: number;
  single: GoldenNumber[];
  double: GoldenNumber[];
}

/** A loss / sim-vector length pair whose shapes do not broadcast. */
export interface ErrorCase {
  loss: "margin" | "ls_margin";
  N: number;
  simLength: "single" | "double";
  sLength: number;
  raises: boolean;
}

/** shared/golden/losses.json. */
export interface LossesGolden {
  cases: GoldenCase[];
  simVectorCases: SimVectorCase[];
  errorCases: ErrorCase[];
}

/** The parsed golden file. */
export const golden: LossesGolden = readGolden<LossesGolden>("losses.json");

/** Golden numbers as float32. */
export const f32 = (v: unknown): Float32Array => Float32Array.from(flat(v));

/** The reference loss a golden case names, as a function of z. */
export function goldenLoss(c: GoldenCase, s: Tensor1D | null): (z: Tensor2D) => Scalar {
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
export function finiteScale(values: Float64Array): number {
  let scale = 0;
  for (const v of values) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  return scale;
}

/**
 * Checks one golden case on the active backend; returns a description of
 * every mismatch (empty when it matches).
 *
 * Loss: ≤ 1e−5 relative (1e−6 absolute); a non-finite reference loss must be
 * non-finite here. Gradient of a finite case (when `gradients`): ≤ 1e−5
 * relative per entry plus 1e−5 of the gradient's largest entry (each entry is
 * a sum of terms of that size, so float32 summation order moves small
 * entries by that much). A case whose loss is NaN from a negative denominator
 * (D4) has finite reference gradients ∝ 1/den with den near 0: there only
 * the finite/non-finite pattern is compared, the values being ill-conditioned.
 */
export async function checkCase(c: GoldenCase, gradients = true): Promise<string[]> {
  const z = tf.tensor2d(f32(c.z), [c.N, c.D]);
  const s = c.s ? tf.tensor1d(f32(c.s)) : null;
  const f = goldenLoss(c, s);
  let loss: number;
  let gradZ: Float32Array | null = null;
  if (gradients) {
    const { value, grad } = tf.valueAndGrad(f)(z);
    loss = (await value.data())[0];
    gradZ = (await grad.data()) as Float32Array;
    tf.dispose([value, grad]);
  } else {
    const value = f(z);
    loss = (await value.data())[0];
    value.dispose();
  }
  z.dispose();
  s?.dispose();
  return goldenMismatches(c, c.name, loss, gradZ);
}

/**
 * What differs between a computed `loss` (and `gradZ`, when not null) and
 * case `c`'s expected values, with the tolerances of {@linkcode checkCase};
 * each description starts with `label`, which names the case.
 */
export function goldenMismatches(
  c: GoldenCase,
  label: string,
  loss: number,
  gradZ: ArrayLike<number> | null,
): string[] {
  const problems: string[] = [];
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (e) {
      problems.push(`${label}: ${(e as Error).message}`);
    }
  };
  const expectedLoss = flat([c.expected.loss])[0];
  if (Number.isFinite(expectedLoss)) {
    attempt(() => assertClose(loss, expectedLoss, { rtol: 1e-5, atol: 1e-6, label: "loss" }));
  } else {
    attempt(() => assert.ok(!Number.isFinite(loss), `loss: expected ${expectedLoss}, got ${loss}`));
  }
  if (!gradZ) return problems;
  const expectedGrad = flat(c.expected.gradZ);
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
