/**
 * Strided row passes of f32x4 wasm SIMD between offsets of one memory:
 *
 * ```
 * copy: D[r, j] = S[r, j]      add: D[r, j] += S[r, j]      mul: D[r, j] *= S[r, j]
 * r < rows, j < width (a multiple of 4); row r of D at dst + r·ldd, of S at src + r·lds
 * ```
 *
 * A stride of 0 repeats a row: `add` with `lds = 0` adds one row (a bias) to
 * every row, with `ldd = 0` sums the rows of `S` into one, in order (so a
 * column sum gives the bits of a sequential sum, as the GEMM's product with
 * a ones vector does).
 *
 * Why by hand: these are the glue of `../ts2vec/taps_wasm.ts`, whose operands
 * are row ranges of the wasm backend's buffers; as tfjs ops each would be a
 * slice, a pad and an add, each a kernel call and a copy.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { assemble, assembleModule, I32, instantiateOn } from "./emit.ts";
import { floatOffset, heapMemory, wasmBackendMemory } from "./backend_memory.ts";

/** The three passes. */
export type RowOp = "copy" | "add" | "mul";

/** One pass: float offsets and strides (in floats) of the backend's heap; `width` a multiple of 4. */
export type RowPass = (
  dst: number,
  src: number,
  rows: number,
  width: number,
  ldd: number,
  lds: number,
) => void;

/** `op(dst, src, rows, groups, ldd, lds)`: byte offsets and strides, `groups` f32x4 per row. */
function rowText(op: RowOp): { text: string; locals: string[] } {
  const params = ["dst", "src", "rows", "groups", "ldd", "lds"];
  const value = {
    copy: "local.get s v128.load 0",
    add: "local.get d v128.load 0 local.get s v128.load 0 f32x4.add",
    mul: "local.get d v128.load 0 local.get s v128.load 0 f32x4.mul",
  }[op];
  const text = `
  loop
    local.get dst local.set d
    local.get src local.set s
    local.get groups local.set j
    loop
      local.get d ${value} v128.store 0
      local.get d i32.const 16 i32.add local.set d
      local.get s i32.const 16 i32.add local.set s
      local.get j i32.const 1 i32.sub local.tee j br_if 0
    end
    local.get dst local.get ldd i32.add local.set dst
    local.get src local.get lds i32.add local.set src
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, "d", "s", "j"] };
}

const OPS: readonly RowOp[] = ["copy", "add", "mul"];

/** The module exporting `copy`, `add` and `mul`. */
export function rowsModuleBytes(): Uint8Array {
  return assembleModule(OPS.map((op) => {
    const { text, locals } = rowText(op);
    return {
      name: op,
      params: 6,
      locals: locals.slice(6).map(() => I32),
      body: assemble(text, locals),
    };
  }));
}

/**
 * The passes bound to `memory` (null where the engine lacks wasm SIMD).
 * Empty passes (`rows` or `width` 0) do nothing.
 *
 * @example
 * ```ts
 * import { bindRows } from "./rows.ts";
 * const memory = new WebAssembly.Memory({ initial: 1 });
 * const heap = new Float32Array(memory.buffer);
 * heap.set([1, 2, 3, 4, 10, 20, 30, 40], 0);
 * bindRows(memory)!.add(8, 0, 2, 4, 0, 4); // heap[8..12] = column sums [11, 22, 33, 44]
 * ```
 */
export function bindRows(memory: WebAssembly.Memory): Record<RowOp, RowPass> | null {
  const exports = instantiateOn(rowsModuleBytes(), memory);
  if (!exports) return null;
  const bind = (op: RowOp): RowPass => {
    const f = exports[op] as (...args: number[]) => void;
    return (dst, src, rows, width, ldd, lds) => {
      if (rows > 0 && width > 0) f(4 * dst, 4 * src, rows, width / 4, 4 * ldd, 4 * lds);
    };
  };
  return { copy: bind("copy"), add: bind("add"), mul: bind("mul") };
}

/** The tfjs kernel of {@linkcode installWasmRows}: `x [N, C]` → `[C]`, the column sums. */
export const COLUMN_SUM_KERNEL = "ColumnSum";

let installed: Record<RowOp, RowPass> | null = null;

/**
 * Binds the row passes to the wasm backend's memory and registers
 * {@linkcode COLUMN_SUM_KERNEL} there (call after the backend has started;
 * idempotent). Its sums run over the rows in order, so they equal, bit for
 * bit, the product with a ones vector that they replace (tfjs' own column
 * reduction transposes `X` first). Returns whether they are in place.
 *
 * @example
 * ```ts
 * import { tf } from "../tf.ts";
 * import { COLUMN_SUM_KERNEL, installWasmRows } from "./rows.ts";
 * await tf.setBackend("wasm");
 * if (installWasmRows()) tf.engine().runKernel(COLUMN_SUM_KERNEL, { x: tf.ones([5, 8]) }); // [8] of 5
 * ```
 */
export function installWasmRows(): boolean {
  if (installed) return true;
  const backend = wasmBackendMemory();
  const memory = backend && heapMemory(backend);
  if (!backend || !memory) return false;
  const rows = bindRows(memory);
  if (!rows) return false;
  tf.registerKernel({
    kernelName: COLUMN_SUM_KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs }) => {
      const x = inputs.x as tf.TensorInfo;
      const [n, c] = x.shape;
      const out = backend.makeOutput([c], "float32");
      const px = floatOffset(backend, x), po = floatOffset(backend, out);
      const heap = backend.wasm.HEAPF32;
      heap.fill(0, po, po + c);
      const whole = c - (c % 4);
      rows.add(po, px, n, whole, 0, c);
      for (let j = whole; j < c; j++) {
        for (let i = 0; i < n; i++) heap[po + j] += heap[px + i * c + j];
      }
      return out;
    },
  });
  installed = rows;
  return true;
}

/** The row passes bound to the wasm backend's memory (null before {@linkcode installWasmRows}). */
export function installedRows(): Record<RowOp, RowPass> | null {
  return installed;
}
