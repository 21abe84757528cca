/**
 * What the WebGPU tests share: the adapter here (Mesa's llvmpipe on CI and on
 * the build machine) and the rule that they are skipped only off CI — CI must
 * have an adapter, so a missing one fails there instead of passing silently.
 */
import assert from "node:assert/strict";
import { initBackend, probeWebGpu } from "../lib/backend.ts";

/** This machine's WebGPU adapter, or null. */
export const webgpu = await probeWebGpu();
/** Whether the tests run on CI (`CI=true`), where an adapter is required. */
export const ci = Deno.env.get("CI") === "true";

/** Says once, for `file`, that its WebGPU tests are ignored here (no adapter, not CI). */
export function warnIfIgnored(file: string, what: string): void {
  if (!webgpu && !ci) console.warn(`${file}: no WebGPU adapter; ${what} are ignored`);
}

/**
 * Registers a test on the webgpu backend: ignored where there is no adapter
 * off CI, failed where there is none on CI. `fn` runs with webgpu active;
 * the wasm backend is restored after, pass or fail.
 *
 * @example
 * ```ts
 * webgpuTest("a square on the GPU", async () => {
 *   assert.equal((await tf.square(tf.scalar(3)).data())[0], 9);
 * });
 * ```
 */
export function webgpuTest(name: string, fn: () => Promise<void>): void {
  Deno.test({
    name,
    ignore: !webgpu && !ci,
    async fn() {
      assert.ok(webgpu, "CI=true but no WebGPU adapter is available");
      await initBackend({ prefer: "webgpu" });
      try {
        await fn();
      } finally {
        await initBackend({ prefer: "wasm" });
      }
    },
  });
}

/** Largest |v| over the finite entries of `values` (0 when there are none). */
export function maxAbsFinite(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) m = Math.max(m, Math.abs(values[i]));
  }
  return m;
}
