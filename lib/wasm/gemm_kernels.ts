/**
 * The GEMM's WebAssembly: the 5 × 8 micro-kernel loop nest over packed
 * operands and the packers, as text for `emit.ts` (see `gemm.ts` for the
 * layout and how it runs in the wasm backend's memory).
 *
 * @module
 */
import { assemble, assembleModule, I32, V128 } from "./emit.ts";

/** Rows of `C` per micro-kernel tile. */
export const GEMM_ROWS = 5;
/** Columns of `C` per micro-kernel tile (two f32x4 lanes). */
export const GEMM_COLUMNS = 8;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * `gemm(ap, bp, c, mBlocks, nPanels, k, ldc)`: for each block of packed `A`
 * from `ap` and each panel of packed `B` from `bp`, the 5 × 8 tile of `C`
 * at `c` (rows `ldc` bytes apart; a block's tiles side by side). Per `k`:
 * `b_k·` as two vectors, `a_0..3,k` as one vector broadcast lane by lane
 * with shuffles, `a_4k` by a splat load (four checked loads, see `gemm.ts`).
 */
function gemmText(fused: boolean): { text: string; locals: string[]; v128: string[] } {
  const params = ["ap0", "bp0", "c0", "mBlocks", "nPanels", "k", "ldc"];
  const i32 = ["ap", "bp", "c", "end", "panel", "cRow", "block", "o"];
  const acc = range(GEMM_ROWS).flatMap((r) => [0, 1].map((h) => `s${r}${h}`));
  const v128 = ["a", "x", "b0", "b1", ...acc];
  const mac = (s: string, b: string) =>
    fused
      ? `local.get a local.get ${b} local.get ${s} f32x4.relaxed_madd local.set ${s}`
      : `local.get ${s} local.get a local.get ${b} f32x4.mul f32x4.add local.set ${s}`;
  const step = (u: number) => `
        local.get bp v128.load ${32 * u} local.set b0
        local.get bp v128.load ${32 * u + 16} local.set b1
        local.get ap v128.load ${4 * u * GEMM_ROWS} local.set x
        ${
    range(4).map((r) =>
      `local.get x local.get x i32x4.shuffle ${r} ${r} ${r} ${r} local.set a
       ${mac(`s${r}0`, "b0")} ${mac(`s${r}1`, "b1")}`
    ).join("\n")
  }
        local.get ap v128.load32_splat ${4 * (4 + u * GEMM_ROWS)} local.set a
        ${mac("s40", "b0")} ${mac("s41", "b1")}`;
  const text = `
  local.get ap0 local.set block
  local.get c0 local.set cRow
  loop
    local.get bp0 local.set bp
    local.get cRow local.set c
    local.get nPanels local.set panel
    loop
      ${acc.map((s) => `v128.zero local.set ${s}`).join(" ")}
      local.get block local.set ap
      local.get block local.get k i32.const ${4 * GEMM_ROWS} i32.mul i32.add local.set end
      local.get k i32.const 1 i32.and
      if
        ${step(0)}
        local.get ap i32.const ${4 * GEMM_ROWS} i32.add local.set ap
        local.get bp i32.const 32 i32.add local.set bp
      end
      local.get ap local.get end i32.lt_u
      if
        loop
          ${step(0)}
          ${step(1)}
          local.get ap i32.const ${8 * GEMM_ROWS} i32.add local.set ap
          local.get bp i32.const 64 i32.add local.set bp
          local.get ap local.get end i32.lt_u br_if 0
        end
      end
      ${
    range(GEMM_ROWS).map((r) =>
      `local.get c ${"local.get ldc i32.add ".repeat(r)}local.tee o
       local.get s${r}0 v128.store 0 local.get o local.get s${r}1 v128.store 16`
    ).join("\n")
  }
      local.get c i32.const 32 i32.add local.set c
      local.get panel i32.const 1 i32.sub local.tee panel br_if 0
    end
    local.get end local.set block
    local.get cRow local.get ldc i32.const ${GEMM_ROWS} i32.mul i32.add local.set cRow
    local.get mBlocks i32.const 1 i32.sub local.tee mBlocks br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/**
 * `pack{W}(dst, src, groups, k, rs, cs)`: for each group of `W` rows (`rs`
 * bytes apart) and every `t < k` (`cs` bytes apart), the group's `W` values
 * of column `t` side by side: `dst[(g·k + t)·W + w] = src[(g·W + w)·rs + t·cs]`.
 * One kernel packs both operands and both layouts (row-major or transposed).
 */
function packText(width: number): { text: string; locals: string[] } {
  const params = ["dst", "src", "groups", "k", "rs", "cs"];
  const rows = range(width).map((w) => `p${w}`);
  const text = `
  loop
    local.get src local.set p0
    ${
    range(width - 1).map((w) => `local.get p${w} local.get rs i32.add local.set p${w + 1}`).join(
      " ",
    )
  }
    local.get k local.set t
    loop
      ${
    range(width).map((w) =>
      `local.get dst local.get p${w} f32.load 0 f32.store ${4 * w}
       local.get p${w} local.get cs i32.add local.set p${w}`
    ).join("\n")
  }
      local.get dst i32.const ${4 * width} i32.add local.set dst
      local.get t i32.const 1 i32.sub local.tee t br_if 0
    end
    local.get src local.get rs i32.const ${width} i32.mul i32.add local.set src
    local.get groups i32.const 1 i32.sub local.tee groups br_if 0
  end`;
  return { text, locals: [...params, "t", ...rows] };
}

/**
 * `packSide{W}(dst, src, groups, k, cs)`: {@linkcode packText}'s layout for
 * groups whose `W` rows lie side by side (`rs` = 4 bytes: a transposed `A`,
 * a row-major `B`): each `t` is a copy of `W` floats, as two f32x4 loads and
 * stores (for `W = 6` at floats 0 and 2, overlapping).
 */
function packSideText(width: number): { text: string; locals: string[] } {
  const params = ["dst", "src", "groups", "k", "cs"];
  const second = 4 * (width - 4);
  const text = `
  loop
    local.get src local.set p
    local.get k local.set t
    loop
      local.get dst local.get p v128.load 0 v128.store 0
      local.get dst local.get p v128.load ${second} v128.store ${second}
      local.get dst i32.const ${4 * width} i32.add local.set dst
      local.get p local.get cs i32.add local.set p
      local.get t i32.const 1 i32.sub local.tee t br_if 0
    end
    local.get src i32.const ${4 * width} i32.add local.set src
    local.get groups i32.const 1 i32.sub local.tee groups br_if 0
  end`;
  return { text, locals: [...params, "t", "p"] };
}

/** The GEMM module (fused with relaxed SIMD, or multiply-then-add) and its packers. */
export function gemmModuleBytes(fused: boolean): Uint8Array {
  const { text, locals, v128 } = gemmText(fused);
  const params = 7;
  // pack{W} (any layout, 6 parameters) and packSide{W} (rows side by side, 5) for both widths
  const packers = ([["pack", packText, 6], ["packSide", packSideText, 5]] as const).flatMap((
    [prefix, text, count],
  ) =>
    [GEMM_ROWS, GEMM_COLUMNS].map((width) => {
      const p = text(width);
      return {
        name: `${prefix}${width}`,
        params: count,
        locals: p.locals.slice(count).map(() => I32),
        body: assemble(p.text, p.locals),
      };
    })
  );
  return assembleModule([
    {
      name: "gemm",
      params,
      locals: locals.slice(params).map((l) => (v128.includes(l) ? V128 : I32)),
      body: assemble(text, locals),
    },
    ...packers,
  ]);
}

/** Whether this engine validates relaxed SIMD's `f32x4.relaxed_madd`. */
export function hasRelaxedSimd(): boolean {
  relaxedSimd ??= WebAssembly.validate(gemmModuleBytes(true) as BufferSource);
  return relaxedSimd;
}

/** The engine's answer, asked once (every start of the wasm backend consults it). */
let relaxedSimd: boolean | undefined;
