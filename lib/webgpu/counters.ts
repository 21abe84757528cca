/**
 * Counts what a piece of work asks of the WebGPU device: compute dispatches,
 * buffer and bind-group creations, queue submissions, uploads and read-backs.
 * These counts, not the arithmetic, bound a training step's speed at the
 * study's sizes (N = 1600 frames, D = 320), and they are the same on a real
 * GPU and on Mesa's llvmpipe software adapter, so tests can hold them.
 *
 * The counter wraps methods of one `GPUDevice` (tfjs' WebGPU backend keeps
 * one, `(tf.backend() as WebGPUBackend).device`) as instance properties:
 * - `dispatches`: `dispatchWorkgroups` / `dispatchWorkgroupsIndirect` on every
 *   compute pass of every command encoder the device creates;
 * - `buffers`, `bindGroups`: `createBuffer`, `createBindGroup`;
 * - `submits`: `queue.submit` calls; `writes`: `queue.writeBuffer` uploads;
 * - `mapReads`: `GPUBuffer.mapAsync` calls (GPU → host read-backs; counted on
 *   the prototype, as tfjs reuses pooled staging buffers);
 * - `tensorReads`: the backend's `read` / `readSync` (tfjs `data()` /
 *   `dataSync()`), including reads of values tfjs kept on the host.
 * {@linkcode GpuCounter.uninstall} restores every wrapped method.
 *
 * @example Counting one tfjs op on the webgpu backend
 * ```ts ignore
 * import { tf } from "../tf.ts";
 * import { countWebGpu } from "./counters.ts";
 * const counter = countWebGpu();
 * const y = tf.square(tf.ones([4096]));
 * await y.data();
 * console.log(counter.snapshot()); // { dispatches: 2, …, mapReads: 1, tensorReads: 1 }
 * counter.uninstall();
 * ```
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { OptionError } from "../errors.ts";

/** What one stretch of work asked of the device (see the module doc). */
export interface GpuCounts {
  /** Compute dispatches (`dispatchWorkgroups`, direct or indirect). */
  dispatches: number;
  /** `device.createBuffer` calls. */
  buffers: number;
  /** `device.createBindGroup` calls. */
  bindGroups: number;
  /** `queue.submit` calls. */
  submits: number;
  /** `queue.writeBuffer` uploads. */
  writes: number;
  /** `GPUBuffer.mapAsync` calls (read-backs from the GPU). */
  mapReads: number;
  /** tfjs `data()` / `dataSync()` reads through the backend (host-held values included). */
  tensorReads: number;
}

/** A live counter installed on a device; see {@linkcode countDevice}. */
export interface GpuCounter {
  /** Counts since installation or the last {@linkcode GpuCounter.reset}. */
  snapshot(): GpuCounts;
  /** Sets every count to 0. */
  reset(): void;
  /** Restores the wrapped methods (idempotent). */
  uninstall(): void;
}

/** A fresh all-zero count. */
export function zeroCounts(): GpuCounts {
  return {
    dispatches: 0,
    buffers: 0,
    bindGroups: 0,
    submits: 0,
    writes: 0,
    mapReads: 0,
    tensorReads: 0,
  };
}

/** `a − b`, field by field. */
export function subtractCounts(a: GpuCounts, b: GpuCounts): GpuCounts {
  const out = zeroCounts();
  for (const key of Object.keys(out) as (keyof GpuCounts)[]) out[key] = a[key] - b[key];
  return out;
}

/** `x / n`, field by field (per-step averages). */
export function divideCounts(x: GpuCounts, n: number): GpuCounts {
  if (!(n > 0)) throw new OptionError(`divideCounts: n must be > 0, got ${n}`);
  const out = zeroCounts();
  for (const key of Object.keys(out) as (keyof GpuCounts)[]) out[key] = x[key] / n;
  return out;
}

// deno-lint-ignore no-explicit-any
type AnyFn = (...args: any[]) => any;

/** Replaces `target[key]` by a counting wrapper; returns the undo. */
function wrap<T extends object>(
  target: T,
  key: string,
  around: (original: AnyFn) => AnyFn,
): () => void {
  const record = target as Record<string, unknown>;
  const own = Object.prototype.hasOwnProperty.call(target, key);
  const previous = record[key];
  if (typeof previous !== "function") {
    throw new OptionError(`countDevice: ${key} is not a method of the object to wrap`);
  }
  record[key] = around((previous as AnyFn).bind(target));
  return () => {
    if (own) record[key] = previous;
    else delete record[key];
  };
}

/** The tfjs backend methods that serve `data()` and `dataSync()`. */
interface ReadingBackend {
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
}

// Installed counters that count mapAsync calls (the prototype is wrapped once).
const mapCounters = new Set<GpuCounts>();
let restoreMapAsync: (() => void) | null = null;

function countMapAsync(counts: GpuCounts): () => void {
  mapCounters.add(counts);
  const proto = (globalThis as { GPUBuffer?: { prototype: object } }).GPUBuffer?.prototype;
  if (proto && restoreMapAsync === null) {
    const original = (proto as { mapAsync: AnyFn }).mapAsync;
    (proto as { mapAsync: AnyFn }).mapAsync = function (this: unknown, ...args: unknown[]) {
      for (const c of mapCounters) c.mapReads++;
      return original.apply(this, args);
    };
    restoreMapAsync = () => {
      (proto as { mapAsync: AnyFn }).mapAsync = original;
    };
  }
  return () => {
    mapCounters.delete(counts);
    if (mapCounters.size === 0 && restoreMapAsync) {
      restoreMapAsync();
      restoreMapAsync = null;
    }
  };
}

/**
 * Installs a counter on `device` (and, when given, on the tfjs `backend`
 * reading from it). Every count starts at 0.
 */
export function countDevice(device: GPUDevice, backend?: ReadingBackend): GpuCounter {
  const counts = zeroCounts();
  const undo: (() => void)[] = [];
  // wraps `target[key]` so that each call adds 1 to `counts[field]` first
  const count = (target: object, key: string, field: keyof GpuCounts): () => void =>
    wrap(target, key, (f) => (...a) => {
      counts[field]++;
      return f(...a);
    });
  const countPass = (pass: GPUComputePassEncoder): GPUComputePassEncoder => {
    count(pass, "dispatchWorkgroups", "dispatches");
    count(pass, "dispatchWorkgroupsIndirect", "dispatches");
    return pass;
  };
  undo.push(wrap(device, "createCommandEncoder", (f) => (...a) => {
    const encoder = f(...a) as GPUCommandEncoder;
    wrap(encoder, "beginComputePass", (g) => (...b) => countPass(g(...b)));
    return encoder;
  }));
  undo.push(count(device, "createBuffer", "buffers"));
  undo.push(count(device, "createBindGroup", "bindGroups"));
  undo.push(count(device.queue, "submit", "submits"));
  undo.push(count(device.queue, "writeBuffer", "writes"));
  if (backend) {
    undo.push(count(backend, "read", "tensorReads"));
    undo.push(count(backend, "readSync", "tensorReads"));
  }
  undo.push(countMapAsync(counts));
  let installed = true;
  return {
    snapshot: () => ({ ...counts }),
    reset() {
      // zeroed in place: the mapAsync wrapper holds this object
      for (const key of Object.keys(counts) as (keyof GpuCounts)[]) counts[key] = 0;
    },
    uninstall() {
      if (!installed) return;
      installed = false;
      for (const f of undo.reverse()) f();
    },
  };
}

/** The tfjs WebGPU backend's device, or an {@linkcode OptionError} when webgpu is not active. */
export function webGpuDevice(): GPUDevice {
  if (tf.getBackend() !== "webgpu") {
    throw new OptionError(
      `webGpuDevice: the active tfjs backend is "${tf.getBackend()}", expected "webgpu"`,
    );
  }
  return (tf.backend() as unknown as WebGPUBackend).device;
}

/** {@linkcode countDevice} on the active tfjs WebGPU backend, its reads included. */
export function countWebGpu(): GpuCounter {
  const backend = tf.backend() as unknown as ReadingBackend;
  return countDevice(webGpuDevice(), backend);
}

/** Per-step counts taken at step boundaries; see {@linkcode recordSteps}. */
export interface StepRecorder {
  /** Closes the current step (call it once after every step). */
  mark(): void;
  /** The counts of each closed step, in order. */
  readonly steps: readonly GpuCounts[];
}

/**
 * Splits `counter`'s counts into steps: each {@linkcode StepRecorder.mark}
 * records what was counted since the previous mark (or since this call).
 */
export function recordSteps(counter: GpuCounter): StepRecorder {
  const steps: GpuCounts[] = [];
  let last = counter.snapshot();
  return {
    mark() {
      const now = counter.snapshot();
      steps.push(subtractCounts(now, last));
      last = now;
    },
    steps,
  };
}
