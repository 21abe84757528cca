import assert from "node:assert/strict";
import { bindings } from "../lib/webgpu/shaders_common.ts";
import { OptionError } from "../lib/errors.ts";

Deno.test("webgpu bindings: declarations numbered in order; a malformed entry is a typed error naming it", () => {
  assert.equal(
    bindings("uniform u: U, read S, read_write cs"),
    [
      "@group(0) @binding(0) var<uniform> u : U;",
      "@group(0) @binding(1) var<storage, read> S : array<f32>;",
      "@group(0) @binding(2) var<storage, read_write> cs : array<f32>;",
    ].join("\n"),
  );
  assert.throws(() => bindings("read S, write T"), (err: unknown) => {
    assert.ok(err instanceof OptionError);
    assert.match(err.message, /entry 1 "write T"/);
    return true;
  });
  assert.throws(() => bindings("read"), OptionError);
  assert.throws(() => bindings("constructor x"), OptionError, "only the three access modes");
});
