import assert from "node:assert/strict";
import { availableBackends, BackendError, initBackend } from "../lib/backend.ts";
import { tf } from "../lib/tf.ts";

Deno.test("initBackend: explicit cpu and wasm start and compute", async () => {
  for (const prefer of ["cpu", "wasm"] as const) {
    const info = await initBackend({ prefer });
    assert.equal(info.name, prefer);
    assert.equal(tf.getBackend(), prefer);
    if (prefer === "wasm") assert.ok(["gemm-fma", "gemm", "xnnpack"].includes(info.products ?? ""));
    else assert.equal(info.products, undefined);
    const s = tf.tidy(() => tf.tensor1d([1, 2, 3]).square().sum());
    assert.equal((await s.data())[0], 14);
    s.dispose();
  }
});

Deno.test("initBackend: auto never picks a software WebGPU adapter", async () => {
  const info = await initBackend({ prefer: "auto" });
  if (info.name === "webgpu") assert.equal(info.isFallbackAdapter, false);
  else assert.ok(info.name === "wasm" || info.name === "cpu");
});

Deno.test("initBackend: EMARGIN_BACKEND overrides and is validated", async () => {
  const old = Deno.env.get("EMARGIN_BACKEND");
  try {
    Deno.env.set("EMARGIN_BACKEND", "cpu");
    assert.equal((await initBackend({ prefer: "wasm" })).name, "cpu");
    Deno.env.set("EMARGIN_BACKEND", "tpu");
    await assert.rejects(() => initBackend(), BackendError);
  } finally {
    if (old === undefined) Deno.env.delete("EMARGIN_BACKEND");
    else Deno.env.set("EMARGIN_BACKEND", old);
  }
});

Deno.test("availableBackends lists cpu and wasm", async () => {
  const names = await availableBackends();
  assert.ok(names.includes("cpu") && names.includes("wasm"), names.join(","));
});
