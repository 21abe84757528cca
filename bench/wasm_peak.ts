/**
 * The arithmetic limit of WebAssembly SIMD on this machine, measured: a loop
 * of `chains` independent `f32x4.mul` chains and as many `f32x4.add` chains
 * (fixed-width SIMD has no fused multiply-add, so a product written with it
 * issues one multiply and one add per multiply-add), 8 flops per chain pair
 * and iteration. Each chain depends only on itself, so the loop is bound by how
 * many vector multiplies and adds the engine and the CPU issue per cycle; the
 * best rate over a few chain counts is the limit quoted beside the matrix
 * products' GFLOP/s (bench/torch.ts). The relaxed-SIMD proposal adds a fused
 * multiply-add (`f32x4.relaxed_madd`, which `lib/wasm/gemm.ts` uses);
 * {@linkcode wasmFmaPeak} times chains of it the same way.
 *
 * The modules are assembled by `lib/wasm/emit.ts`, like the project's kernels.
 *
 * @module
 */
import { assemble, assembleModule, F32, V128 } from "../lib/wasm/mod.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/**
 * `run(n: i32) → f32` around a loop body over the v128 locals `x1..x{count}`
 * (each started at `1 + k/100`), `b` and `c` (splats of `bValue`, `cValue`):
 * `n` iterations of `body`, then the sum of every chain's lane 0 (so nothing
 * is dead code).
 */
function runModule(count: number, bValue: number, cValue: number, body: string): Uint8Array {
  const xs = range(count).map((k) => `x${k}`);
  const locals = ["n", ...xs, "b", "c"];
  const text = `
    f32.const ${bValue} f32x4.splat local.set b
    f32.const ${cValue} f32x4.splat local.set c
    ${xs.map((x, i) => `f32.const ${1 + (i + 1) / 100} f32x4.splat local.set ${x}`).join(" ")}
    loop
      ${body}
      local.get n i32.const 1 i32.sub local.tee n br_if 0
    end
    local.get x1 f32x4.extract_lane 0
    ${xs.slice(1).map((x) => `local.get ${x} f32x4.extract_lane 0 f32.add`).join(" ")}`;
  return assembleModule([{
    name: "run",
    params: 1,
    results: [F32],
    locals: locals.slice(1).map(() => V128),
    body: assemble(text, locals),
  }], { memory: false });
}

/**
 * `run(n: i32) → f32`: `n` iterations of `chains` multiplies (`x_k ← x_k·b`)
 * and `chains` adds (`y_k ← y_k + c`, the locals after the products),
 * returning the sum of every chain's first lane.
 */
export function peakModule(chains: number): Uint8Array {
  const body = range(chains).map((k) =>
    `local.get x${k} local.get b f32x4.mul local.set x${k}
     local.get x${chains + k} local.get c f32x4.add local.set x${chains + k}`
  ).join("\n");
  return runModule(2 * chains, 1.0000001, 1e-7, body);
}

/**
 * `run(n: i32) → f32` like {@linkcode peakModule}, with `chains` chains of the
 * relaxed-SIMD fused multiply-add (`x_k ← x_k·scale + shift`,
 * `f32x4.relaxed_madd`, 8 flops each; the defaults keep x near 1 for any
 * number of iterations): whether a matrix product's kernel could go faster with FMA
 * than with a multiply and an add.
 */
export function fmaModule(chains: number, scale = 0.9999999, shift = 1e-7): Uint8Array {
  const body = range(chains).map((k) =>
    `local.get x${k} local.get b local.get c f32x4.relaxed_madd local.set x${k}`
  ).join(" ");
  return runModule(chains, scale, shift, body);
}

/** Which loop {@linkcode wasmSimdRate} times. */
export type PeakKind = "mul+add" | "fma";

/**
 * One measurement: GFLOP/s of the loop with `chains` chain pairs (mul+add) or
 * `chains` FMA chains (best of `repeats`).
 */
export async function wasmSimdRate(
  chains: number,
  iterations = 5e7,
  repeats = 5,
  kind: PeakKind = "mul+add",
): Promise<number> {
  const bytes = kind === "fma" ? fmaModule(chains) : peakModule(chains);
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const instance = await WebAssembly.instantiate(module);
  const run = instance.exports.run as (n: number) => number;
  run(1e6); // compile the optimised tier
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    if (!(run(iterations) > 0)) throw new Error("wasm peak loop returned a non-positive sum");
    const seconds = (performance.now() - start) / 1000;
    // mul+add: chains multiplies and chains adds of 4 lanes; fma: chains FMAs of 4 lanes × 2
    best = Math.max(best, (iterations * chains * 2 * 4) / seconds / 1e9);
  }
  return best;
}

/**
 * The best multiply + add rate of wasm SIMD over chain counts 4–8, in GFLOP/s,
 * and the chain count that reached it.
 *
 * @example
 * ```ts
 * const { gflops, chains } = await wasmSimdPeak();
 * console.log(`${gflops.toFixed(1)} GFLOP/s with ${chains} + ${chains} chains`);
 * ```
 */
export async function wasmSimdPeak(): Promise<{ gflops: number; chains: number }> {
  return await bestRate([4, 5, 6, 7, 8], "mul+add");
}

/**
 * The best relaxed-SIMD FMA rate over 8–16 chains, in GFLOP/s. On a CPU with
 * two 128-bit FMA pipes beside two add pipes (AMD Zen), it equals the
 * multiply + add limit; a matrix product still gains from it, issuing half
 * the arithmetic instructions (`deno task bench --only gemm`).
 */
export async function wasmFmaPeak(): Promise<{ gflops: number; chains: number }> {
  return await bestRate([8, 10, 12, 14, 16], "fma");
}

async function bestRate(
  counts: number[],
  kind: PeakKind,
): Promise<{ gflops: number; chains: number }> {
  let best = { gflops: 0, chains: 0 };
  for (const chains of counts) {
    const gflops = await wasmSimdRate(chains, 5e7, 5, kind);
    if (gflops > best.gflops) best = { gflops, chains };
  }
  return best;
}
