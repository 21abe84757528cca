import assert from "node:assert/strict";
import { tf } from "../lib/tf.ts";
import { initBackend, probeWebGpu } from "../lib/backend.ts";
import { countWebGpu, recordSteps } from "../lib/webgpu/mod.ts";
import { OptionError } from "../lib/errors.ts";

const webgpu = await probeWebGpu();
const ci = Deno.env.get("CI") === "true";
if (!webgpu && !ci) {
  console.warn("webgpu_counts_test: no WebGPU adapter; the WebGPU count tests are ignored");
}

Deno.test({
  name: "the device counter counts dispatches, bind groups, submissions and read-backs",
  ignore: !webgpu && !ci,
  async fn() {
    assert.ok(webgpu, "CI=true but no WebGPU adapter is available");
    await initBackend({ prefer: "webgpu" });
    const a = tf.fill([4096], 2);
    await a.data(); // uploaded and settled before counting
    const counter = countWebGpu();
    const steps = recordSteps(counter);
    const b = tf.square(a);
    const c = tf.square(b);
    const d = tf.square(c);
    steps.mark();
    assert.equal(counter.snapshot().dispatches, 3);
    assert.equal(counter.snapshot().bindGroups, 3);
    assert.equal(counter.snapshot().mapReads, 0);
    const values = await d.data();
    steps.mark();
    assert.equal(values[0], 256);
    assert.equal(steps.steps[0].dispatches, 3);
    assert.equal(steps.steps[1].dispatches, 0);
    assert.equal(steps.steps[1].mapReads, 1);
    assert.equal(steps.steps[1].tensorReads, 1);
    assert.ok(steps.steps[1].submits >= 1);
    counter.reset();
    assert.equal(counter.snapshot().dispatches, 0);
    counter.uninstall();
    const e = tf.square(d);
    await e.data();
    assert.equal(counter.snapshot().dispatches, 0);
    assert.equal(counter.snapshot().mapReads, 0);
    tf.dispose([a, b, c, d, e]);
    await initBackend({ prefer: "wasm" });
  },
});

Deno.test("countWebGpu names the active backend when it is not webgpu", async () => {
  await initBackend({ prefer: "cpu" });
  assert.throws(
    () => countWebGpu(),
    (err) => err instanceof OptionError && /"cpu"/.test(String(err)),
  );
});
