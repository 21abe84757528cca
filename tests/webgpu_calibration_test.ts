import assert from "node:assert/strict";
import { join } from "node:path";
import { tf } from "../lib/tf.ts";
import { calibrationProbe, initBackend, lastBackendChoice } from "../lib/backend.ts";
import { withTempDir } from "./_util.ts";
import { ci, warnIfIgnored, webgpu } from "./_webgpu.ts";

warnIfIgnored("webgpu_calibration_test", "the calibration tests");
// EMARGIN_BACKEND would override "auto"
const forced = Deno.env.get("EMARGIN_BACKEND");

/** A calibration that reports `ms[backend]` and counts its calls. */
function fake(ms: { webgpu: number; wasm: number }) {
  const calls: string[] = [];
  return {
    calls,
    measure: () => {
      const backend = tf.getBackend() as "webgpu" | "wasm";
      calls.push(backend);
      return Promise.resolve(ms[backend]);
    },
  };
}

Deno.test({
  name: "auto calibrates webgpu against wasm once per adapter, caches it and says why",
  ignore: (!webgpu && !ci) || forced !== undefined,
  async fn() {
    assert.ok(webgpu, "CI=true but no WebGPU adapter is available");
    await withTempDir("calibration", async (dir) => {
      const cacheFile = join(dir, "calibration.json");
      const faster = fake({ webgpu: 3, wasm: 40 });
      const options = { measure: faster.measure, cacheFile, includeSoftwareAdapter: true };
      const info = await initBackend({ prefer: "auto", calibration: options });
      assert.equal(info.name, "webgpu");
      assert.equal(tf.getBackend(), "webgpu");
      assert.deepEqual(faster.calls, ["webgpu", "wasm"]);
      const choice = lastBackendChoice();
      assert.deepEqual(choice?.calibration, { webgpuMs: 3, wasmMs: 40, cached: false });
      assert.match(choice?.reason ?? "", /webgpu is faster .*webgpu 3\.0 ms, wasm 40\.0 ms/);

      // Cached: no second measurement, same choice, the date in the reason.
      const again = await initBackend({ prefer: "auto", calibration: options });
      assert.equal(again.name, "webgpu");
      assert.equal(faster.calls.length, 2);
      assert.equal(lastBackendChoice()?.calibration?.cached, true);
      assert.match(lastBackendChoice()?.reason ?? "", /calibrated \d{4}-\d{2}-\d{2}/);

      // A slower GPU (another cache): wasm.
      const slower = fake({ webgpu: 50, wasm: 40 });
      const other = join(dir, "other.json");
      const wasm = await initBackend({
        prefer: "auto",
        calibration: { measure: slower.measure, cacheFile: other, includeSoftwareAdapter: true },
      });
      assert.equal(wasm.name, "wasm");
      assert.equal(tf.getBackend(), "wasm");
      assert.match(lastBackendChoice()?.reason ?? "", /auto: wasm is faster/);
    });
    await initBackend({ prefer: "wasm" });
  },
});

Deno.test({
  name: "auto skips the calibration on a software adapter and says so",
  ignore: (!webgpu && !ci) || forced !== undefined || !webgpu?.isFallbackAdapter,
  async fn() {
    await withTempDir("calibration", async (dir) => {
      const probe = fake({ webgpu: 1, wasm: 100 });
      const info = await initBackend({
        prefer: "auto",
        calibration: { measure: probe.measure, cacheFile: join(dir, "c.json") },
      });
      assert.equal(info.name, "wasm");
      assert.deepEqual(probe.calls, []);
      assert.match(lastBackendChoice()?.reason ?? "", /software rasteriser/);
    });
    const requested = await initBackend({ prefer: "cpu" });
    assert.equal(requested.name, "cpu");
    assert.match(lastBackendChoice()?.reason ?? "", /^(requested|EMARGIN_BACKEND=\w+): cpu$/);
    await initBackend({ prefer: "wasm" });
  },
});

Deno.test({
  name: "the default calibration probe times the study's similarity work",
  ignore: !webgpu && !ci,
  async fn() {
    await initBackend({ prefer: "wasm" });
    const before = tf.memory().numTensors;
    const ms = await calibrationProbe();
    assert.ok(ms > 0 && Number.isFinite(ms), `${ms} ms`);
    assert.equal(tf.memory().numTensors, before, "the probe frees its tensors");
  },
});
