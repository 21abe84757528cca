/**
 * The arithmetic limit of WebAssembly SIMD on this machine, measured: a loop
 * of `chains` independent `f32x4.mul` chains and as many `f32x4.add` chains
 * (no fused multiply-add exists in wasm SIMD, so a matrix product issues one
 * multiply and one add per multiply-add), 8 flops per chain pair and
 * iteration. Each chain depends only on itself, so the loop is bound by how
 * many vector multiplies and adds the engine and the CPU issue per cycle; the
 * best rate over a few chain counts is the limit quoted beside the matrix
 * products' GFLOP/s (bench/torch.ts). The relaxed-SIMD proposal adds a fused
 * multiply-add (`f32x4.relaxed_madd`); {@linkcode wasmFmaPeak} times chains of
 * it the same way, to show whether a kernel written with it could beat the
 * limit on this CPU.
 *
 * The module is assembled here, byte by byte, because it is 200 bytes and a
 * WAT toolchain would be a dependency for nothing else; the layout follows
 * the WebAssembly binary format (type, function, export and code sections).
 *
 * @module
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}

const f32 = (x: number) => [...new Uint8Array(new Float32Array([x]).buffer)];
const simd = (op: number) => [0xfd, ...uleb(op)];
const SPLAT = simd(0x13), ADD = simd(0xe4), MUL = simd(0xe6), MADD = simd(0x105);
const LANE0 = [...simd(0x1f), 0];
const get = (i: number) => [0x20, ...uleb(i)], set = (i: number) => [0x21, ...uleb(i)];
const F32_CONST = 0x43, F32_ADD = 0x92, I32_CONST = 0x41, I32_SUB = 0x6b, TEE = 0x22;
const LOOP = [0x03, 0x40], BR_IF = 0x0d, END = 0x0b, V128 = 0x7b;

/**
 * `run(n: i32) → f32`: `n` iterations of `chains` multiplies (`x_k ← x_k·b`)
 * and `chains` adds (`y_k ← y_k + c`), returning the sum of every chain's
 * first lane (so nothing is dead code). Locals: 1..chains the products,
 * chains+1..2·chains the sums, then b and c.
 */
export function peakModule(chains: number): Uint8Array {
  const b = 2 * chains + 1, c = 2 * chains + 2;
  const body = [
    ...[F32_CONST, ...f32(1.0000001), ...SPLAT, ...set(b)],
    ...[F32_CONST, ...f32(1e-7), ...SPLAT, ...set(c)],
  ];
  for (let k = 1; k <= 2 * chains; k++) {
    body.push(F32_CONST, ...f32(1 + k / 100), ...SPLAT, ...set(k));
  }
  body.push(...LOOP);
  for (let k = 1; k <= chains; k++) {
    body.push(...get(k), ...get(b), ...MUL, ...set(k));
    body.push(...get(chains + k), ...get(c), ...ADD, ...set(chains + k));
  }
  return runModule(2 * chains, 2 * chains + 2, body);
}

/**
 * `run(n: i32) → f32` like {@linkcode peakModule}, with `chains` chains of the
 * relaxed-SIMD fused multiply-add (`x_k ← x_k·scale + shift`,
 * `f32x4.relaxed_madd`, 8 flops each; the defaults keep x near 1 for any
 * number of iterations): whether a matrix product's kernel could go faster with FMA
 * than with a multiply and an add.
 */
export function fmaModule(chains: number, scale = 0.9999999, shift = 1e-7): Uint8Array {
  const b = chains + 1, c = chains + 2;
  const body = [
    ...[F32_CONST, ...f32(scale), ...SPLAT, ...set(b)],
    ...[F32_CONST, ...f32(shift), ...SPLAT, ...set(c)],
  ];
  for (let k = 1; k <= chains; k++) {
    body.push(F32_CONST, ...f32(1 + k / 100), ...SPLAT, ...set(k));
  }
  body.push(...LOOP);
  for (let k = 1; k <= chains; k++) body.push(...get(k), ...get(b), ...get(c), ...MADD, ...set(k));
  return runModule(chains, chains + 2, body);
}

/** The `run` function around a loop body: count down local 0, sum every chain's lane 0. */
function runModule(chains: number, locals: number, body: number[]): Uint8Array {
  body.push(...get(0), I32_CONST, 1, I32_SUB, TEE, 0, BR_IF, 0, END);
  body.push(...get(1), ...LANE0);
  for (let k = 2; k <= chains; k++) body.push(...get(k), ...LANE0, F32_ADD);
  body.push(END);
  const func = [1, ...uleb(locals), V128, ...body];
  const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
  const name = [..."run"].map((ch) => ch.charCodeAt(0));
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7d]), // (i32) → f32
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0, 0]),
    ...section(10, [1, ...uleb(func.length), ...func]),
  ]);
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
 * multiply + add limit: FMA would not raise wasm's ceiling there.
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
