/**
 * The wasm SIMD logistic objective against the JavaScript reference kernel,
 * bit for bit: value and every gradient element, over shapes that exercise
 * odd row counts (the self-paired last row), odd class counts (the padded
 * lane), more than eight classes (several kernel blocks), several row chunks,
 * d = 1, signed zeros and sample weights; and the text assembler's errors.
 */
import assert from "node:assert/strict";
import { OptionError } from "../lib/errors.ts";
import { softmaxObjective, softmaxObjectiveJs } from "../lib/metrics/softmax_objective.ts";
import { softmaxObjectiveWasm } from "../lib/metrics/softmax_wasm.ts";
import { assemble } from "../lib/wasm/mod.ts";
import { makeRng } from "../lib/random.ts";

/** [n, d, k]: n odd/even, k odd/even/over 8, chunks of 102 rows at d = 160. */
const SHAPES: [number, number, number][] = [
  [1, 1, 2],
  [2, 1, 3],
  [7, 3, 3],
  [10, 5, 5],
  [33, 17, 7],
  [64, 40, 12],
  [101, 9, 9],
  [1001, 160, 6],
  [30, 7, 17],
];

function sameBits(a: Float64Array, b: Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

Deno.test("softmaxObjectiveWasm: bit-identical to the JavaScript kernel (value and gradient)", () => {
  const rng = makeRng(17);
  for (const [n, d, k] of SHAPES) {
    const x = Float64Array.from({ length: n * d }, () => 4 * rng.next() - 2);
    x[0] = -0;
    if (x.length > 3) x[3] = 0;
    const problem = {
      x,
      n,
      d,
      k,
      codes: Int32Array.from({ length: n }, () => rng.int(k)),
      weights: Float64Array.from({ length: n }, () => 0.5 + rng.next()),
      C: 0.37,
    };
    const wasm = softmaxObjectiveWasm(problem), js = softmaxObjectiveJs(problem);
    const viaDefault = softmaxObjective(problem);
    for (let rep = 0; rep < 3; rep++) {
      const params = Float64Array.from(
        { length: k * d + k },
        () => rep === 0 ? 0 : 3 * (rng.next() - 0.5),
      );
      const [gw, gj, gd] = [0, 1, 2].map(() => new Float64Array(k * d + k).fill(NaN));
      const fw = wasm(params, gw), fj = js(params, gj), fd = viaDefault(params, gd);
      const at = `n ${n}, d ${d}, k ${k}, rep ${rep}`;
      assert.ok(Object.is(fw, fj), `${at}: value ${fw} vs ${fj}`);
      assert.equal(sameBits(gw, gj), -1, `${at}: gradient differs`);
      assert.ok(Object.is(fd, fj) && sameBits(gd, gj) === -1, `${at}: softmaxObjective`);
    }
  }
});

Deno.test("softmaxObjectiveWasm: objectives sharing the kernels' memory, evaluated in turn", () => {
  const rng = makeRng(8);
  const problem = (n: number, d: number, k: number) => ({
    x: Float64Array.from({ length: n * d }, () => rng.normal()),
    n,
    d,
    k,
    codes: Int32Array.from({ length: n }, () => rng.int(k)),
    weights: new Float64Array(n).fill(1),
    C: 2,
  });
  // the second is larger (the memory grows); the third's scratch lies where the second's rows were
  const problems = [problem(9, 4, 4), problem(301, 37, 5), problem(9, 4, 3)];
  const wasm = problems.map(softmaxObjectiveWasm), js = problems.map(softmaxObjectiveJs);
  for (let round = 0; round < 3; round++) {
    problems.forEach(({ d, k }, i) => {
      const params = Float64Array.from({ length: k * d + k }, () => rng.normal());
      const gw = new Float64Array(params.length), gj = new Float64Array(params.length);
      assert.ok(Object.is(wasm[i](params, gw), js[i](params, gj)), `round ${round}, problem ${i}`);
      assert.equal(sameBits(gw, gj), -1, `round ${round}, problem ${i}: gradient`);
    });
  }
});

Deno.test("assemble: encodes named locals and rejects unknown instructions and locals", () => {
  assert.deepEqual(assemble("local.get b i32.const -1 i32.add local.set a", ["a", "b"]), [
    0x20,
    1,
    0x41,
    0x7f,
    0x6a,
    0x21,
    0,
  ]);
  assert.throws(() => assemble("i32.frobnicate", []), OptionError);
  assert.throws(() => assemble("local.get c", ["a"]), /unknown local "c"/);
});
