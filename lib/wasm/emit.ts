/**
 * A tiny WebAssembly binary emitter: just enough of the format (one function
 * type of i32 parameters, an imported memory, exported functions, the scalar
 * and f64x2 SIMD instructions the float64 kernels use, and the f32x4 ones of
 * the GEMM, the GELU, the row passes and the fused losses' column terms) to
 * assemble the kernels of `../metrics/softmax_wasm.ts`,
 * `../metrics/dots_wasm.ts`, `gemm.ts`, `gelu.ts` (with `simd_exp.ts`),
 * `rows.ts` and `../losses/fused/wasm_kernels.ts` at load time. Written by hand because the
 * project has no build step that could assemble a `.wat` file, and the
 * subset needed is a few dozen opcodes (WebAssembly Core Specification 2.0,
 * §5 "Binary Format"; SIMD opcodes of the fixed-width SIMD proposal).
 *
 * Wasm arithmetic is IEEE 754 with round-to-nearest and, but for relaxed
 * SIMD's `f32x4.relaxed_madd` (which only the GEMM uses), no fused
 * multiply-add, so a kernel that performs the same multiplies and adds in
 * the same order as a JavaScript loop gives bit-identical float64 results.
 *
 * @module
 */
import { OptionError } from "../errors.ts";

/** Value types of locals and results. */
export const I32 = 0x7f, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;

/** Unsigned LEB128 of `n` (n ≥ 0). */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of the 32-bit integer `n`. */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A byte vector prefixed with its length. */
function sized(bytes: number[]): number[] {
  return [...uleb(bytes.length), ...bytes];
}

/** A name as a length-prefixed UTF-8 (here ASCII) string. */
function name(s: string): number[] {
  return sized([...s].map((ch) => ch.charCodeAt(0)));
}

/** Encoders of the instructions {@linkcode assemble} knows, by their text-format names. */
const OPS: Record<string, { arity: number; encode: (n: number[]) => number[] }> = {
  "block": { arity: 0, encode: () => [0x02, 0x40] },
  "loop": { arity: 0, encode: () => [0x03, 0x40] },
  "if": { arity: 0, encode: () => [0x04, 0x40] },
  "end": { arity: 0, encode: () => [0x0b] },
  "br": { arity: 1, encode: ([depth]) => [0x0c, ...uleb(depth)] },
  "br_if": { arity: 1, encode: ([depth]) => [0x0d, ...uleb(depth)] },
  "local.get": { arity: 1, encode: ([i]) => [0x20, ...uleb(i)] },
  "local.set": { arity: 1, encode: ([i]) => [0x21, ...uleb(i)] },
  "local.tee": { arity: 1, encode: ([i]) => [0x22, ...uleb(i)] },
  "i32.const": { arity: 1, encode: ([n]) => [0x41, ...sleb(n)] },
  "i32.eqz": { arity: 0, encode: () => [0x45] },
  "i32.lt_u": { arity: 0, encode: () => [0x49] },
  "i32.add": { arity: 0, encode: () => [0x6a] },
  "i32.sub": { arity: 0, encode: () => [0x6b] },
  "i32.mul": { arity: 0, encode: () => [0x6c] },
  "i32.and": { arity: 0, encode: () => [0x71] },
  "f32.load": { arity: 1, encode: ([offset]) => [0x2a, 2, ...uleb(offset)] },
  "f32.store": { arity: 1, encode: ([offset]) => [0x38, 2, ...uleb(offset)] },
  "f64.load": { arity: 1, encode: ([offset]) => [0x2b, 3, ...uleb(offset)] },
  "f64.store": { arity: 1, encode: ([offset]) => [0x39, 3, ...uleb(offset)] },
  "f64.add": { arity: 0, encode: () => [0xa0] },
  "f64.mul": { arity: 0, encode: () => [0xa2] },
  "v128.load": { arity: 1, encode: ([offset]) => [0xfd, 0x00, 4, ...uleb(offset)] },
  "v128.store": { arity: 1, encode: ([offset]) => [0xfd, 0x0b, 4, ...uleb(offset)] },
  /** Both lanes = the f64 at the address. */
  "v128.load64_splat": { arity: 1, encode: ([offset]) => [0xfd, 0x0a, 3, ...uleb(offset)] },
  /** `v128.const` of two zero lanes. */
  "v128.zero": { arity: 0, encode: () => [0xfd, 0x0c, ...new Array<number>(16).fill(0)] },
  /** `f32.const` with a number immediate (written as a float32). */
  "f32.const": { arity: 1, encode: ([x]) => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)] },
  "f32.add": { arity: 0, encode: () => [0x92] },
  "f32x4.splat": { arity: 0, encode: () => [0xfd, 0x13] },
  "f32x4.extract_lane": { arity: 1, encode: ([lane]) => [0xfd, 0x1f, lane] },
  "f64x2.extract_lane": { arity: 1, encode: ([lane]) => [0xfd, 0x21, lane] },
  "f64x2.add": { arity: 0, encode: () => [0xfd, ...uleb(0xf0)] },
  "f64x2.mul": { arity: 0, encode: () => [0xfd, ...uleb(0xf2)] },
  /** All four lanes = the f32 at the address. */
  "v128.load32_splat": { arity: 1, encode: ([offset]) => [0xfd, 0x09, 2, ...uleb(offset)] },
  "f32x4.add": { arity: 0, encode: () => [0xfd, ...uleb(0xe4)] },
  "f32x4.mul": { arity: 0, encode: () => [0xfd, ...uleb(0xe6)] },
  /** `v128.const` with four equal f32 lanes (the immediate, written as a float32). */
  "f32x4.const": {
    arity: 1,
    encode: ([x]) => [0xfd, 0x0c, ...new Uint8Array(new Float32Array(4).fill(x).buffer)],
  },
  /** `v128.const` with four equal i32 lanes. */
  "i32x4.const": {
    arity: 1,
    encode: ([n]) => [0xfd, 0x0c, ...new Uint8Array(new Int32Array(4).fill(n).buffer)],
  },
  "f32x4.sub": { arity: 0, encode: () => [0xfd, ...uleb(0xe5)] },
  "f32x4.div": { arity: 0, encode: () => [0xfd, ...uleb(0xe7)] },
  "f32x4.min": { arity: 0, encode: () => [0xfd, ...uleb(0xe8)] },
  "f32x4.max": { arity: 0, encode: () => [0xfd, ...uleb(0xe9)] },
  /** All-ones lanes where `a > b`. */
  "f32x4.gt": { arity: 0, encode: () => [0xfd, 0x44] },
  "f32x4.abs": { arity: 0, encode: () => [0xfd, ...uleb(0xe0)] },
  "f32x4.neg": { arity: 0, encode: () => [0xfd, ...uleb(0xe1)] },
  "f32x4.nearest": { arity: 0, encode: () => [0xfd, ...uleb(0x6a)] },
  "i32x4.splat": { arity: 0, encode: () => [0xfd, 0x11] },
  "i32x4.add": { arity: 0, encode: () => [0xfd, ...uleb(0xae)] },
  "i32x4.shl": { arity: 0, encode: () => [0xfd, ...uleb(0xab)] },
  "i32x4.trunc_sat_f32x4_s": { arity: 0, encode: () => [0xfd, ...uleb(0xf8)] },
  "i32x4.eq": { arity: 0, encode: () => [0xfd, 0x37] },
  "i32x4.sub": { arity: 0, encode: () => [0xfd, ...uleb(0xb1)] },
  /**
   * `i8x16.shuffle` moving whole 32-bit lanes: four lane indices, 0–3 from
   * the first operand and 4–7 from the second.
   */
  "i32x4.shuffle": {
    arity: 4,
    encode: (
      lanes,
    ) => [0xfd, 0x0d, ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])],
  },
  "i32x4.lt_u": { arity: 0, encode: () => [0xfd, 0x3a] },
  "v128.andnot": { arity: 0, encode: () => [0xfd, 0x4f] },
  "v128.and": { arity: 0, encode: () => [0xfd, 0x4e] },
  "v128.xor": { arity: 0, encode: () => [0xfd, 0x51] },
  "v128.or": { arity: 0, encode: () => [0xfd, 0x50] },
  /** 1 if any bit of the vector is set. */
  "v128.any_true": { arity: 0, encode: () => [0xfd, 0x53] },
  /** All-ones lanes where `a ≠ b` (NaN ≠ NaN). */
  "f32x4.ne": { arity: 0, encode: () => [0xfd, 0x42] },
  /** `a·b + c` of the relaxed-SIMD proposal (fused on a CPU with FMA). */
  "f32x4.relaxed_madd": { arity: 0, encode: () => [0xfd, ...uleb(0x105)] },
};

/**
 * Assembles a function body from text: whitespace-separated instructions in
 * the text format's names, each followed by its immediate (a local's name
 * from `locals`, a constant (an integer, or a decimal for `f32.const`), a
 * memory offset in bytes, a branch depth or a lane), e.g.
 * `"local.get x v128.load64_splat 8 local.set a"`.
 *
 * @throws {OptionError} on an unknown instruction or local name.
 */
export function assemble(text: string, locals: readonly string[]): number[] {
  const tokens = text.split(/\s+/).filter((t) => t !== "");
  const out: number[] = [];
  for (let i = 0; i < tokens.length;) {
    const mnemonic = tokens[i++], spec = OPS[mnemonic];
    if (spec === undefined) throw new OptionError(`assemble: unknown instruction "${mnemonic}"`);
    const args = tokens.slice(i, i += spec.arity).map((t) => {
      if (/^-?\d+(\.\d*)?(e-?\d+)?$/.test(t)) return Number(t);
      const index = locals.indexOf(t);
      if (index < 0) throw new OptionError(`assemble: "${mnemonic} ${t}": unknown local "${t}"`);
      return index;
    });
    out.push(...spec.encode(args));
  }
  return out;
}

/** One exported function: all parameters i32, no result unless `results` says. */
export interface WasmFunction {
  /** Export name. */
  name: string;
  /** Number of i32 parameters (locals 0..params-1). */
  params: number;
  /** Value types of the results (default none). */
  results?: number[];
  /** Further locals in order, as value types (locals params, params+1, …). */
  locals: number[];
  /** The body's instructions, without the final `end`. */
  body: number[];
}

/** Options of {@linkcode assembleModule}. */
export interface ModuleOptions {
  /** Import a memory as `env.memory` (default true). */
  memory?: boolean;
  /** The imported memory's minimum size in 64 KiB pages (default 1). */
  minPages?: number;
}

/**
 * A module exporting `functions`, importing its memory as `env.memory` (of
 * at least `minPages` pages of 64 KiB) unless `memory` is false.
 */
export function assembleModule(
  functions: WasmFunction[],
  { memory = true, minPages = 1 }: ModuleOptions = {},
): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...sized(content)];
  const signature = (f: WasmFunction) => [
    0x60,
    ...uleb(f.params),
    ...new Array<number>(f.params).fill(I32),
    ...uleb(f.results?.length ?? 0),
    ...(f.results ?? []),
  ];
  const keys = [...new Set(functions.map((f) => signature(f).join(",")))];
  const types = keys.map((k) => k.split(",").map(Number));
  const code = functions.map((f) => {
    const groups: [number, number][] = []; // runs of equal adjacent local types: [count, type]
    for (const type of f.locals) {
      const last = groups[groups.length - 1];
      if (last !== undefined && last[1] === type) last[0]++;
      else groups.push([1, type]);
    }
    const locals = groups.flatMap(([count, type]) => [...uleb(count), type]);
    return sized([...uleb(groups.length), ...locals, ...f.body, ...OPS.end.encode([])]);
  });
  const imports = [...uleb(1), ...name("env"), ...name("memory"), 0x02, 0x00, ...uleb(minPages)];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [...uleb(types.length), ...types.flat()]),
    ...(memory ? section(2, imports) : []),
    ...section(3, [
      ...uleb(functions.length),
      ...functions.map((f) => keys.indexOf(signature(f).join(","))),
    ]),
    ...section(7, [
      ...uleb(functions.length),
      ...functions.flatMap((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
    ]),
    ...section(10, [...uleb(functions.length), ...code.flat()]),
  ]);
}

/** An instance of a kernel module and its memory, shared by the module's callers. */
export interface Workspace {
  exports: WebAssembly.Exports;
  memory: WebAssembly.Memory;
  /**
   * Token of the caller whose data the memory holds (a caller that finds
   * another's token there copies its data in again and sets its own).
   */
  owner: object | null;
}

/**
 * An instance of the module `bytes` on `memory` (imported as `env.memory`),
 * or null where the engine does not validate it (no SIMD, or no relaxed
 * SIMD for `f32x4.relaxed_madd`).
 */
export function instantiateOn(
  bytes: Uint8Array,
  memory: WebAssembly.Memory,
): WebAssembly.Exports | null {
  const source = bytes as BufferSource;
  if (!WebAssembly.validate(source)) return null;
  return new WebAssembly.Instance(new WebAssembly.Module(source), { env: { memory } }).exports;
}

/**
 * One lazily created instance of `module` per module, with an imported
 * memory that grows to the largest size asked for and is then reused: a
 * fresh memory per call would leave each to the garbage collector, which
 * lets dozens of them (hundreds of MB) pile up over a cross-validation. Views
 * on the memory must be taken after each call (growing detaches them).
 */
export function sharedWorkspace(module: WebAssembly.Module): (bytes: number) => Workspace {
  let ws: Workspace | null = null;
  return (bytes) => {
    const pages = Math.ceil(bytes / 65536);
    if (ws === null) {
      const memory = new WebAssembly.Memory({ initial: Math.max(pages, 1) });
      const { exports } = new WebAssembly.Instance(module, { env: { memory } });
      ws = { exports, memory, owner: null };
    } else {
      const have = ws.memory.buffer.byteLength / 65536;
      if (pages > have) ws.memory.grow(pages - have);
    }
    return ws;
  };
}
