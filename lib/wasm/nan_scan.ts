/**
 * Whether a float32 tensor on the wasm backend holds a NaN, scanned in place
 * in f32x4 groups (`x ≠ x` lane-wise, OR-ed, one test at the end).
 *
 * Why by hand: TS2Vec cleans every input view of NaN (the reference's
 * `nan_to_num` with the rows that held one masked); reading a view back to
 * scan it in JavaScript copies it and checks one value at a time (ECG's
 * views, 8 × ~150 × 1502 values each, about 2 ms apiece), where the data
 * almost never holds a NaN.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor } from "../tf.ts";
import { assemble, assembleModule, I32, V128 } from "./emit.ts";
import { floatOffset, onWasmModule } from "./backend_memory.ts";

/** `anyNaN(p, groups) → 1 | 0` over `4·groups` floats from byte offset `p`. */
export function nanScanModuleBytes(): Uint8Array {
  const locals = ["p", "groups", "seen", "v"];
  const text = `
  v128.zero local.set seen
  local.get groups
  if
    loop
      local.get p v128.load 0 local.set v
      local.get seen local.get v local.get v f32x4.ne v128.or local.set seen
      local.get p i32.const 16 i32.add local.set p
      local.get groups i32.const 1 i32.sub local.tee groups br_if 0
    end
  end
  local.get seen v128.any_true`;
  return assembleModule([{
    name: "anyNaN",
    params: 2,
    results: [I32],
    locals: [V128, V128],
    body: assemble(text, locals),
  }]);
}

const bound = onWasmModule(nanScanModuleBytes, (backend, exports) => ({
  backend,
  anyNaN: exports.anyNaN as (p: number, groups: number) => number,
}));

/**
 * Whether the float32 tensor `x` holds a NaN, without reading it back: on
 * the wasm backend a scan of its buffer in place; `null` elsewhere (or for
 * another dtype), where the caller reads the values itself.
 *
 * @example
 * ```ts
 * if (wasmHasNaN(x) === false) return { clean: tf.clone(x), rows: null };
 * ```
 */
export function wasmHasNaN(x: Tensor): boolean | null {
  if (tf.getBackend() !== "wasm" || x.dtype !== "float32") return null;
  const s = bound();
  if (!s) return null;
  const at = floatOffset(s.backend, x as unknown as tf.TensorInfo);
  const groups = Math.floor(x.size / 4);
  if (s.anyNaN(4 * at, groups) !== 0) return true;
  const heap = s.backend.wasm.HEAPF32;
  for (let i = 4 * groups; i < x.size; i++) if (Number.isNaN(heap[at + i])) return true;
  return false;
}
