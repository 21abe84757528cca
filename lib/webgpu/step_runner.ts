/**
 * The host side every fused step shares: queueing a step (checks, the batch
 * and the 16-byte AdamW step uniform, one submission), reading the losses and
 * flags of the pending steps (one `mapAsync`), copying trained parameters back
 * into the encoder's variables, and freeing the buffers.
 *
 * The step uniform of step `t` (1-based) holding slot `k` of the record:
 * `[k (u32), lr/(1 − 0.9ᵗ), √(1 − 0.999ᵗ), 0]`, AdamW's bias corrections.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";
import type { ParamLayout, RecordBuffers } from "./step_buffers.ts";
import { encodeSequence } from "./step_sequence.ts";
import type { Dispatch } from "./step_sequence.ts";

/** Losses and flags of the steps queued since the previous read. */
export interface StepRead {
  /** Loss of each step, in order. */
  losses: Float32Array;
  /** Per step: 0 finite, 1 non-finite, 2 not taken (guarded mode had stopped). */
  flags: Uint32Array;
}

/** A prepared fused step; see projector_step.ts and ts2vec_step.ts. */
export interface FusedProjectorStep {
  /** Compute dispatches of one step. */
  readonly dispatchesPerStep: number;
  /** Steps queued and not read yet. */
  readonly pending: number;
  /** Queues one step on `x` (`B·T·F` values, row-major `[B, T, F]`); reads nothing back. */
  step(x: Float32Array): void;
  /** Reads the losses and flags of the pending steps (one read-back). */
  read(): Promise<StepRead>;
  /** Copies the parameters (and any running statistics) into the encoder's variables. */
  writeBack(): Promise<void>;
  /** Frees every GPU buffer of the step. */
  destroy(): void;
}

/** Copies `sources` (buffer, bytes) one after the other into `target` and reads them (one mapAsync). */
export async function readBack(
  device: GPUDevice,
  sources: [GPUBuffer, number][],
  target: GPUBuffer,
): Promise<ArrayBuffer> {
  const commands = device.createCommandEncoder();
  let at = 0;
  for (const [source, bytes] of sources) {
    commands.copyBufferToBuffer(source, 0, target, at, bytes);
    at += bytes;
  }
  device.queue.submit([commands.finish()]);
  await target.mapAsync(GPUMapMode.READ, 0, at);
  const copy = target.getMappedRange(0, at).slice(0);
  target.unmap();
  return copy;
}

/** Records the whole sequence in one compute pass and submits it. */
export function submitSequence(device: GPUDevice, sequence: Dispatch[]): void {
  const commands = device.createCommandEncoder();
  encodeSequence(commands, sequence);
  device.queue.submit([commands.finish()]);
}

/** Assigns `values[offsets[name] …]` (flat, as `layout` says) to each of the encoder's parameters. */
export function assignParams(encoder: Encoder, layout: ParamLayout, values: Float32Array): void {
  for (const name of layout.names) {
    const v = encoder.params[name];
    const start = layout.offsets[name];
    tf.tidy(() => v.assign(tf.tensor(values.slice(start, start + v.size), v.shape)));
  }
}

/** What {@linkcode stepRunner} runs. */
export interface RunnerParts {
  /** The step's name in error messages ("FusedProjectorStep"). */
  name: string;
  device: GPUDevice;
  /** The record and the batch buffer `x`. */
  buffers: RecordBuffers & { x: GPUBuffer };
  sequence: Dispatch[];
  /** Values of one batch, `B·T·F`. */
  size: number;
  /** Slots of the loss record: steps between reads. */
  readEvery: number;
  /** AdamW learning rate (of the step uniform). */
  lr: number;
  /** Writes the step's own per-step inputs besides `x` (called once a step, after the checks). */
  upload?: () => void;
  writeBack: () => Promise<void>;
}

/**
 * The {@linkcode FusedProjectorStep} over a built sequence: `step` checks `x`
 * and the record, calls `upload`, writes `x` and the step uniform and submits
 * the sequence; `read` copies the pending slots of `losses` and `flags` into
 * `staging` and maps it once.
 */
export function stepRunner(parts: RunnerParts): FusedProjectorStep {
  const { name, device, buffers, sequence, size, readEvery, lr } = parts;
  let t = 0, pending = 0, destroyed = false;
  const stepBytes = new ArrayBuffer(16);
  const stepView = new DataView(stepBytes);
  const alive = (what: string) => {
    if (destroyed) throw new OptionError(`${name}.${what}: the step was destroyed`);
  };
  return {
    dispatchesPerStep: sequence.length,
    get pending() {
      return pending;
    },
    step(x: Float32Array): void {
      alive("step");
      if (x.length !== size) {
        throw new ShapeError(`${name}.step: x has ${x.length} values, expected B·T·F = ${size}`);
      }
      if (pending >= readEvery) {
        throw new OptionError(
          `${name}.step: ${pending} steps unread; call read() every ≤ ${readEvery} steps`,
        );
      }
      parts.upload?.();
      t++;
      stepView.setUint32(0, pending, true);
      stepView.setFloat32(4, lr / (1 - 0.9 ** t), true);
      stepView.setFloat32(8, Math.sqrt(1 - 0.999 ** t), true);
      device.queue.writeBuffer(buffers.x, 0, x as Float32Array<ArrayBuffer>);
      device.queue.writeBuffer(buffers.step, 0, stepBytes);
      submitSequence(device, sequence);
      pending++;
    },
    async read(): Promise<StepRead> {
      alive("read");
      const k = pending;
      if (k === 0) return { losses: new Float32Array(0), flags: new Uint32Array(0) };
      const sources: [GPUBuffer, number][] = [[buffers.losses, k * 4], [buffers.flags, k * 4]];
      const bytes = await readBack(device, sources, buffers.staging);
      pending = 0;
      return {
        losses: new Float32Array(bytes, 0, k).slice(),
        flags: new Uint32Array(bytes, k * 4, k).slice(),
      };
    },
    writeBack(): Promise<void> {
      alive("writeBack");
      return parts.writeBack();
    },
    destroy(): void {
      if (destroyed) return;
      destroyed = true;
      for (const buffer of buffers.all) buffer.destroy();
    },
  };
}
