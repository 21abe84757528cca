/**
 * Fixed costs of a tfjs backend, to explain training-step timings:
 * - `dispatchMs`: one small op (`tf.add` on a `[1024]` tensor) in a chain of
 *   200, read back once at the end;
 * - `readbackMs`: one small op followed by a read-back (`await data()`), repeated;
 * - `elementwiseGBps`: `tf.neg` on an `[N, N]` tensor, bytes read + written
 *   per second;
 * - `matMulGflops`: `[N, 320]·[320, N]`, 2·N·320·N flops per product.
 *
 * Each chain reads one element back at the end so that queued GPU work is
 * counted, and that read-back's time (`readbackMs`) is subtracted. N is 3200 on wasm and on a real GPU adapter, 1600 on the pure-JS
 * cpu backend and on a software WebGPU adapter.
 *
 * @module
 */
import { tf } from "../lib/tf.ts";
import type { Tensor } from "../lib/tf.ts";
import type { BackendName } from "../lib/backend.ts";
import { eachBackend } from "./timing.ts";

const CHAIN = 200;
const ROUND_TRIPS = 50;
const REPEATS = 20;

/** Reads the first element back (asynchronously: WebGPU has no synchronous read under Deno). */
async function readFirst(t: Tensor): Promise<void> {
  const first = tf.slice(t.reshape([-1]), 0, 1);
  await first.data();
  first.dispose();
}

/**
 * Runs `step` `n` times on a carried tensor and reads one value back; returns
 * ms per step, the closing read-back (`readbackMs`) taken out.
 */
async function timeChain(
  start: Tensor,
  step: (t: Tensor) => Tensor,
  n: number,
  readbackMs: number,
): Promise<number> {
  const first = step(start); // warm-up: shader compile, buffer allocation
  await readFirst(first);
  first.dispose();
  const t0 = performance.now();
  let current = start;
  for (let i = 0; i < n; i++) {
    const next = step(current);
    if (current !== start) current.dispose();
    current = next;
  }
  await readFirst(current);
  const ms = Math.max(performance.now() - t0 - readbackMs, 0) / n;
  if (current !== start) current.dispose();
  return ms;
}

/** The adapter's own description (vendor, architecture, device), when WebGPU has one. */
async function adapterInfo(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return "";
  const { vendor, architecture, device, description } = adapter.info;
  return [vendor, architecture, device, description].filter((s) => s).join(" / ");
}

/** One row per backend (default: every backend that starts here). */
export async function benchBackendOverhead(
  backends?: BackendName[],
): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const rows: Record<string, unknown>[] = [];
  for await (const { backend, info, label } of eachBackend(backends)) {
    const slow = backend === "cpu" || info.isFallbackAdapter;
    const n = slow ? 1600 : 3200;
    const small = tf.randomNormal([1024]);
    await readFirst(small);
    const t0 = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) {
      const sum = tf.add(small, i);
      await sum.data();
      sum.dispose();
    }
    const readbackMs = (performance.now() - t0) / ROUND_TRIPS;
    const dispatchMs = await timeChain(small, (t) => tf.add(t, 1), CHAIN, readbackMs);
    const square = tf.randomUniform([n, n], -1, 1);
    const negMs = await timeChain(square, (t) => tf.neg(t), REPEATS, readbackMs);
    const a = tf.randomNormal([n, 320]);
    const b = tf.randomNormal([320, n]);
    const matMulMs = await timeChain(a, () => tf.matMul(a, b), REPEATS, readbackMs);
    tf.dispose([small, square, a, b]);
    rows.push({
      backend: label,
      adapterInfo: backend === "webgpu" ? await adapterInfo() : "",
      N: n,
      dispatchMs,
      readbackMs,
      elementwiseGBps: (2 * 4 * n * n) / (negMs * 1e6),
      matMulGflops: (2 * n * 320 * n) / (matMulMs * 1e6),
    });
  }
  return {
    rows,
    notes: [
      `readbackMs: tf.add + await data(), ${ROUND_TRIPS}×; dispatchMs: chain of ${CHAIN} tf.add on [1024]`,
      "every chain ends with one read-back, whose readbackMs is subtracted",
      `elementwiseGBps: tf.neg on [N, N]; matMulGflops: [N, 320]·[320, N]; ${REPEATS} repeats`,
    ],
  };
}

if (import.meta.main) {
  // `deno run -A bench/backend_overhead.ts [backend …]`
  const { rows, notes } = await benchBackendOverhead(
    Deno.args.length ? Deno.args as BackendName[] : undefined,
  );
  console.table(rows);
  for (const note of notes) console.log(`note: ${note}`);
}
