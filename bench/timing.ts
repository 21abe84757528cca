/**
 * Timing helpers shared by the benchmark sections.
 *
 * @module
 */
import { availableBackends, initBackend } from "../lib/backend.ts";
import type { BackendInfo, BackendName } from "../lib/backend.ts";
import { createFeatureProjector } from "../lib/encoders/mod.ts";
import { makeRng } from "../lib/random.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { pretrain } from "../lib/train/mod.ts";
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
export function timeTrainSteps(
  shape: { B: number; T: number; F: number },
  loss: FrameLoss,
  warmup: number,
  timed: number,
): Promise<number[]> {
  const encoder = createFeatureProjector({ inFeatures: shape.F, seed: 1 });
  return timeSteps(shape, encoder, { loss }, warmup, timed);
}

/**
 * Times `warmup + timed` `pretrain` steps of `encoder` (disposed afterwards)
 * with a per-frame `loss` or a full `objective` on one seeded `[B, T, F]`
 * batch of |N(0, 1)| values; returns the timed steps' durations (ms).
 */
export async function timeSteps(
  { B, T, F }: { B: number; T: number; F: number },
  encoder: Encoder,
  train: { loss: FrameLoss } | { objective: Objective },
  warmup: number,
  timed: number,
): Promise<number[]> {
  const rng = makeRng(1);
  const x = Float32Array.from({ length: B * T * F }, () => Math.abs(rng.normal()));
  const stamps: number[] = [performance.now()];
  try {
    await pretrain({
      encoder,
      ...train,
      batches: repeat(x, [B, T, F]),
      steps: warmup + timed,
      mode: "reference",
      onStep: () => stamps.push(performance.now()),
    });
  } finally {
    encoder.dispose();
  }
  return stamps.slice(1).map((t, i) => t - stamps[i]).slice(warmup);
}
