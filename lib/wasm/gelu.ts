/**
 * Exact GELU and its slope in one pass of f32x4 wasm SIMD, in the wasm
 * backend's own memory, as the kernel `GeluWithSlope`:
 *
 * ```
 * x [any shape] → value = x·Φ(x),  slope = GELU'(x) = Φ(x) + x·φ(x)
 * Φ(x) = ½(1 + erf(x/√2)),  φ(x) = exp(−x²/2)/√(2π)
 * erf(z) = sign(z)·(1 − t·P(t)·exp(−z²)),  t = 1/(1 + p|z|)    (Abramowitz–Stegun 7.1.26)
 * ```
 *
 * The one `exp(−z²)` (`simd_exp.ts`, Cephes' `expf`) serves both `erf` and `φ`
 * (`exp(−z²) = exp(−x²/2)`), so the backward pass is one product
 * `∂x = ∂y·slope`.
 *
 * Why by hand: on the wasm backend tfjs' `Erf` runs one lane at a time, and
 * GELU with its derivative written out takes twelve element-wise kernels
 * (`Erf`, `Exp`, `Square`, seven `Multiply`/`Add`) over the same tensor;
 * this is two passes (the kernel forward, one `Multiply` backward).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor } from "../tf.ts";

import { assemble, assembleModule, I32, V128 } from "./emit.ts";
import { EXP_CONSTANTS, expScalar, expStatements } from "./simd_exp.ts";
import { floatOffset, onWasmModule } from "./backend_memory.ts";

/** The tfjs kernel name (registered for the wasm backend only). */
export const GELU_KERNEL = "GeluWithSlope";

/** Abramowitz–Stegun 7.1.26: `p` and `a₁ … a₅`. */
const AS = { p: 0.3275911, a: [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429] };
/** Groups of 4 floats per loop turn, interleaved. */
const LANES = 4;
/** Floats per loop turn. */
const TURN = 4 * LANES;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `gelu(x, value, slope, turns)`: `turns` runs of {@linkcode TURN} floats from byte offsets `x`, `value`, `slope`. */
function geluText(): { text: string; locals: string[]; v128: string[] } {
  const params = ["x", "value", "slope", "groups"];
  const constants: [string, string][] = [
    ["one", "f32x4.const 1"],
    ["half", "f32x4.const 0.5"],
    ["invSqrt2", `f32x4.const ${Math.SQRT1_2}`],
    ["invSqrt2pi", `f32x4.const ${1 / Math.sqrt(2 * Math.PI)}`],
    ["p", `f32x4.const ${AS.p}`],
    ...AS.a.map((a, i): [string, string] => [`a${i + 1}`, `f32x4.const ${a}`]),
    ["sign", "i32x4.const -2147483648"],
    ...EXP_CONSTANTS,
  ];
  const names = ["v", "z", "az", "t", "poly", "y", "n", "r", "e", "cdf"];
  const v128 = [
    ...constants.map((c) => c[0]),
    ...range(LANES).flatMap((u) => names.map((name) => `${name}_${u}`)),
  ];
  // Horner from the highest coefficient: ((c₀·r + c₁)·r + …) + c_last
  const horner = (coefficients: string[], variable: string) =>
    [
      `local.get ${coefficients[0]}`,
      ...coefficients.slice(1).map((c) =>
        `local.get ${variable} f32x4.mul local.get ${c} f32x4.add`
      ),
    ].join(" ");
  // one group of 4 at byte offset 16·u, a statement per line (each leaves the stack empty)
  const group = (u: number) =>
    `local.get x v128.load ${16 * u} local.set v
    local.get v local.get invSqrt2 f32x4.mul local.set z
    local.get z f32x4.abs local.set az
    local.get one local.get one local.get az local.get p f32x4.mul f32x4.add f32x4.div local.set t
    ${horner(["a5", "a4", "a3", "a2", "a1"], "t")} local.get t f32x4.mul local.set poly
    local.get az local.get az f32x4.mul f32x4.neg local.set y
    ${expStatements("y", "e", "n", "r").join("\n")}
    local.get one local.get poly local.get e f32x4.mul f32x4.sub local.get z local.get sign v128.and v128.xor local.get half f32x4.mul local.get half f32x4.add local.set cdf
    local.get value local.get v local.get cdf f32x4.mul v128.store ${16 * u}
    local.get slope local.get cdf local.get v local.get e f32x4.mul local.get invSqrt2pi f32x4.mul f32x4.add v128.store ${
      16 * u
    }`
      .split("\n").map((line) =>
        line.replace(/local\.(get|set|tee) ([a-z]+)\b/g, (m, op, name) =>
          names.includes(name) ? `local.${op} ${name}_${u}` : m)
      );
  // the groups' statements interleaved, so that their dependency chains overlap
  const groups = range(LANES).map(group);
  const body = groups[0].flatMap((_, line) => groups.map((g) => g[line])).join("\n");
  const loop = `
  loop
    ${body}
    local.get x i32.const ${16 * LANES} i32.add local.set x
    local.get value i32.const ${16 * LANES} i32.add local.set value
    local.get slope i32.const ${16 * LANES} i32.add local.set slope
    local.get groups i32.const 1 i32.sub local.tee groups br_if 0
  end`;
  const text = `${constants.map(([name, init]) => `${init} local.set ${name}`).join("\n")}${loop}`;
  return { text, locals: [...params, ...v128], v128 };
}

/** The module exporting `gelu` (see {@linkcode geluText}). */
export function geluModuleBytes(): Uint8Array {
  const { text, locals, v128 } = geluText();
  const params = 4;
  return assembleModule([{
    name: "gelu",
    params,
    locals: locals.slice(params).map((l) => (v128.includes(l) ? V128 : I32)),
    body: assemble(text, locals),
  }]);
}

/**
 * One value's GELU and slope in float64, by the kernel's formulas (for the
 * last `n mod 4` entries and as the tests' reference).
 */
export function geluScalar(x: number): [value: number, slope: number] {
  const z = x * Math.SQRT1_2, az = Math.abs(z);
  const t = 1 / (1 + AS.p * az);
  const poly = t * (AS.a[0] + t * (AS.a[1] + t * (AS.a[2] + t * (AS.a[3] + t * AS.a[4]))));
  const e = expScalar(-az * az);
  const erf = Math.sign(z) * (1 - poly * e);
  const cdf = 0.5 + 0.5 * erf;
  return [x * cdf, cdf + x * e / Math.sqrt(2 * Math.PI)];
}

type GeluFn = (x: number, value: number, slope: number, groups: number) => void;

const install = onWasmModule(geluModuleBytes, (backend, exports) => {
  const gelu = exports.gelu as GeluFn;
  tf.registerKernel({
    kernelName: GELU_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => {
      const x = inputs.x as Tensor;
      const value = backend.makeOutput(x.shape, "float32");
      const slope = backend.makeOutput(x.shape, "float32");
      const n = x.size, whole = Math.floor(n / TURN);
      const [px, pv, ps] = [x, value, slope].map((t) => floatOffset(backend, t));
      if (whole > 0) gelu(4 * px, 4 * pv, 4 * ps, whole);
      const heap = backend.wasm.HEAPF32; // taken after the outputs' allocation
      for (let i = TURN * whole; i < n; i++) {
        [heap[pv + i], heap[ps + i]] = geluScalar(heap[px + i]);
      }
      return [value, slope];
    },
  });
  return true;
});

/**
 * Registers {@linkcode GELU_KERNEL} on the wasm backend (call after it has
 * started; idempotent). Returns whether the kernel is in place: not where
 * the backend's memory is unreachable or the engine lacks wasm SIMD.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { GELU_KERNEL, installWasmGelu } from "./gelu.ts";
 * await tf.setBackend("wasm");
 * if (installWasmGelu()) {
 *   const [value, slope] = tf.engine().runKernel(GELU_KERNEL, { x: tf.randomNormal([8, 64]) });
 * }
 * ```
 */
export function installWasmGelu(): boolean {
  return install() !== null;
}

/** Whether {@linkcode GELU_KERNEL} runs on the active backend. */
export function wasmGeluActive(): boolean {
  return tf.getBackend() === "wasm" && install() !== null;
}
