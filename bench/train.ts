/**
 * Training-step throughput of FeatureProjector + loss + AdamW (one full
 * `pretrain` step: forward, sim vector, loss, backward, update) on every
 * available backend, for a SleepEEG-shaped batch (8 × 200 × 90, N = 1600) and
 * a HARTH-shaped batch (8 × 119 × 156, N = 952), with the reference eMargin
 * loss (LS_MARGIN), LS-InfoNCE (LS_HATCL) and a trivial mean-square loss that
 * isolates the encoder and optimiser cost.
 *
 * Throughput = 1 / median step time over the timed steps, after warm-up steps.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor2D } from "../lib/tf.ts";
import type { BackendName } from "../lib/backend.ts";
import { lsHatclLoss, lsMarginLoss, simVector } from "../lib/losses/mod.ts";
import type { FrameLoss } from "../lib/train/mod.ts";
import { eachBackend, median, timeTrainSteps } from "./timing.ts";

interface Shape {
  dataset: string;
  B: number;
  T: number;
  F: number;
  temperature: number;
  margin: number;
}

const SHAPES: Shape[] = [
  { dataset: "SleepEEG", B: 8, T: 200, F: 90, temperature: 0.1, margin: 5 },
  { dataset: "HARTH", B: 8, T: 119, F: 156, temperature: 0.05, margin: 5 },
];
const THRESHOLD = 0.4;

function losses(shape: Shape): Record<string, FrameLoss> {
  const { temperature, margin } = shape;
  return {
    lsMarginLoss: (z: Tensor2D, x: Tensor2D) =>
      tf.tidy(() =>
        lsMarginLoss(
          z,
          simVector(x, { threshold: THRESHOLD, variant: "reference", length: "double" }),
          { temperature, margin },
        )
      ),
    lsHatclLoss: (z: Tensor2D) => lsHatclLoss(z, { temperature }),
    // Encoder and optimiser cost alone, for comparison with the loss cost.
    "meanSquare (encoder + AdamW only)": (z: Tensor2D) => tf.mean(tf.square(z)) as Scalar,
  };
}

/**
 * One row per backend × batch shape × loss, on `backends` (default: every
 * backend that starts here).
 */
export async function benchTrain(
  backends?: BackendName[],
): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const rows: Record<string, unknown>[] = [];
  const notes: string[] = [];
  for await (const { backend, info, label } of eachBackend(backends)) {
    // The software WebGPU adapter and the pure-JS cpu backend take seconds
    // per step at these sizes: fewer steps there, said in the row.
    const software = info.isFallbackAdapter;
    const [warmup, timed, note] = software
      ? [1, 2, "software WebGPU adapter: 1 warm-up + 2 timed steps"]
      : backend === "cpu"
      ? [1, 3, "pure-JS cpu backend: 1 warm-up + 3 timed steps"]
      : [2, 5, ""];
    for (const shape of SHAPES) {
      for (const [lossName, loss] of Object.entries(losses(shape))) {
        const ms = await timeTrainSteps(shape, loss, warmup, timed);
        const med = median(ms);
        rows.push({
          backend: label,
          dataset: shape.dataset,
          shape: `${shape.B}×${shape.T}×${shape.F}`,
          N: shape.B * shape.T,
          loss: lossName,
          warmup,
          steps: timed,
          msPerStep: med,
          itPerSec: 1000 / med,
          note,
        });
      }
    }
  }
  notes.push(
    "PyTorch on the same machine and shapes, with 1 thread and every core: the torch section (bench/torch.ts).",
  );
  return { rows, notes };
}

if (import.meta.main) {
  // `deno run -A bench/train.ts [backend …]`
  const { rows, notes } = await benchTrain(
    Deno.args.length ? Deno.args as BackendName[] : undefined,
  );
  console.table(rows);
  for (const note of notes) console.log(note);
}
