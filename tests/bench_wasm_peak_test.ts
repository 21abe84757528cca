import assert from "node:assert/strict";
import { fmaModule, peakModule } from "../bench/wasm_peak.ts";

Deno.test("wasm peak: the assembled module validates and computes its chains", async () => {
  for (const chains of [1, 4, 8]) {
    const bytes = peakModule(chains) as Uint8Array<ArrayBuffer>;
    assert.ok(WebAssembly.validate(bytes), `${chains} chains`);
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes));
    const run = instance.exports.run as (n: number) => number;
    // 2 iterations: x_k·b·b and y_k + c + c, lane 0 of each summed in float32
    const f = Math.fround, b = f(1.0000001), c = f(1e-7);
    let expected = 0;
    for (let k = 1; k <= 2 * chains; k++) {
      const start = f(1 + k / 100);
      const v = k <= chains ? f(f(start * b) * b) : f(f(start + c) + c);
      expected = k === 1 ? v : f(expected + v);
    }
    assert.equal(run(2), expected);
  }
});

Deno.test("wasm peak: the FMA module validates and computes x·b + c per chain", async () => {
  const f = Math.fround, b = 1.5, c = 0.25;
  for (const chains of [1, 8, 16]) {
    const bytes = fmaModule(chains, b, c) as Uint8Array<ArrayBuffer>;
    assert.ok(WebAssembly.validate(bytes), `${chains} chains`);
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(bytes));
    const run = instance.exports.run as (n: number) => number;
    // 2 iterations of x·1.5 + 0.25 per chain, lane 0 of each summed in float32
    let expected = 0;
    for (let k = 1; k <= chains; k++) {
      const x = f(1 + k / 100);
      const v = (x * b + c) * b + c;
      expected = k === 1 ? f(v) : f(expected + v);
    }
    // relaxed_madd may round once or twice per step: a few float32 ulps either way
    const got = run(2);
    assert.ok(Math.abs(got - expected) <= 4e-7 * Math.abs(expected), `${got} vs ${expected}`);
  }
});
