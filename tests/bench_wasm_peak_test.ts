import assert from "node:assert/strict";
import { peakModule } from "../bench/wasm_peak.ts";

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
