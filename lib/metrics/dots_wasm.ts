/**
 * {@linkcode crossDots} on a WebAssembly f64x2 SIMD kernel, bit for bit: every
 * dot product is the same sequential sum `Σ_t a_t b_t` from 0 of separately
 * rounded products (wasm has no fused multiply-add), at about twice the
 * speed. The rows are kept resident in the kernel's memory, interleaved four
 * at a time (`[n/4][d][4]`), so K-means loads its points once and the
 * silhouette's tiles are products of resident rows with resident rows.
 *
 * @module
 */
import { roundUp } from "./dots.ts";
import { assemble, assembleModule, I32, sharedWorkspace, V128 } from "../wasm/mod.ts";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const PARAMS = ["aq", "nQuads", "bq0", "mQuads", "d", "out", "strideB"];
const I32_LOCALS = ["bq", "ap", "bp", "end", "o", "quadB", "left"];
const ACC = range(4).flatMap((r) => [0, 1].map((h) => `s${r}${h}`));
const V128_LOCALS = ["a0", "a1", "a2", "a3", "b0", "b1", ...ACC];

/**
 * `dots(aq, nQuads, bq0, mQuads, d, out, strideB)`: for every quad of rows of
 * `a` (from `aq`) and quad of rows of `b` (from `bq0`), both in `[quads][d][4]`
 * layout, `out[4qa + r][4qb + c] = Σ_t a_{4qa+r, t} · b_{4qb+c, t}` with
 * output rows `strideB` bytes apart; `out` advances by four rows per a-quad.
 */
const DOTS_TEXT = `
  local.get d i32.const 32 i32.mul local.set quadB
  loop
    local.get bq0 local.set bq
    local.get out local.set o
    local.get mQuads local.set left
    loop
      ${ACC.map((s) => `v128.zero local.set ${s}`).join(" ")}
      local.get aq local.set ap
      local.get bq local.set bp
      local.get aq local.get quadB i32.add local.set end
      loop
        ${range(4).map((r) => `local.get ap v128.load64_splat ${8 * r} local.set a${r}`).join(" ")}
        local.get bp v128.load 0 local.set b0
        local.get bp v128.load 16 local.set b1
        ${
  ACC.map((s) =>
    `local.get ${s} local.get a${s[1]} local.get b${s[2]} f64x2.mul f64x2.add local.set ${s}`
  ).join("\n")
}
        local.get ap i32.const 32 i32.add local.set ap
        local.get bp i32.const 32 i32.add local.set bp
        local.get ap local.get end i32.lt_u br_if 0
      end
      ${
  range(4).map((r) =>
    `local.get o ${"local.get strideB i32.add ".repeat(r)}local.tee ap
     local.get s${r}0 v128.store 0 local.get ap local.get s${r}1 v128.store 16`
  ).join("\n")
}
      local.get o i32.const 32 i32.add local.set o
      local.get bq local.get quadB i32.add local.set bq
      local.get left i32.const 1 i32.sub local.tee left br_if 0
    end
    local.get out local.get strideB i32.const 4 i32.mul i32.add local.set out
    local.get aq local.get quadB i32.add local.set aq
    local.get nQuads i32.const 1 i32.sub local.tee nQuads br_if 0
  end`;

/** The kernel's module and its shared instance. */
const WORKSPACE = sharedWorkspace(
  new WebAssembly.Module(
    assembleModule([{
      name: "dots",
      params: PARAMS.length,
      locals: [...I32_LOCALS.map(() => I32), ...V128_LOCALS.map(() => V128)],
      body: assemble(DOTS_TEXT, [...PARAMS, ...I32_LOCALS, ...V128_LOCALS]),
    }]) as Uint8Array<ArrayBuffer>,
  ),
);

type DotsKernel = (
  aq: number,
  nQuads: number,
  bq: number,
  mQuads: number,
  d: number,
  out: number,
  strideB: number,
) => void;

/** Dot products of `[n, d]` rows held in wasm memory with other rows. */
export interface ResidentRows {
  /** Rows held, and their width. */
  n: number;
  d: number;
  /**
   * `out[i · stride + c] = a_{i0+i} · b_c` for `i < ni`, `c < m` (`i0`, `ni`
   * multiples of 4; `b` `[m, d]` row-major, at least `m·d` long). The view
   * is overwritten by the next call.
   */
  dotsWith(b: Float64Array, m: number, i0?: number, ni?: number): DotsView;
  /** `out[i · stride + j] = a_{i0+i} · a_{j0+j}` (`i0`, `ni`, `j0`, `nj` multiples of 4). */
  dotsWithin(i0: number, ni: number, j0: number, nj: number): DotsView;
}

/** Products row-major in `out` with row stride `stride` (≥ the columns asked for). */
export interface DotsView {
  out: Float64Array;
  stride: number;
}

/**
 * Loads `a` `[n, d]` (row-major, `n` rounded up to 4 with zero rows) into the
 * kernel's memory, with scratch for up to `maxM` rows of `b` and `maxOut`
 * products, e.g. `roundUp(n, 4) · roundUp(maxM, 4)`. The memory is shared:
 * rows that find another's data there load `a` again, so `a` must not change
 * while the rows are in use.
 *
 * @example
 * ```ts
 * const rows = residentRows(points, n, d, 8, roundUp(n, 4) * 8);
 * const { out, stride } = rows.dotsWith(centres, k); // out[i·stride + c] = x_i · c_c
 * ```
 */
export function residentRows(
  a: Float64Array,
  n: number,
  d: number,
  maxM: number,
  maxOut: number,
): ResidentRows {
  const nPad = roundUp(n, 4), mCap = roundUp(Math.max(maxM, 1), 4);
  const aAt = 0, bAt = nPad * d * 8, outAt = bAt + mCap * d * 8;
  const bytes = outAt + Math.max(maxOut, 16) * 8;
  const token = {};
  const interleave = (src: Float64Array, rows: number, dst: Float64Array) => {
    for (let i = 0; i < rows; i++) {
      const q = (i >> 2) * 4 * d + (i & 3), o = i * d;
      for (let t = 0; t < d; t++) dst[q + 4 * t] = src[o + t];
    }
  };
  /** The shared memory with `a` in it, and the kernel. */
  const load = () => {
    const ws = WORKSPACE(bytes);
    if (ws.owner !== token) {
      const aq = new Float64Array(ws.memory.buffer, aAt, nPad * d);
      aq.fill(0, (n >> 2) * 4 * d); // the last quad, whose padding rows must be 0
      interleave(a, n, aq);
      ws.owner = token;
    }
    return { buffer: ws.memory.buffer, dots: ws.exports.dots as DotsKernel };
  };
  load();
  const view = (buffer: ArrayBufferLike, rows: number, stride: number): DotsView => ({
    out: new Float64Array(buffer, outAt, rows * stride),
    stride,
  });
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new RangeError(`residentRows: ${what}`);
  };
  return {
    n,
    d,
    dotsWith(b, m, i0 = 0, ni = nPad) {
      const mPad = roundUp(m, 4);
      check(m <= mCap && ni * mPad <= maxOut && i0 % 4 === 0 && ni % 4 === 0, "block too large");
      const { buffer, dots } = load();
      const bq = new Float64Array(buffer, bAt, mPad * d);
      bq.fill(0);
      interleave(b, m, bq);
      if (ni > 0) dots(aAt + i0 * d * 8, ni / 4, bAt, mPad / 4, d, outAt, mPad * 8);
      return view(buffer, ni, mPad);
    },
    dotsWithin(i0, ni, j0, nj) {
      check(ni * nj <= maxOut && (i0 | ni | j0 | nj) % 4 === 0, "block too large");
      const { buffer, dots } = load();
      if (ni > 0 && nj > 0) {
        dots(aAt + i0 * d * 8, ni / 4, aAt + j0 * d * 8, nj / 4, d, outAt, nj * 8);
      }
      return view(buffer, ni, nj);
    },
  };
}
