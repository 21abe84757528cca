/**
 * Golden baseline cases (shared/golden/baselines.json): tensors, checks with
 * the tolerances of the loss goldens, and the pretrain smoke test.
 *
 * @module
 */
import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor, Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { BaselineSpec } from "../lib/baselines/mod.ts";
import { pretrain } from "../lib/train/mod.ts";
import type { SequenceBatch } from "../lib/train/mod.ts";
import { makeRng } from "../lib/random.ts";
import { assertClose, readGolden } from "./_util.ts";

/** A golden tensor: torch shape and flat row-major values. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

/** One case of shared/golden/baselines.json: inputs, expected values and its `name`. */
// deno-lint-ignore no-explicit-any
export type GoldenCase = Record<string, any>;
/** A list of golden cases. */
export type GoldenCases = GoldenCase[];

/** The parsed golden file. */
export const baselinesGolden: Record<string, GoldenCases> = readGolden("baselines.json");

/** A golden tensor as a tf tensor of its shape. */
export function tensorOf<T extends Tensor = Tensor>(g: GoldenTensor): T {
  return tf.tensor(Float32Array.from(g.data), g.shape) as T;
}

/**
 * Loss: ≤ 1e−5 relative (1e−6 absolute), as the loss goldens. Tensors
 * (outputs and gradients): ≤ 1e−5 relative per entry plus 1e−5 of the
 * tensor's largest entry (float32 summation order), as the loss goldens.
 */
export async function expectClose(
  actual: Tensor | number,
  expected: GoldenTensor | number,
  label: string,
): Promise<void> {
  if (typeof expected === "number") {
    const got = typeof actual === "number" ? actual : (await actual.data())[0];
    assertClose(got, expected, { rtol: 1e-5, atol: 1e-6, label });
    return;
  }
  assert.ok(typeof actual !== "number", `${label}: expected a tensor`);
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assertClose(await actual.data(), expected.data, {
    rtol: 1e-5,
    atol: Math.max(1e-6, 1e-5 * scale),
    label,
  });
}

/** Value and gradients of `f` at `inputs` (the inputs are not disposed). */
export function valueAndGrads(
  f: (...xs: Tensor[]) => Scalar,
  inputs: Tensor[],
): { value: Scalar; grads: Tensor[] } {
  return tf.valueAndGrads(f)(inputs);
}

/** Runs `fn` on the cpu and the wasm backends. */
export function eachBackend(name: string, fn: () => Promise<void>): void {
  for (const backend of ["cpu", "wasm"] as const) {
    Deno.test(`${name} on ${backend}`, async () => {
      await initBackend({ prefer: backend });
      await fn();
    });
  }
}

/**
 * A golden test on the cpu and the wasm backends: `baselinesGolden[key]`
 * holds `count` cases, and `check` runs on each in turn (labelling its
 * assertions with the case's `name`).
 *
 * @example
 * ```ts
 * eachGoldenCase("infots", 2, "infots golden: loss", async (c) => {
 *   await expectClose(infotsLoss(tensorOf(c.o1), tensorOf(c.o2), c.localStart), c.expected.loss, c.name);
 * });
 * ```
 */
export function eachGoldenCase(
  key: string,
  count: number,
  name: string,
  check: (c: GoldenCase) => Promise<void>,
): void {
  eachBackend(name, async () => {
    const cases = baselinesGolden[key] ?? [];
    assert.equal(cases.length, count, `${key}: golden cases`);
    for (const c of cases) await check(c);
  });
}

/** Endless batches of seeded N(0, 1) data `[B, T, F]`. */
export function syntheticBatches(B: number, T: number, F: number, seed: number) {
  const rng = makeRng(seed);
  return {
    next(): IteratorResult<SequenceBatch> {
      const x = new Float32Array(B * T * F);
      for (let i = 0; i < x.length; i++) x[i] = rng.normal();
      return { done: false, value: { x, shape: [B, T, F] } as SequenceBatch };
    },
  };
}

/**
 * `pretrain` for one step, then two more: the losses are finite, the tensor
 * count after the first step does not grow, and the eval-mode encoder maps
 * `[2, T, F]` to `[2, T, D]`.
 */
export async function smokePretrain(
  spec: BaselineSpec,
  o: { B?: number; T: number; F: number },
): Promise<void> {
  await initBackend({ prefer: "wasm" });
  const B = o.B ?? 8;
  const encoder = spec.createEncoder({ inFeatures: o.F, seed: 3, T: o.T });
  const objective = spec.createObjective({ seed: 4, T: o.T, paperConfig: "HARTH" });
  const batches = syntheticBatches(B, o.T, o.F, 5);
  const first = await pretrain({ encoder, objective, batches, steps: 1, mode: "reference" });
  const before = tf.memory().numTensors;
  const rest = await pretrain({ encoder, objective, batches, steps: 2, mode: "reference" });
  assert.equal(tf.memory().numTensors, before, `${spec.name}: tensors leaked`);
  for (const loss of [...first.losses, ...rest.losses]) {
    assert.ok(Number.isFinite(loss), `${spec.name}: loss ${loss}`);
  }
  const z = tf.tidy(() => encoder.apply(tf.ones([2, o.T, o.F]) as Tensor3D, { training: false }));
  assert.deepEqual(z.shape, [2, o.T, encoder.outFeatures]);
  z.dispose();
  encoder.dispose();
  spec.dispose?.();
}
