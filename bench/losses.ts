/**
 * Loss-only cost of the reference losses and the stable correction: one
 * forward + backward pass (`tf.valueAndGrad` w.r.t. z) on random ReLU
 * embeddings `z [N, 320]`, for N = 400 … 6400 on every available backend.
 *
 * Time = median of 5 timed passes after one warm-up pass, the gradient read
 * back to the host inside the timing. Memory = tfjs' peak bytes of live
 * tensors during one pass (`tf.profile`) and the process RSS afterwards.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor1D, Tensor2D } from "../lib/tf.ts";
import type { BackendName } from "../lib/backend.ts";
import { lsHatclLoss, lsMarginLoss, simVector, stableMarginLoss } from "../lib/losses/mod.ts";
import { fusedLsHatclLoss, fusedLsMarginLoss } from "../lib/losses/mod.ts";
import { eachBackend, median } from "./timing.ts";

const SIZES = [400, 800, 1600, 3200, 6400];
const D = 320;
const F = 90;
const TIMED = 5;
const SLEEP_CONFIG = { temperature: 0.1, margin: 5, threshold: 0.4 };

/**
 * Largest N run on a backend: the cpu backend's pure-JS matMul and llvmpipe's
 * software WebGPU are slow (≈ 2.5 s and 3–5 s per pass at N = 800); on wasm
 * the peak tensor memory of the unfused losses grows as ≈ 45 N×N float32
 * matrices (≈ 7 GiB at N = 6400), beyond the wasm32 heap of 4 GiB, while the
 * fused losses stay within it. A real GPU adapter runs every size.
 */
function maxN(backend: BackendName, softwareAdapter: boolean, fused: boolean): number {
  if (backend === "cpu" || (backend === "webgpu" && softwareAdapter)) return 800;
  if (backend === "wasm" && !fused) return 3200;
  return Infinity;
}

type LossOf = (z: Tensor2D, x: Tensor2D) => Scalar;

/** A loss of `(z, s)` with the reference's double-length sim vector `s` computed from `x`. */
function withSimVector(
  loss: (z: Tensor2D, s: Tensor1D, options: { temperature: number; margin: number }) => Scalar,
): LossOf {
  const { threshold, ...options } = SLEEP_CONFIG;
  return (z, x) =>
    tf.tidy(() =>
      loss(z, simVector(x, { threshold, variant: "reference", length: "double" }), options)
    );
}

const LOSSES: Record<string, LossOf> = {
  lsMarginLoss: withSimVector(lsMarginLoss),
  lsHatclLoss: (z) => lsHatclLoss(z, { temperature: SLEEP_CONFIG.temperature }),
  stableMarginLoss: (z, x) => stableMarginLoss(z, x, { ...SLEEP_CONFIG, form: "ls" }),
  fusedLsMarginLoss: withSimVector(fusedLsMarginLoss),
  fusedLsHatclLoss: (z) => fusedLsHatclLoss(z, { temperature: SLEEP_CONFIG.temperature }),
};

async function pass(loss: LossOf, z: Tensor2D, x: Tensor2D): Promise<number> {
  const start = performance.now();
  const { value, grad } = tf.valueAndGrad((q: Tensor2D) => loss(q, x))(z);
  await grad.data();
  await value.data();
  tf.dispose([value, grad]);
  return performance.now() - start;
}

/**
 * One row per backend × loss × N, on `backends` (default: every backend that
 * starts here); `onRow` sees each row as it is measured.
 */
export async function benchLosses(
  onRow: (row: Record<string, unknown>) => void = () => {},
  backends?: BackendName[],
): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const rows: Record<string, unknown>[] = [];
  for await (const { backend, info, label: device } of eachBackend(backends)) {
    for (const n of SIZES) {
      for (const [name, loss] of Object.entries(LOSSES)) {
        const limit = maxN(backend, info.isFallbackAdapter, name.startsWith("fused"));
        if (n > limit) {
          rows.push({ backend: device, loss: name, N: n, D, note: `skipped: N > ${limit}` });
          continue;
        }
        const z = tf.tidy(() => tf.relu(tf.randomNormal([n, D], 0, 1, "float32", n))) as Tensor2D;
        const x = tf.randomNormal([n, F], 0, 1, "float32", n + 1) as Tensor2D;
        await pass(loss, z, x); // warm-up: kernels and shaders
        const times: number[] = [];
        for (let i = 0; i < TIMED; i++) times.push(await pass(loss, z, x));
        const profile = await tf.profile(async () => {
          const { value, grad } = tf.valueAndGrad((q: Tensor2D) => loss(q, x))(z);
          await grad.data();
          tf.dispose([value, grad]);
        });
        tf.dispose([z, x]);
        const row = {
          backend: device,
          loss: name,
          N: n,
          D,
          medianMs: median(times),
          minMs: Math.min(...times),
          peakTensorMB: profile.peakBytes / 2 ** 20,
          rssMB: Deno.memoryUsage().rss / 2 ** 20,
        };
        rows.push(row);
        onRow(row);
      }
    }
  }
  return {
    rows,
    notes: [
      `forward + backward w.r.t. z [N, ${D}], SleepEEG config (τ 0.1, m 5, θ 0.4), median of ${TIMED}`,
      "peakTensorMB: tf.profile peak bytes of live tensors; rssMB: process RSS after the row",
    ],
  };
}

if (import.meta.main) {
  // `deno run -A bench/losses.ts [backend …]`
  const { rows, notes } = await benchLosses(
    (row) => console.error(JSON.stringify(row)),
    Deno.args.length ? Deno.args as BackendName[] : undefined,
  );
  console.table(rows);
  for (const note of notes) console.log(`note: ${note}`);
}
