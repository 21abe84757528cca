import assert from "node:assert/strict";
import { createFusedProjectorStep, createFusedTs2vecStep } from "../lib/webgpu/mod.ts";
import type { FusedProjectorStep } from "../lib/webgpu/mod.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { createTs2vecEncoder } from "../lib/ts2vec/mod.ts";
import { makeRng } from "../lib/random.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";
import { warnIfIgnored, webgpuTest } from "./_webgpu.ts";

warnIfIgnored("webgpu_step_runner_test", "the fused steps' runner tests");

const SHAPE: [number, number, number] = [2, 6, 3];

function batch(seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from(
    { length: SHAPE[0] * SHAPE[1] * SHAPE[2] },
    () => Math.abs(rng.normal()),
  );
}

/** Both fused steps share one runner: the same checks, record and read, under their own names. */
async function checkRunner(name: string, step: FusedProjectorStep): Promise<void> {
  try {
    assert.deepEqual(await step.read(), { losses: new Float32Array(0), flags: new Uint32Array(0) });
    assert.throws(
      () => step.step(new Float32Array(5)),
      (e: unknown) =>
        e instanceof ShapeError &&
        e.message === `${name}.step: x has 5 values, expected B·T·F = 36`,
    );
    step.step(batch(1));
    step.step(batch(2));
    assert.equal(step.pending, 2);
    assert.throws(
      () => step.step(batch(3)),
      (e: unknown) =>
        e instanceof OptionError &&
        e.message === `${name}.step: 2 steps unread; call read() every ≤ 2 steps`,
    );
    const first = await step.read();
    assert.equal(step.pending, 0);
    assert.equal(first.losses.length, 2);
    assert.ok(first.losses.every(Number.isFinite), `losses ${first.losses}`);
    assert.deepEqual([...first.flags], [0, 0]);
    // the record restarts at slot 0: one more step reads back one loss
    step.step(batch(3));
    const second = await step.read();
    assert.equal(second.losses.length, 1);
    assert.ok(Number.isFinite(second.losses[0]) && second.losses[0] !== first.losses[0]);
    await step.writeBack();
  } finally {
    step.destroy();
  }
  step.destroy(); // a second destroy does nothing
  for (
    const [what, call] of [
      ["step", () => step.step(batch(4))],
      ["writeBack", () => step.writeBack()],
    ] as const
  ) {
    assert.throws(
      call,
      (e: unknown) =>
        e instanceof OptionError && e.message === `${name}.${what}: the step was destroyed`,
    );
  }
  await assert.rejects(
    () => step.read(),
    (e: unknown) =>
      e instanceof OptionError && e.message === `${name}.read: the step was destroyed`,
  );
}

webgpuTest(
  "fused steps: shape, unread-record and destroyed checks, and reads, name their step",
  async () => {
    const common = { lr: 1e-2, weightDecay: 0.01, mode: "reference", readEvery: 2 } as const;
    const projector = await createFusedProjectorStep({
      ...common,
      encoder: createFeatureProjector({ inFeatures: 3, outFeatures: 4, seed: 1 }),
      shape: SHAPE,
      loss: { kind: "infonce", temperature: 0.5, form: "ls" },
    });
    await checkRunner("FusedProjectorStep", projector);
    const ts2vec = await createFusedTs2vecStep({
      ...common,
      encoder: createTs2vecEncoder({ inFeatures: 3, hidden: 4, outFeatures: 5, depth: 1, seed: 1 }),
      shape: SHAPE,
      cropRng: makeRng(7),
      noiseRng: makeRng(1).fork(),
    });
    await checkRunner("FusedTs2vecStep", ts2vec);
  },
);
