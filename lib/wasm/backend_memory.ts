/**
 * tfjs' wasm backend as the kernels of this folder (and `lib/ts2vec`'s tap
 * kernels) see it: its heap, allocator, buffers and reference counts, none
 * of which are in its public types, and a reusable scratch area in its
 * memory.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { instantiateOn } from "./emit.ts";

/** The parts of tfjs' wasm backend the hand-written kernels use. */
export interface WasmBackendMemory {
  wasm: {
    HEAPF32: Float32Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
    asm?: { memory?: unknown };
  };
  /** Byte offset of a buffer in the heap. */
  getMemoryOffset(dataId: object): number;
  /** A new uninitialised buffer. */
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  /** One more reference to a buffer. */
  incRef(dataId: object): void;
  dataIdMap: { has(dataId: object): boolean };
}

/** The wasm backend once it has started (null before). */
export function wasmBackendMemory(): WasmBackendMemory | null {
  return tf.findBackend("wasm") as unknown as WasmBackendMemory | null;
}

/** The backend's memory, for kernels instantiated on it (null where it is not reachable). */
export function heapMemory(backend: WasmBackendMemory): WebAssembly.Memory | null {
  const memory = backend.wasm.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * A kernel module's set-up, run once on the started wasm backend: `setup`
 * instantiates and binds what the module needs, registers its tfjs kernels
 * and returns what its callers use. The function returned gives that value,
 * or null while the backend has not started or `setup` declines (returns
 * null); then the next call tries again.
 *
 * @example
 * ```ts
 * import { onWasmBackend } from "./backend_memory.ts";
 * const kernels = onWasmBackend((backend) => registerKernels(backend)); // runs once
 * const active = () => tf.getBackend() === "wasm" && kernels() !== null;
 * ```
 */
export function onWasmBackend<T>(setup: (backend: WasmBackendMemory) => T | null): () => T | null {
  let value: T | null = null;
  return () => {
    if (value === null) {
      const backend = wasmBackendMemory();
      value = backend && setup(backend);
    }
    return value;
  };
}

/**
 * {@linkcode onWasmBackend} for a module instantiated from `bytes()` on the
 * backend's memory: null where the memory is not reachable or the engine
 * does not validate the module.
 */
export function onWasmModule<T>(
  bytes: () => Uint8Array,
  setup: (backend: WasmBackendMemory, exports: WebAssembly.Exports) => T | null,
): () => T | null {
  return onWasmBackend((backend) => {
    const memory = heapMemory(backend);
    const exports = memory && instantiateOn(bytes(), memory);
    return exports ? setup(backend, exports) : null;
  });
}

/** Float offset of a tensor's data in the backend's heap. */
export function floatOffset(backend: WasmBackendMemory, t: tf.TensorInfo): number {
  return backend.getMemoryOffset(t.dataId) >>> 2;
}

/**
 * A scratch area in the backend's memory, grown (by half again at least)
 * when a call needs more: `reserve(floats)` returns its float offset, valid
 * until the next call. Views of the heap must be taken after it (growing
 * the memory detaches them).
 *
 * @example
 * ```ts
 * import { scratchSpace, wasmBackendMemory } from "./backend_memory.ts";
 * const backend = wasmBackendMemory();
 * if (backend) {
 *   const reserve = scratchSpace(backend);
 *   backend.wasm.HEAPF32.fill(0, reserve(1024), reserve(1024) + 1024);
 * }
 * ```
 */
export function scratchSpace(backend: WasmBackendMemory): (floats: number) => number {
  let pointer = 0, floats = 0;
  return (needed) => {
    if (needed > floats) {
      if (pointer !== 0) backend.wasm._free(pointer);
      floats = Math.max(needed, Math.ceil(floats * 1.5));
      pointer = backend.wasm._malloc(4 * floats) >>> 0;
    }
    return pointer >>> 2;
  };
}
