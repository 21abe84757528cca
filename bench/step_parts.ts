/**
 * Where a training step's time goes, per paper shape × FeatureProjector
 * variant (bench/variants.ts), on the active backend (wasm for the study's
 * workers): the whole `pretrain` step beside its parts, each timed alone on
 * the same encoder, loss and batch:
 *
 * - `uploadMs`: the batch `[B, T, F]` made a tensor (`tf.tensor3d`);
 * - `encoderMs`: the FeatureProjector forward + backward in train mode under
 *   a linear loss `Σ z ⊙ c` (its GFLOP/s from the layers' products:
 *   `2N·(F·128 + 128·64 + 64·D)` forward, as much for `∂W`, and
 *   `2N·(128·64 + 64·D)` for the input gradients of layers 2 and 3);
 * - `nnMs`: the loss's two N×N products, `S = U·Uᵀ` (`[N, D]·[D, N]`, from
 *   N = 256 its lower triangle, about half of `2N²D` flops on wasm, as
 *   `symmetricGram` forms it) and the backward `H·U` (`[N, N]·[N, D]`,
 *   `2N²D`), timed alone on fresh operands, with their GFLOP/s on the flops
 *   done beside the wasm SIMD multiply + add limit (bench/wasm_peak.ts);
 * - `lossRestMs`: the loss forward + backward with respect to `z` (sim vector
 *   included), less `nnMs`: the element-wise passes, reductions and O(N) tail;
 * - `adamwMs`: one AdamW update of every parameter;
 * - `otherMs`: the step less those parts (the tape, reshapes, the loss read).
 *
 * Parts are process CPU time, the least of 5 after 2 warm-ups (the step's
 * too, beside its median wall time): the least disturbed run, far less
 * inflated than wall time when other processes share the cores.
 *
 * @module
 */
import { cpuUsage } from "node:process";
import { tf } from "../lib/tf.ts";
import type { Scalar, Tensor, Tensor2D, Tensor3D } from "../lib/tf.ts";
import { initBackend } from "../lib/backend.ts";
import type { Encoder } from "../lib/encoders/mod.ts";
import { adamw } from "../lib/optim/mod.ts";
import { BLOCKED_MIN_ROWS, SYMMETRIC_BLOCKS, symmetricGram } from "../lib/losses/mod.ts";
import type { FrameLoss } from "../lib/train/mod.ts";
import { makeRng } from "../lib/random.ts";
import { median, timeSteps } from "./timing.ts";

const least = (xs: number[]) => Math.min(...xs);
import { STUDY_SHAPES, variantStep } from "./variants.ts";
import type { StepVariant, StudyShape } from "./variants.ts";
import { wasmSimdPeak } from "./wasm_peak.ts";
import { PRODUCT_KERNELS, timeKernels } from "./kernel_timer.ts";
import { tapKernelsActive } from "../lib/ts2vec/mod.ts";
import { GEMM_COLUMNS, GEMM_ROWS, wasmGramActive } from "../lib/wasm/mod.ts";

/** The FeatureProjector variants broken down (the TS2Vec ones train another encoder). */
export const PART_VARIANTS: readonly StepVariant[] = [
  "infonce",
  "emargin-reference",
  "emargin-stable",
  "infonce+vrns",
];

const WARMUP = 2, REPEATS = 5;
/** TS2Vec steps per row (each step draws its own crop: means over the same steps). */
const TS2VEC_STEPS = 9;

/** Flops of a FeatureProjector forward + backward on `n` frames (`F → 128 → 64 → D`). */
export function encoderFlops(n: number, inFeatures: number, outFeatures: number): number {
  const forward = 2 * n * (inFeatures * 128 + 128 * 64 + 64 * outFeatures);
  const inputGradients = 2 * n * (128 * 64 + 64 * outFeatures);
  return 2 * forward + inputGradients;
}

/** Flops of one of the loss's two N×N products, `[N, D]·[D, N]` or `[N, N]·[N, D]`. */
export function nnFlops(n: number, d: number): number {
  return 2 * n * n * d;
}

/**
 * Flops of `S = U·Uᵀ` as the losses multiply it, from
 * {@linkcode BLOCKED_MIN_ROWS} rows: on wasm (`"tiles"`) the GEMM's tiles
 * that meet `j ≤ i` (lib/wasm/gram.ts; rows of padded tiles not counted),
 * elsewhere (`"blocks"`) the lower block triangle of `blocks` runs of
 * `⌈N/blocks⌉` rows.
 */
export function gramFlops(
  n: number,
  d: number,
  layout: "tiles" | "blocks" = wasmGramActive() ? "tiles" : "blocks",
  blocks: number = SYMMETRIC_BLOCKS,
): number {
  if (n < BLOCKED_MIN_ROWS) return nnFlops(n, d);
  let flops = 0;
  if (layout === "tiles") {
    for (let r0 = 0; r0 < n; r0 += GEMM_ROWS) {
      const last = Math.floor(Math.min(r0 + GEMM_ROWS - 1, n - 1) / GEMM_COLUMNS);
      flops += 2 * Math.min(GEMM_ROWS, n - r0) * Math.min(n, GEMM_COLUMNS * (last + 1)) * d;
    }
    return flops;
  }
  const size = Math.ceil(n / blocks);
  const runs: number[] = [];
  for (let s = 0; s < n; s += size) runs.push(Math.min(size, n - s));
  runs.forEach((rows, a) => runs.slice(0, a + 1).forEach((cols) => flops += 2 * rows * cols * d));
  return flops;
}

/** The measured parts of a step (ms). */
export interface StepParts {
  stepMs: number;
  uploadMs: number;
  encoderMs: number;
  lossMs: number;
  nnMs: number;
  adamwMs: number;
}

/** The step split into disjoint parts: the loss less its products, and the remainder. */
export function splitStep(p: StepParts): { lossRestMs: number; otherMs: number } {
  return {
    lossRestMs: p.lossMs - p.nnMs,
    otherMs: p.stepMs - p.uploadMs - p.encoderMs - p.lossMs - p.adamwMs,
  };
}

const cpuMs = () => {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
};

/** Least process CPU ms of `run` (which disposes what it makes) after warm-ups. */
function cpuLeast(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + REPEATS; i++) {
    const start = cpuMs();
    run();
    if (i >= WARMUP) times.push(cpuMs() - start);
  }
  return least(times);
}

/** A fresh copy of `x` (so a product repacks its operand as in the step), read before timing. */
function fresh(x: Tensor): Tensor2D {
  const copy = tf.add(x, 0) as Tensor2D;
  copy.dataSync();
  return copy;
}

/**
 * CPU ms of `S = U·Uᵀ` as the losses form it (blocked from
 * {@linkcode BLOCKED_MIN_ROWS} rows, in place on wasm, assembled elsewhere) plus `H·U` at
 * `[N, D]`, each on fresh operands, and their GFLOP/s on the flops done.
 */
function timeProducts(n: number, d: number): { ms: number; gflops: [number, number] } {
  const u = tf.randomNormal([n, d], 0, 1, "float32", 1);
  const h = tf.randomNormal([n, n], 0, 1, "float32", 2);
  const uT = tf.transpose(u);
  const gram = n >= BLOCKED_MIN_ROWS
    ? timeAlone(() => [fresh(u), fresh(uT)], (a) => symmetricGram(a))
    : timeAlone(() => [fresh(u), fresh(uT)], (a, b) => tf.matMul(a, b));
  const back = timeAlone(() => [fresh(h), fresh(u)], (a, b) => tf.matMul(a, b));
  tf.dispose([u, h, uT]);
  return {
    ms: gram + back,
    gflops: [gramFlops(n, d) / gram / 1e6, nnFlops(n, d) / back / 1e6],
  };
}

/** Least CPU ms of `op` on inputs made (untimed) by `make`, read back. */
function timeAlone(make: () => Tensor2D[], op: (a: Tensor2D, b: Tensor2D) => Tensor): number {
  const times: number[] = [];
  for (let i = 0; i < WARMUP + REPEATS; i++) {
    const [a, b] = make();
    const start = cpuMs();
    const c = op(a, b);
    c.dataSync();
    if (i >= WARMUP) times.push(cpuMs() - start);
    tf.dispose([a, b, c]);
  }
  return least(times);
}

/** The batch of `timeSteps` (seeded |N(0, 1)|), as a flat array. */
function batchValues({ B, T, F }: StudyShape): Float32Array {
  const rng = makeRng(1);
  return Float32Array.from({ length: B * T * F }, () => Math.abs(rng.normal()));
}

/** CPU ms of the upload, the encoder, the loss and AdamW, each alone. */
function timeParts(
  shape: StudyShape,
  encoder: Encoder,
  loss: FrameLoss,
): Omit<StepParts, "stepMs" | "nnMs"> {
  const { B, T, F } = shape;
  const n = B * T, d = encoder.outFeatures;
  const values = batchValues(shape);
  const uploadMs = cpuLeast(() => tf.tensor3d(values, [B, T, F]).dispose());
  const x = tf.tensor3d(values, [B, T, F]);
  const weights = tf.randomNormal([B, T, d], 0, 1, "float32", 3);
  const params = Object.values(encoder.params);
  const encoderGrads = () =>
    tf.variableGrads(
      () => tf.sum(tf.mul(encoder.apply(x as Tensor3D, { training: true }), weights)) as Scalar,
      params,
    );
  const encoderMs = cpuLeast(() => {
    const { value, grads } = encoderGrads();
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  });
  const z = tf.tidy(() => tf.reshape(encoder.apply(x, { training: false }), [n, d])) as Tensor2D;
  const frames = tf.reshape(x, [n, F]) as Tensor2D;
  const lossMs = cpuLeast(() => {
    const { value, grad } = tf.valueAndGrad((e: Tensor2D) => loss(e, frames))(z);
    grad.dataSync();
    tf.dispose([value, grad]);
  });
  const { grads } = encoderGrads();
  const byKey: Record<string, Tensor> = {};
  for (const [key, v] of Object.entries(encoder.params)) byKey[key] = grads[v.name];
  const optimizer = adamw(encoder.params);
  const adamwMs = cpuLeast(() => {
    optimizer.step(byKey);
    params[0].dataSync();
  });
  optimizer.dispose();
  tf.dispose([x, weights, z, frames, ...Object.values(grads)]);
  return { uploadMs, encoderMs, lossMs, adamwMs };
}

/** One row: the step and its parts for a shape and a FeatureProjector variant. */
async function partsRow(
  shape: StudyShape,
  variant: StepVariant,
  limit: number | null,
): Promise<Record<string, unknown>> {
  const n = shape.B * shape.T;
  const step = variantStep(shape, variant);
  const { wallMs, cpuMs: stepCpu } = await timeSteps(shape, step.encoder, step.train, 2, 5);
  const { encoder, train } = variantStep(shape, variant);
  if (!("loss" in train)) throw new Error(`step_parts: ${variant} has no per-frame loss`);
  const parts = timeParts(shape, encoder, train.loss);
  encoder.dispose();
  const products = timeProducts(n, encoder.outFeatures);
  const measured: StepParts = { stepMs: least(stepCpu), nnMs: products.ms, ...parts };
  const { lossRestMs, otherMs } = splitStep(measured);
  const d = encoder.outFeatures;
  const nnGflops = (gramFlops(n, d) + nnFlops(n, d)) / products.ms / 1e6;
  return {
    dataset: shape.dataset,
    variant,
    N: n,
    stepMs: median(wallMs),
    stepCpuMs: measured.stepMs,
    uploadMs: parts.uploadMs,
    encoderMs: parts.encoderMs,
    encoderGflops: encoderFlops(n, shape.F, encoder.outFeatures) / parts.encoderMs / 1e6,
    nnMs: products.ms,
    nnGflops,
    gramGflops: products.gflops[0],
    backGflops: products.gflops[1],
    lossRestMs,
    adamwMs: parts.adamwMs,
    otherMs,
    limitGflops: limit,
    nnOfLimit: limit ? nnGflops / limit : null,
  };
}

/**
 * One TS2Vec row: the step beside its products. Three fresh encoders with
 * the same seeds draw the same crops: the first warms the JIT up; the second
 * times `TS2VEC_STEPS` steps (process CPU per step); the third runs the same
 * steps with every call of the product kernels (`BatchMatMul`, the dilated
 * convolution's tap kernels or tfjs' convolutions) timed. The rest is the
 * step less its products, both as means over the same steps.
 */
async function ts2vecPartsRow(
  shape: StudyShape,
  limit: number | null,
): Promise<Record<string, unknown>> {
  tapKernelsActive(4, 4); // registers the tap kernels so that they are timed
  const warm = variantStep(shape, "ts2vec");
  await timeSteps(shape, warm.encoder, warm.train, 0, WARMUP);
  const plain = variantStep(shape, "ts2vec");
  const { wallMs, cpuMs: stepCpu } = await timeSteps(
    shape,
    plain.encoder,
    plain.train,
    0,
    TS2VEC_STEPS,
  );
  const timed = variantStep(shape, "ts2vec");
  const products = await timeKernels(
    PRODUCT_KERNELS,
    () => timeSteps(shape, timed.encoder, timed.train, 0, TS2VEC_STEPS),
  );
  const stepCpuMs = stepCpu.reduce((a, b) => a + b, 0) / TS2VEC_STEPS;
  const productsMs = products.ms / TS2VEC_STEPS, gflops = products.flops / products.ms / 1e6;
  return {
    dataset: shape.dataset,
    variant: "ts2vec",
    stepMs: median(wallMs),
    stepCpuMs,
    productsMs,
    productsGflops: gflops,
    productCalls: products.calls / TS2VEC_STEPS,
    restMs: stepCpuMs - productsMs,
    limitGflops: limit,
    productsOfLimit: limit ? gflops / limit : null,
  };
}

/** The breakdown rows, one per shape × FeatureProjector variant, then TS2Vec's per shape. */
export async function benchStepParts(): Promise<
  {
    rows: Record<string, unknown>[];
    tables: Record<string, Record<string, unknown>[]>;
    notes: string[];
  }
> {
  const backend = (await initBackend()).name;
  const limit = backend === "wasm" ? (await wasmSimdPeak()).gflops : null;
  const rows: Record<string, unknown>[] = [];
  const ts2vecRows: Record<string, unknown>[] = [];
  for (const shape of STUDY_SHAPES) {
    for (const variant of PART_VARIANTS) rows.push(await partsRow(shape, variant, limit));
    ts2vecRows.push(await ts2vecPartsRow(shape, limit));
  }
  const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  return {
    rows,
    tables: { ts2vec: ts2vecRows },
    notes: [
      `${backend} backend, tfjs ${tf.version.tfjs}; load average after: ${load}`,
      "stepMs is the median wall time; every other …Ms process CPU time, the least of 5 after 2 warm-ups; otherMs = stepCpuMs − upload − encoder − loss − AdamW",
      "nnMs: the loss's two N×N products (S from its lower block triangle from N = 256, as the losses form it) timed alone on fresh operands; lossRestMs = loss forward + backward − nnMs",
      limit
        ? `limitGflops: wasm SIMD multiply + add limit (bench/wasm_peak.ts); nnOfLimit = nnGflops / limitGflops`
        : "no wasm SIMD limit on this backend",
      `TS2Vec rows: means over the same ${TS2VEC_STEPS} steps (the same crops) of two fresh encoders after a warm-up one: stepCpuMs from the first, productsMs the product kernels' own time in the second (BatchMatMul and the dilated convolution's kernels, each call timed), productsGflops their flops over it; restMs = stepCpuMs − productsMs; stepMs the first's median wall time`,
    ],
  };
}

if (import.meta.main) {
  const { rows, tables, notes } = await benchStepParts();
  console.table(rows);
  console.table(tables.ts2vec);
  for (const note of notes) console.log(note);
}
