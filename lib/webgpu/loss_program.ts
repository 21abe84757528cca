/**
 * The fused step's LS_MARGIN programs run on their own, on given embeddings
 * and sim vector: the loss and its gradient as the training step computes
 * them, so that they can be held to the reference losses' goldens.
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";
import { webGpuDevice } from "./counters.ts";
import {
  allocateLossMatrices,
  storageAllocator,
  USAGE_READ,
  USAGE_UNIFORM,
} from "./step_buffers.ts";
import { addLoss, encodeSequence, sequenceBuilder } from "./step_sequence.ts";

/** Options of {@linkcode fusedLsMarginValueAndGrad}. */
export interface FusedLsMarginOptions {
  temperature: number;
  margin: number;
  /** γ (default 0.05, the reference's). */
  gamma?: number;
}

/**
 * LS_MARGIN_LOSS (lib/losses `lsMarginLoss`) and `∂L/∂z` through the fused
 * step's WGSL programs, on the active webgpu backend's device:
 * `ℓ_k = S_{k+1,k}`, `num_k = exp(ℓ_{k+1}/τ) + exp(ℓ_k/τ)`,
 * `E_ij = exp(γ/τ·(−(1−v_j)·½S_ij² + v_j·½·max(0, m − S_ij)²))` (i ≠ j),
 * `L = −mean_k log(num_k/((Σ_i E_ik − exp(ℓ_k/τ)) + (Σ_i E_{i,k+1} − num_k) + num_k))`.
 *
 * Shapes: `z [N, D]` (N ≥ 3), `v [N]` (the "double" sim vector), row-major →
 * `loss`, `gradZ [N, D]`.
 *
 * @example
 * ```ts ignore
 * const { loss, gradZ } = await fusedLsMarginValueAndGrad(z, v, 10, 8, { temperature: 0.1, margin: 5 });
 * ```
 *
 * @throws {ShapeError} when the lengths do not match `N`, `D` or N < 3.
 */
export async function fusedLsMarginValueAndGrad(
  z: Float32Array,
  v: Float32Array,
  N: number,
  D: number,
  options: FusedLsMarginOptions,
): Promise<{ loss: number; gradZ: Float32Array }> {
  if (N < 3 || z.length !== N * D || v.length !== N) {
    throw new ShapeError(
      `fusedLsMarginValueAndGrad: expected z [N ≥ 3, D] = [${N}, ${D}] and v [${N}], ` +
        `got ${z.length} and ${v.length} values`,
    );
  }
  if (!(options.temperature > 0)) {
    throw new OptionError(`fusedLsMarginValueAndGrad: temperature must be > 0`);
  }
  const device = webGpuDevice();
  const all: GPUBuffer[] = [];
  const storage = storageAllocator(device, all);
  try {
    const zBuffer = storage(N * D, z as Float32Array<ArrayBuffer>);
    const b = {
      ...allocateLossMatrices(storage, N, D, 2, v as Float32Array<ArrayBuffer>),
      gradA: storage(N * D),
      losses: storage(1),
    };
    const step = device.createBuffer({ size: 16, usage: USAGE_UNIFORM });
    all.push(step);
    device.queue.writeBuffer(step, 0, new Uint32Array(4)); // slot 0
    const { add, sequence } = sequenceBuilder(device, { all, step });
    addLoss(add, { N, D }, b, { kind: "ls-margin", form: "ls", gamma: 0.05, ...options }, zBuffer);
    const commands = device.createCommandEncoder();
    encodeSequence(commands, sequence);
    const staging = device.createBuffer({ size: (1 + N * D) * 4, usage: USAGE_READ });
    all.push(staging);
    commands.copyBufferToBuffer(b.losses, 0, staging, 0, 4);
    commands.copyBufferToBuffer(b.gradA, 0, staging, 4, N * D * 4);
    device.queue.submit([commands.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const values = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    return { loss: values[0], gradZ: values.slice(1) };
  } finally {
    for (const buffer of all) buffer.destroy();
  }
}
