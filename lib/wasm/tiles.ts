/**
 * Square-matrix passes over 4 × 4 tiles of f32x4 wasm SIMD, in place in the
 * wasm backend's memory:
 *
 * ```
 * symmetrize: M ← M + Mᵀ            (M_ij = M_ji = M_ij + M_ji, one f32 add)
 * mirror:     M_ij ← M_ji for j > i  (the upper triangle from the lower)
 * M [n, n] row-major; tile pairs (I, J), (J, I) in wasm, transposed by eight
 * shuffles; the diagonal tiles' upper parts (mirror) and rows past 4·⌊n/4⌋ here
 * ```
 *
 * Why by hand: as tfjs ops each is a transpose and an add (or a band part),
 * passes over 10 MB at n = 1600; as a JavaScript loop over pairs the
 * transposed side strides through memory one float at a time (1600 × 1600:
 * 10 ms for `H + Hᵀ` against 2.8 ms here).
 *
 * @module
 */
import { assemble, assembleModule, I32, V128 } from "./emit.ts";
import { onWasmModule } from "./backend_memory.ts";
import type { WasmBackendMemory } from "./backend_memory.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The f32x4 locals `to0..3` ← the 4 × 4 tile in `from0..3` transposed (eight shuffles). */
function transposeText(from: string, to: string, temp: string): string {
  const [r0, r1, r2, r3] = range(4).map((r) => `${from}${r}`);
  const [t0, t1, t2, t3] = range(4).map((r) => `${temp}${r}`);
  const shuffle = (a: string, b: string, lanes: string, out: string) =>
    `local.get ${a} local.get ${b} i32x4.shuffle ${lanes} local.set ${out}`;
  return [
    shuffle(r0, r1, "0 4 1 5", t0),
    shuffle(r0, r1, "2 6 3 7", t1),
    shuffle(r2, r3, "0 4 1 5", t2),
    shuffle(r2, r3, "2 6 3 7", t3),
    shuffle(t0, t2, "0 1 4 5", `${to}0`),
    shuffle(t0, t2, "2 3 6 7", `${to}1`),
    shuffle(t1, t3, "0 1 4 5", `${to}2`),
    shuffle(t1, t3, "2 3 6 7", `${to}3`),
  ].join("\n");
}

/**
 * `symmetrize(m, tiles, rowBytes)` or `mirror(m, tiles, rowBytes)` over the
 * first `4·tiles` rows and columns (rows `rowBytes` apart; byte offsets).
 * For each tile row `I` and `J ≥ I` (`J > I` for mirror), `A` the tile
 * `(I, J)` and `B` the tile `(J, I)`: symmetrize stores `A + Bᵀ` at `A` and
 * its transpose at `B` (on the diagonal `B` is `A`); mirror stores `Bᵀ` at `A`.
 */
function tileText(symmetrize: boolean): { text: string; locals: string[]; v128: string[] } {
  const params = ["m", "tiles", "rowBytes"];
  const i32 = ["diag", "pa", "pb", "i", "j", "down"];
  const names = (x: string) => range(4).map((r) => `${x}${r}`);
  const v128 = [...names("a"), ...names("b"), ...names("c"), ...names("t")];
  const rowAt = (p: string, r: number) =>
    `local.get ${p} ${"local.get rowBytes i32.add ".repeat(r)}`;
  const load = (p: string, x: string) =>
    range(4).map((r) => `${rowAt(p, r)}v128.load 0 local.set ${x}${r}`).join("\n");
  const store = (p: string, x: string) =>
    range(4).map((r) => `${rowAt(p, r)}local.get ${x}${r} v128.store 0`).join("\n");
  const body = symmetrize
    ? `${load("pa", "a")}
      ${load("pb", "b")}
      ${transposeText("b", "c", "t")}
      ${range(4).map((r) => `local.get a${r} local.get c${r} f32x4.add local.set a${r}`).join("\n")}
      ${transposeText("a", "b", "t")}
      ${store("pa", "a")}
      ${store("pb", "b")}`
    : `${load("pb", "b")}
      ${transposeText("b", "a", "t")}
      ${store("pa", "a")}`;
  // mirror starts each tile row one tile right of (and below) the diagonal
  const first = symmetrize ? "" : `
    local.get pa i32.const 16 i32.add local.set pa
    local.get pb local.get down i32.add local.set pb`;
  const text = `
  local.get rowBytes i32.const 4 i32.mul local.set down
  local.get m local.set diag
  local.get tiles local.set i
  ${symmetrize ? "" : "local.get i i32.const 1 i32.sub local.set i"}
  local.get i
  if
    loop
      local.get diag local.set pa
      local.get diag local.set pb
      local.get i local.set j
      ${first}
      loop
        ${body}
        local.get pa i32.const 16 i32.add local.set pa
        local.get pb local.get down i32.add local.set pb
        local.get j i32.const 1 i32.sub local.tee j br_if 0
      end
      local.get diag local.get down i32.add i32.const 16 i32.add local.set diag
      local.get i i32.const 1 i32.sub local.tee i br_if 0
    end
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/** The module exporting `symmetrize` and `mirror`. */
export function tileModuleBytes(): Uint8Array {
  return assembleModule(
    ([["symmetrize", tileText(true)], ["mirror", tileText(false)]] as const).map(
      ([name, { text, locals, v128 }]) => ({
        name,
        params: 3,
        locals: locals.slice(3).map((l) => (v128.includes(l) ? V128 : I32)),
        body: assemble(text, locals),
      }),
    ),
  );
}

type TilePass = (m: number, tiles: number, rowBytes: number) => void;
const passes = onWasmModule(tileModuleBytes, (_backend, exports) => ({
  symmetrize: exports.symmetrize as TilePass,
  mirror: exports.mirror as TilePass,
}));

/** The bound passes (callers run on the wasm backend, so its memory is reachable). */
function bound() {
  const p = passes();
  if (!p) throw new Error("tiles: the wasm backend's memory is not reachable");
  return p;
}

/**
 * `M ← M + Mᵀ` in place for the `[n, n]` matrix at float offset `m` of the
 * backend's heap (each pair summed once, so `M` comes out exactly symmetric).
 *
 * @example
 * ```ts
 * const m = floatOffset(backend, out); // H, [n, n]
 * symmetrizeInPlace(backend, m, n);    // H + Hᵀ
 * ```
 */
export function symmetrizeInPlace(backend: WasmBackendMemory, m: number, n: number): void {
  const tiles = Math.floor(n / 4);
  if (tiles > 0) bound().symmetrize(4 * m, tiles, 4 * n);
  const heap = backend.wasm.HEAPF32;
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(i, 4 * tiles); j < n; j++) {
      const sum = Math.fround(heap[m + i * n + j] + heap[m + j * n + i]);
      heap[m + i * n + j] = sum;
      heap[m + j * n + i] = sum;
    }
  }
}

/**
 * `M_ij ← M_ji` for every `j > i`: the `[n, n]` matrix at float offset `m`
 * made symmetric from its lower triangle (diagonal included), in place.
 */
export function mirrorLowerInPlace(backend: WasmBackendMemory, m: number, n: number): void {
  const tiles = Math.floor(n / 4);
  if (tiles > 1) bound().mirror(4 * m, tiles, 4 * n);
  const heap = backend.wasm.HEAPF32;
  // the diagonal tiles' upper parts, then the rows and columns past the tiles
  for (let t = 0; t < 4 * tiles; t += 4) {
    for (let i = t; i < t + 4; i++) {
      for (let j = i + 1; j < t + 4; j++) heap[m + i * n + j] = heap[m + j * n + i];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let j = Math.max(i + 1, 4 * tiles); j < n; j++) heap[m + i * n + j] = heap[m + j * n + i];
  }
}
