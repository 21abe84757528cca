/**
 * Timing helpers shared by the benchmark sections.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { availableBackends, initBackend } from "../lib/backend.ts";
import type { BackendInfo, BackendName } from "../lib/backend.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { makeRng } from "../lib/random.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { pretrain } from "../lib/train/mod.ts";
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import type { FrameLoss, Objective, SequenceBatch } from "../lib/train/mod.ts";

/**
 * Starts each of `backends` in turn (default: every backend that starts here)
 * and yields it with its row label, e.g. `webgpu (NVIDIA H200)`.
 */
export async function* eachBackend(
  backends?: BackendName[],
): AsyncGenerator<{ backend: BackendName; info: BackendInfo; label: string }> {
  for (const backend of backends ?? await availableBackends()) {
    const info = await initBackend({ prefer: backend });
    yield { backend, info, label: info.adapter ? `${backend} (${info.adapter})` : backend };
  }
}

/** Median of `xs` (mean of the two middle values for an even count). */
export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function* repeat(x: Float32Array, shape: [number, number, number]): Generator<SequenceBatch> {
  const indices = Int32Array.from({ length: shape[0] }, (_, i) => i);
  while (true) yield { indices, epoch: 0, x, shape };
}

/**
 * Times `warmup + timed` full `pretrain` steps (FeatureProjector + `loss` +
 * AdamW) on one seeded `[B, T, F]` batch of |N(0, 1)| values; returns the
 * timed steps' durations (ms).
 */
export async function timeTrainSteps(
  shape: { B: number; T: number; F: number },
  loss: FrameLoss,
  warmup: number,
  timed: number,
): Promise<number[]> {
  const encoder = createFeatureProjector({ inFeatures: shape.F, seed: 1 });
  return (await timeSteps(shape, encoder, { loss }, warmup, timed)).wallMs;
}

/** Per-step durations: wall clock, and this process's CPU time (user + system). */
export interface StepTimes {
  wallMs: number[];
  /**
   * CPU time of the process per step: what a step costs a worker that has a
   * core to itself, much less inflated than wall time when other processes
   * compete for the cores (tfjs' wasm backend computes on one thread).
   */
  cpuMs: number[];
}

/**
 * Times `warmup + timed` `pretrain` steps of `encoder` (disposed afterwards)
 * with a per-frame `loss` or a full `objective` on one seeded `[B, T, F]`
 * batch of |N(0, 1)| values; returns the timed steps' durations.
 */
export async function timeSteps(
  { B, T, F }: { B: number; T: number; F: number },
  encoder: Encoder,
  train: { loss: FrameLoss } | { objective: Objective },
  warmup: number,
  timed: number,
): Promise<StepTimes> {
  const rng = makeRng(1);
  const x = Float32Array.from({ length: B * T * F }, () => Math.abs(rng.normal()));
  const cpu = () => {
    const { user, system } = cpuUsage();
    return (user + system) / 1000;
  };
  const wall: number[] = [performance.now()];
  const cpus: number[] = [cpu()];
  try {
    await pretrain({
      encoder,
      ...train,
      batches: repeat(x, [B, T, F]),
      steps: warmup + timed,
      mode: "reference",
      onStep: () => {
        wall.push(performance.now());
        cpus.push(cpu());
      },
    });
  } finally {
    encoder.dispose();
  }
  const steps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]).slice(warmup);
  return { wallMs: steps(wall), cpuMs: steps(cpus) };
}

/**
 * Median wall ms of `tf.matMul(a, b, transposeA, transposeB)` with its result
 * read back, over `runs` calls after 2 warm-up calls.
 */
export async function timeProduct(
  a: Tensor,
  b: Tensor,
  { transposeA = false, transposeB = false, runs = 7 } = {},
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs + 2; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b, transposeA, transposeB);
    await c.data();
    c.dispose();
    if (i >= 2) times.push(performance.now() - start);
  }
  return median(times);
}
