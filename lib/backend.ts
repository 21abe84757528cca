/**
 * Backend selection: on a real GPU adapter, WebGPU when a short calibration
 * (cached per adapter) finds it faster than wasm; wasm otherwise; cpu as the
 * last fallback. {@linkcode lastBackendChoice} says which and why.
 *
 * @module
 */
import { EmarginError } from "./errors.ts";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import {
  installSharedIdentity,
  installWasmGelu,
  installWasmGemm,
  installWasmRows,
  wasmGemmState,
} from "./wasm/mod.ts";
import { tf } from "./tf.ts";
import type { Tensor } from "./tf.ts";
import { join } from "node:path";
import { cacheDir } from "./paths.ts";
import { writeJsonAtomic } from "./io.ts";

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
  /**
   * What runs the wasm backend's matrix products: `"gemm-fma"` (the packed
   * GEMM of `lib/wasm/gemm.ts`), `"gemm"` (the same with a separate
   * multiply and add, where the engine lacks relaxed SIMD) or `"xnnpack"`
   * (tfjs' own kernel, in records written before the GEMM); absent off wasm.
   */
  products?: "gemm-fma" | "gemm" | "xnnpack";
}

/** Options of {@linkcode initBackend}. */
export interface InitBackendOptions {
  /** Backend wanted; the env var `EMARGIN_BACKEND` overrides it. Default "auto". */
  prefer?: BackendPreference;
  /** How "auto" compares webgpu with wasm on a GPU adapter. */
  calibration?: CalibrationOptions;
}

/** The calibration of "auto" (see {@linkcode initBackend}). */
export interface CalibrationOptions {
  /**
   * Milliseconds of one unit of the study's work on the active backend
   * (lower is faster). Default {@linkcode calibrationProbe}.
   */
  measure?: () => Promise<number>;
  /** JSON cache of results per adapter (default `cacheDir()/backend-calibration.json`). */
  cacheFile?: string;
  /** Calibrate on a software adapter too (tests; "auto" otherwise skips it). */
  includeSoftwareAdapter?: boolean;
}

/** The backend "auto" (or a request) ended on, and why, for report headers. */
export interface BackendChoice {
  name: BackendName;
  /** One sentence, e.g. "auto: webgpu measured 3.1 ms against wasm's 41.0 ms (cached)". */
  reason: string;
  /** The calibration's figures, when one decided. */
  calibration: { webgpuMs: number; wasmMs: number; cached: boolean } | null;
}

let lastChoice: BackendChoice | null = null;

/** What the latest {@linkcode initBackend} chose and why, or null before the first call. */
export function lastBackendChoice(): BackendChoice | null {
  return lastChoice;
}

/** Side of the calibration matrix: the study's N = B·T frames × D = 320 embeddings. */
const PROBE_ROWS = 1600;
const PROBE_COLS = 320;

/**
 * The default calibration: the study's dominant work, `exp(U·Uᵀ)` summed for
 * `U [1600, 320]` (the SleepEEG-shaped batch's similarity matrix), as tfjs
 * ops with one read-back; 1 warm-up, then the median of 3 (ms).
 */
export async function calibrationProbe(): Promise<number> {
  const u = tf.randomNormal([PROBE_ROWS, PROBE_COLS], 0, 0.05, "float32", 1);
  const once = async () => {
    const start = performance.now();
    const total = tf.tidy(() => tf.sum(tf.exp(tf.matMul(u, u, false, true))));
    await total.data();
    total.dispose();
    return performance.now() - start;
  };
  try {
    await once();
    const times = [await once(), await once(), await once()].sort((a, b) => a - b);
    return times[1];
  } finally {
    u.dispose();
  }
}

type CalibrationCache = Record<string, { webgpuMs: number; wasmMs: number; date: string }>;

async function readCalibrationCache(file: string): Promise<CalibrationCache> {
  try {
    const parsed = JSON.parse(await Deno.readTextFile(file));
    return parsed && typeof parsed === "object" ? parsed as CalibrationCache : {};
  } catch {
    return {}; // absent or unreadable: calibrate again
  }
}

/**
 * Times `measure` on webgpu and on wasm (or takes both from the cache, keyed
 * by adapter, Deno and tfjs versions) and activates the faster.
 */
async function calibrate(
  adapter: string,
  options: CalibrationOptions,
): Promise<BackendChoice | null> {
  const file = options.cacheFile ?? join(cacheDir(), "backend-calibration.json");
  const key = `${adapter} | deno ${Deno.version.deno} | tfjs ${tf.version_core}`;
  const cache = await readCalibrationCache(file);
  let entry = cache[key];
  const cached = entry !== undefined;
  if (!entry) {
    const measure = options.measure ?? calibrationProbe;
    if (!(await activate("webgpu"))) return null;
    const webgpuMs = await measure();
    if (!(await activate("wasm"))) return null;
    const wasmMs = await measure();
    entry = { webgpuMs, wasmMs, date: new Date().toISOString() };
    await writeJsonAtomic(file, { ...cache, [key]: entry });
  }
  const { webgpuMs, wasmMs } = entry;
  const name: BackendName = webgpuMs < wasmMs ? "webgpu" : "wasm";
  if (!(await activate(name))) return null;
  const figures = `webgpu ${webgpuMs.toFixed(1)} ms, wasm ${wasmMs.toFixed(1)} ms`;
  return {
    name,
    reason: `auto: ${name} is faster on ${adapter} for the study's work (${figures}` +
      `${cached ? `, calibrated ${entry.date.slice(0, 10)}` : ""})`,
    calibration: { webgpuMs, wasmMs, cached },
  };
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
    if (ok && name === "wasm") {
      installWasmGemm();
      installWasmGelu();
      installWasmRows();
      installSharedIdentity();
    }
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
 * "auto" = on a real (non-fallback) GPU adapter, webgpu when the calibration
 * (`options.calibration`; by default {@linkcode calibrationProbe}, timed once
 * on each backend and cached per adapter in `cacheDir()`) finds it faster
 * than wasm; wasm otherwise; cpu if wasm fails. {@linkcode lastBackendChoice}
 * gives the choice and its reason. An explicit choice that cannot start
 * raises {@linkcode BackendError}. `EMARGIN_BACKEND=webgpu|wasm|cpu|auto`
 * overrides `prefer`.
 */
export async function initBackend(
  options: InitBackendOptions = {},
): Promise<BackendInfo> {
  const fromEnv = envPreference();
  const prefer = fromEnv ?? options.prefer ?? "auto";
  const info = await selectBackend(prefer, options);
  if (info.name === "wasm") {
    const gemm = wasmGemmState();
    info.products = gemm.installed ? (gemm.fused ? "gemm-fma" : "gemm") : "xnnpack";
  }
  // the calibrating and software-adapter branches leave their own reason
  lastChoice ??= {
    name: info.name,
    reason: prefer === "auto"
      ? `auto: ${info.name} (no usable WebGPU adapter)`
      : `${fromEnv ? `EMARGIN_BACKEND=${fromEnv}` : "requested"}: ${info.name}`,
    calibration: null,
  };
  return info;
}

async function selectBackend(
  prefer: BackendPreference,
  options: InitBackendOptions,
): Promise<BackendInfo> {
  lastChoice = null;
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
  if (prefer === "auto" && gpu) {
    const calibration = options.calibration ?? {};
    if (!gpu.isFallbackAdapter || calibration.includeSoftwareAdapter) {
      const choice = await calibrate(gpu.adapter, calibration);
      if (choice) {
        lastChoice = choice;
        return choice.name === "webgpu"
          ? { name: "webgpu", adapter: gpu.adapter, isFallbackAdapter: gpu.isFallbackAdapter }
          : { name: "wasm", adapter: null, isFallbackAdapter: false };
      }
    } else if (await activate("wasm")) {
      lastChoice = {
        name: "wasm",
        reason: `auto: wasm (the WebGPU adapter "${gpu.adapter}" is a software rasteriser)`,
        calibration: null,
      };
      return { name: "wasm", adapter: null, isFallbackAdapter: false };
    }
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
