/**
 * Backend selection: WebGPU on a real GPU adapter, wasm otherwise, cpu as the
 * last fallback.
 *
 * @module
 */
import { EmarginError } from "./errors.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { tf } from "./tf.ts";
import type { Tensor } from "./tf.ts";

/** The TensorFlow.js backends this project runs on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** What `initBackend` may be asked for; "auto" picks the fastest usable one. */
export type BackendPreference = "auto" | BackendName;

/** The backend that is active after `initBackend`. */
export interface BackendInfo {
  /** Active tfjs backend. */
  name: BackendName;
  /** GPU adapter description (WebGPU only), e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  adapter: string | null;
  /** True when the WebGPU adapter is a software rasteriser (llvmpipe, SwiftShader). */
  isFallbackAdapter: boolean;
}

/** Options of {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** Backend wanted; the env var `EMARGIN_BACKEND` overrides it. Default "auto". */
  prefer?: BackendPreference;
}

/** Raised when a requested backend cannot be started. */
export class BackendError extends EmarginError {}

const BACKENDS: readonly BackendPreference[] = [
  "auto",
  "webgpu",
  "wasm",
  "cpu",
];

let wasmPathsSet = false;

interface GpuAdapterLike {
  info?: {
    description?: string;
    vendor?: string;
    device?: string;
    isFallbackAdapter?: boolean;
  };
  isFallbackAdapter?: boolean;
}

/** Describes the WebGPU adapter, or returns null when WebGPU is unavailable. */
export async function probeWebGpu(): Promise<
  { adapter: string; isFallbackAdapter: boolean } | null
> {
  const gpu = (globalThis.navigator as {
    gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> };
  })
    .gpu;
  if (!gpu) return null;
  let adapter: GpuAdapterLike | null = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch {
    return null;
  }
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const description = info.description ||
    [info.vendor, info.device].filter(Boolean).join(" ") ||
    "unknown adapter";
  const isFallbackAdapter = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) ||
    /llvmpipe|swiftshader|software/i.test(description);
  return { adapter: description, isFallbackAdapter };
}

function envPreference(): BackendPreference | undefined {
  let value: string | undefined;
  try {
    value = Deno.env.get("EMARGIN_BACKEND");
  } catch {
    return undefined; // no --allow-env: the option decides
  }
  if (value === undefined || value === "") return undefined;
  if (!(BACKENDS as readonly string[]).includes(value)) {
    throw new BackendError(
      `EMARGIN_BACKEND="${value}" is not a backend; expected one of ${BACKENDS.join(", ")}`,
    );
  }
  return value as BackendPreference;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === "wasm" && !wasmPathsSet) {
    const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
    setWasmPaths(new URL("./", entry).pathname);
    wasmPathsSet = true;
  }
  const quiet = console.warn;
  // tfjs reports a failed backend start with console.warn before returning false.
  console.warn = () => {};
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  } finally {
    console.warn = quiet;
  }
}

/**
 * Selects and starts a tfjs backend.
 *
 * "auto" = webgpu on a real (non-fallback) GPU adapter, wasm otherwise, cpu if
 * wasm fails. An explicit choice that cannot start raises {@linkcode BackendError}.
 * `EMARGIN_BACKEND=webgpu|wasm|cpu|auto` overrides `prefer`.
 */
export async function initBackend(
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const prefer = envPreference() ?? options.prefer ?? "auto";
  if (!(BACKENDS as readonly string[]).includes(prefer)) {
    throw new BackendError(
      `prefer="${prefer}" is not a backend; expected one of ${BACKENDS.join(", ")}`,
    );
  }
  const gpu = prefer === "auto" || prefer === "webgpu" ? await probeWebGpu() : null;
  if (prefer === "webgpu") {
    if (!gpu || !(await activate("webgpu"))) {
      throw new BackendError(
        "WebGPU backend requested but no WebGPU adapter could be started",
      );
    }
    return {
      name: "webgpu",
      adapter: gpu.adapter,
      isFallbackAdapter: gpu.isFallbackAdapter,
    };
  }
  if (
    prefer === "auto" && gpu && !gpu.isFallbackAdapter &&
    (await activate("webgpu"))
  ) {
    return { name: "webgpu", adapter: gpu.adapter, isFallbackAdapter: false };
  }
  if (prefer === "wasm" || prefer === "auto") {
    if (await activate("wasm")) {
      return { name: "wasm", adapter: null, isFallbackAdapter: false };
    }
    if (prefer === "wasm") {
      throw new BackendError("wasm backend requested but it failed to start");
    }
  }
  if (!(await activate("cpu"))) {
    throw new BackendError("cpu backend failed to start");
  }
  return { name: "cpu", adapter: null, isFallbackAdapter: false };
}

/** Lists the backends that start on this machine (for tests and the bench). */
export async function availableBackends(): Promise<BackendName[]> {
  const previous = tf.getBackend() as BackendName | undefined;
  const out: BackendName[] = [];
  for (const name of ["cpu", "wasm"] as const) {
    if (await activate(name)) out.push(name);
  }
  if ((await probeWebGpu()) && (await activate("webgpu"))) out.push("webgpu");
  if (previous) await activate(previous);
  return out;
}

/**
 * `t.dataSync()`, with tfjs' failure on the webgpu backend under Deno turned
 * into a {@linkcode BackendError} naming `what`.
 *
 * tfjs' webgpu backend reads GPU-resident data synchronously through an
 * OffscreenCanvas, which Deno does not have; there, read with
 * `await t.data()` and pass the array instead. Shape: any; returns `t.size`
 * values in row-major order, the tensor's own typed array (copy it to keep it).
 */
export function dataSyncOrThrow(
  t: Tensor,
  what: string,
): Float32Array | Int32Array | Uint8Array {
  try {
    return t.dataSync();
  } catch (err) {
    if (tf.getBackend() !== "webgpu") throw err;
    throw new BackendError(
      `${what}: the webgpu backend cannot read a tensor synchronously under Deno ` +
        `(${err instanceof Error ? err.message : err}); ` +
        "pass a Float32Array (await tensor.data()) or switch to wasm before creating the tensor",
      { cause: err },
    );
  }
}
