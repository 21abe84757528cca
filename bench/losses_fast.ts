/**
 * Speed of the fused and tiled losses (lib/losses/fused) against the
 * reference formulation on the wasm backend:
 * - loss forward + backward at N = 400…6400, D = 320 (median of 5, 3 at 6400),
 *   and N = 16 000 tiled once, with the process's resident memory;
 * - the full training step (FeatureProjector + sim vector + LS_MARGIN +
 *   AdamW, one `pretrain` step) on a SleepEEG-shaped batch (8 × 200 × 90);
 * - the comparison with PyTorch is the `torch` section (bench/torch.ts), which
 *   times both sides in one run with stated thread counts.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import { lsHatclLoss, lsMarginLoss, simVector } from "../lib/losses/mod.ts";
import { fusedLsHatclLoss, fusedLsMarginLoss } from "../lib/losses/mod.ts";
import type { FrameLoss } from "../lib/train/mod.ts";
import { median, timeTrainSteps } from "./timing.ts";

const D = 320;
const TEMPERATURE = 0.1, MARGIN = 5, THRESHOLD = 0.4;
const TILE_ROWS = 512;

type Loss = (z: Tensor2D, v: Tensor1D, tileRows?: number) => Scalar;

const LOSSES: Record<string, { reference: Loss; fused: Loss }> = {
  lsMarginLoss: {
    reference: (z, v) => lsMarginLoss(z, v, { temperature: TEMPERATURE, margin: MARGIN }),
    fused: (z, v, tileRows) =>
      fusedLsMarginLoss(z, v, { temperature: TEMPERATURE, margin: MARGIN, tileRows }),
  },
  lsHatclLoss: {
    reference: (z) => lsHatclLoss(z, { temperature: TEMPERATURE }),
    fused: (z, _v, tileRows) => fusedLsHatclLoss(z, { temperature: TEMPERATURE, tileRows }),
  },
};

/** ReLU embeddings `[N, D]` and an all-ones sim vector (the reference's D1 outcome). */
function inputs(n: number): { z: Tensor2D; v: Tensor1D } {
  return {
    z: tf.relu(tf.randomNormal([n, D], 0, 1, "float32", n)) as Tensor2D,
    v: tf.ones([n]) as Tensor1D,
  };
}

/** Median ms of `repeats` forward + backward passes after one warm-up pass. */
function timeLoss(loss: Loss, n: number, repeats: number, tileRows?: number): number {
  const { z, v } = inputs(n);
  const once = () => {
    const { value, grad } = tf.valueAndGrad((x: Tensor2D) => loss(x, v, tileRows))(z);
    grad.dataSync();
    tf.dispose([value, grad]);
  };
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = performance.now();
    once();
    if (i > 0 || repeats === 0) times.push(performance.now() - t0);
  }
  tf.dispose([z, v]);
  return median(times);
}

/** Median ms of `timed` pretrain steps (after `warmup`) on one SleepEEG-shaped batch. */
async function timeTrainStep(loss: FrameLoss, warmup: number, timed: number): Promise<number> {
  return median(await timeTrainSteps({ B: 8, T: 200, F: 90 }, loss, warmup, timed));
}

function frameLoss(loss: Loss): FrameLoss {
  return (z, x) =>
    tf.tidy(() =>
      loss(z, simVector(x, { threshold: THRESHOLD, variant: "reference", length: "double" }))
    );
}

const mib = (bytes: number) => Math.round(bytes / 2 ** 20);

/** Runs the section; see the module documentation. */
export async function benchLossesFast(): Promise<
  { rows: Record<string, unknown>[]; notes?: string[] }
> {
  await initBackend({ prefer: "wasm" });
  const rows: Record<string, unknown>[] = [];
  const notes: string[] = [];

  // First, while the wasm heap is still small: N = 16 000 tiled, once.
  {
    const before = Deno.memoryUsage().rss;
    const ms = timeLoss(LOSSES.lsMarginLoss.fused, 16000, 0, TILE_ROWS);
    const after = Deno.memoryUsage().rss;
    rows.push({
      section: "loss",
      loss: "lsMarginLoss",
      N: 16000,
      D,
      path: `tiled (${TILE_ROWS} rows)`,
      ms,
      rssBeforeMiB: mib(before),
      rssAfterMiB: mib(after),
      underTwoGiB: after < 2 * 2 ** 30,
    });
  }

  for (const n of [400, 800, 1600, 3200, 6400]) {
    const repeats = n >= 6400 ? 3 : 5;
    for (const [name, loss] of Object.entries(LOSSES)) {
      if (name === "lsHatclLoss" && n !== 1600) continue;
      const row: Record<string, unknown> = { section: "loss", loss: name, N: n, D };
      // The reference and the untiled path hold several N×N matrices: skip them at 6400.
      if (n <= 3200) {
        row.referenceMs = timeLoss(loss.reference, n, repeats);
        row.fusedMs = timeLoss(loss.fused, n, repeats, n);
      }
      row.tiledMs = timeLoss(loss.fused, n, repeats, Math.min(TILE_ROWS, n));
      row.rssMiB = mib(Deno.memoryUsage().rss);
      rows.push(row);
    }
  }

  const trainReferenceMs = await timeTrainStep(frameLoss(LOSSES.lsMarginLoss.reference), 2, 5);
  const trainFusedMs = await timeTrainStep(frameLoss(LOSSES.lsMarginLoss.fused), 2, 5);
  rows.push({
    section: "train",
    shape: "SleepEEG 8×200×90",
    N: 1600,
    loss: "lsMarginLoss",
    referenceItPerSec: 1000 / trainReferenceMs,
    fusedItPerSec: 1000 / trainFusedMs,
  });

  notes.push(
    "wasm backend, single-threaded SIMD; times are medians of forward + backward passes.",
    `Tiled rows use blocks of ${TILE_ROWS} rows; resident memory is the whole process's.`,
  );
  return { rows, notes };
}

if (import.meta.main) {
  const { rows, notes } = await benchLossesFast();
  console.log(JSON.stringify(rows, null, 1));
  for (const note of notes ?? []) console.log(note);
}
