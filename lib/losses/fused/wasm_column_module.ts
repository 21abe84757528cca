/**
 * The WebAssembly of wasm_kernels.ts, as text for `lib/wasm/emit.ts`: the
 * values pass (`f` of every entry with one exponential, stored, and the
 * rows' sums with a band left out), the slopes pass (`H` from the stored
 * values), each also for "stable"'s hinge and shift, and the pairs pass
 * (`H + Hᵀ` of symmetric values).
 *
 * @module
 */
import {
  assemble,
  assembleModule,
  EXP_CONSTANTS,
  expStatements,
  I32,
  V128,
} from "../../wasm/mod.ts";

/** Groups of 4 columns per loop turn of the values pass, interleaved. */
export const GROUPS = 4;
/** Floats of a row record, four lanes each: `[p, a, b, m]` (values) or `[α, β, γ, m]` (gradients). */
export const RECORD = 16;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const CONSTANTS: [string, string][] = [
  ["zero", "f32x4.const 0"],
  ["four", "i32x4.const 4"],
  ["turnLanes", `i32x4.const ${4 * GROUPS}`],
  ...range(GROUPS).map((u): [string, string] => [`off_${u}`, `i32x4.const ${4 * u}`]),
  ...EXP_CONSTANTS,
];

/**
 * `m − s` on the stack (the hinge kinds' `max(0, m − s)` before the max), or
 * `s − m` for "stable" (`max(0, s + margin − 1)` with `m = 1 − margin`).
 */
const hingeOf = (stable: boolean) => (s: string) =>
  stable ? `local.get ${s} local.get m f32x4.sub` : `local.get m local.get ${s} f32x4.sub`;

/** Each of `pointers` moved on by a group (16 bytes), then the group count down and the loop closed. */
const nextGroup = (...pointers: string[]) =>
  `${pointers.map((p) => `local.get ${p} i32.const 16 i32.add local.set ${p}`).join("\n")}
   local.get g i32.const 1 i32.sub local.tee g br_if 0`;

/** Each of `pointers` moved on by a row (`rowBytes`). */
const nextRow = (...pointers: string[]) =>
  pointers.map((p) => `local.get ${p} local.get rowBytes i32.add local.set ${p}`).join("\n");

/** Each group's statements interleaved line by line, so that their dependency chains overlap. */
const interleave = (groups: string[][]) =>
  groups[0].flatMap((_, line) => groups.map((g) => g[line])).join("\n");

/**
 * `values(s, f, out, rowRecords, lanes, rows, turns, rest, low, width, rowBytes)`:
 * for each row `r` (rows of `s` and `f` `rowBytes` apart) and its first
 * `4·(GROUPS·turns + rest)` columns, `f ← exp(p·s + a·s² + b·max(0, m − s)²)`
 * and `out[r]` the row's sum with the `width` columns from `low + r` left out
 * (the band; `low` may be negative); `lanes` holds the i32 lane indices
 * `[0, 1, 2, 3]`. Byte offsets. `valuesStable` forms
 * `f ← exp((p·s + b·max(0, s − m)²) + a)` instead (`a = −K`, the column's shift).
 */
function valuesText(stable: boolean): { text: string; locals: string[]; v128: string[] } {
  const hinge = hingeOf(stable);
  const params = [
    "s0",
    "f0",
    "out",
    "rec",
    "lanes",
    "rows",
    "turns",
    "rest",
    "low",
    "width",
    "rowBytes",
  ];
  const i32 = ["sp", "fp", "g"];
  const own = (u: number) => ["s", "h", "y", "e", "n", "r", "acc", "idx"].map((x) => `${x}_${u}`);
  const v128 = [
    "p",
    "a",
    "b",
    "m",
    "index",
    "bandLow",
    "span",
    ...range(GROUPS).flatMap(own),
    ...CONSTANTS.map((c) => c[0]),
  ];
  // one group of 4 columns at byte offset 16·u, its lanes' column indices index + 4u
  const group = (u: number) => {
    const [s, h, y, e, n, r, acc, idx] = own(u);
    return [
      `local.get sp v128.load ${16 * u} local.set ${s}`,
      `local.get index local.get off_${u} i32x4.add local.set ${idx}`,
      `${hinge(s)} local.get zero f32x4.max local.set ${h}`,
      stable
        ? `local.get p local.get ${s} f32x4.mul local.get b local.get ${h} local.get ${h} f32x4.mul f32x4.mul f32x4.add local.get a f32x4.add local.set ${y}`
        : `local.get p local.get ${s} f32x4.mul local.get a local.get ${s} local.get ${s} f32x4.mul f32x4.mul f32x4.add local.get b local.get ${h} local.get ${h} f32x4.mul f32x4.mul f32x4.add local.set ${y}`,
      ...expStatements(y, e, n, r),
      `local.get fp local.get ${e} v128.store ${16 * u}`,
      `local.get ${acc} local.get ${e} local.get ${idx} local.get bandLow i32x4.sub local.get span i32x4.lt_u v128.andnot f32x4.add local.set ${acc}`,
    ];
  };
  const lanesOf = (acc: string) =>
    `local.get ${acc} f32x4.extract_lane 0 local.get ${acc} f32x4.extract_lane 1 f32.add local.get ${acc} f32x4.extract_lane 2 f32.add local.get ${acc} f32x4.extract_lane 3 f32.add`;
  const advance = (count: number) => `
        local.get sp i32.const ${16 * count} i32.add local.set sp
        local.get fp i32.const ${16 * count} i32.add local.set fp
        local.get g i32.const 1 i32.sub local.tee g br_if 0`;
  const text = `
  ${CONSTANTS.map(([name, init]) => `${init} local.set ${name}`).join("\n")}
  loop
    local.get rec v128.load 0 local.set p
    local.get rec v128.load 16 local.set a
    local.get rec v128.load 32 local.set b
    local.get rec v128.load 48 local.set m
    local.get low i32x4.splat local.set bandLow
    local.get width i32x4.splat local.set span
    local.get lanes v128.load 0 local.set index
    ${range(GROUPS).map((u) => `v128.zero local.set acc_${u}`).join(" ")}
    local.get s0 local.set sp
    local.get f0 local.set fp
    local.get turns local.set g
    local.get g
    if
      loop
        ${interleave(range(GROUPS).map(group))}
        local.get index local.get turnLanes i32x4.add local.set index
        ${advance(GROUPS)}
      end
    end
    local.get rest local.set g
    local.get g
    if
      loop
        ${group(0).join("\n")}
        local.get index local.get four i32x4.add local.set index
        ${advance(1)}
      end
    end
    local.get out
    ${range(GROUPS).map((u) => lanesOf(`acc_${u}`)).join("\n")}
    ${"f32.add ".repeat(GROUPS - 1)}
    f32.store 0
    local.get out i32.const 4 i32.add local.set out
    local.get rec i32.const ${4 * RECORD} i32.add local.set rec
    ${nextRow("s0", "f0")}
    local.get low i32.const 1 i32.add local.set low
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/**
 * `slopes(s, f, out, rowRecords, rows, groups, rowBytes)`: for each row and
 * its first `4·groups` columns, `out ← f·((α·s − β·max(0, m − s)) + γ)` with
 * the row's record `[α, β, γ, m]`. Byte offsets. `slopesStable` takes
 * `max(0, s − m)` for the hinge.
 */
function slopesText(stable: boolean): { text: string; locals: string[]; v128: string[] } {
  const hinge = hingeOf(stable);
  const params = ["s0", "f0", "out0", "rec", "rows", "groups", "rowBytes"];
  const i32 = ["sp", "fp", "op", "g"];
  const v128 = ["alpha", "beta", "gamma", "m", "s", "h", "zero"];
  const text = `
  f32x4.const 0 local.set zero
  loop
    local.get rec v128.load 0 local.set alpha
    local.get rec v128.load 16 local.set beta
    local.get rec v128.load 32 local.set gamma
    local.get rec v128.load 48 local.set m
    local.get s0 local.set sp
    local.get f0 local.set fp
    local.get out0 local.set op
    local.get groups local.set g
    local.get g
    if
      loop
        local.get sp v128.load 0 local.set s
        ${hinge("s")} local.get zero f32x4.max local.set h
        local.get op
        local.get fp v128.load 0
        local.get alpha local.get s f32x4.mul local.get beta local.get h f32x4.mul f32x4.sub
        local.get gamma f32x4.add f32x4.mul
        v128.store 0
        ${nextGroup("sp", "fp", "op")}
      end
    end
    local.get rec i32.const ${4 * RECORD} i32.add local.set rec
    ${nextRow("s0", "f0", "out0")}
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/**
 * `pairs(f0, out0, gammas, rec, rows, groups, rowBytes)`: for each row `i`
 * and its first `4·groups` columns `j`, `out ← f·(γ_i + γ_j)`, with `γ_i` the
 * γ lanes of the row's record and `γ_j` read from `gammas` (one float per
 * column). `H + Hᵀ` in one pass where `f` is symmetric. `pairsVrn(…, s0,
 * consts)` adds `κ·(s − δ)` (InfoNCE's VRN term), `consts` holding `κ` and
 * `δ` in four lanes each. Byte offsets.
 */
function pairsText(vrn: boolean): { text: string; locals: string[]; v128: string[] } {
  const params = [
    "f0",
    "out0",
    "gammas",
    "rec",
    "rows",
    "groups",
    "rowBytes",
    ...(vrn ? ["s0", "consts"] : []),
  ];
  const i32 = ["fp", "op", "gp", "sp", "g"];
  const v128 = ["own", "kappa", "delta"];
  const text = `
  ${
    vrn
      ? "local.get consts v128.load 0 local.set kappa local.get consts v128.load 16 local.set delta"
      : ""
  }
  loop
    local.get rec v128.load 32 local.set own
    local.get f0 local.set fp
    local.get out0 local.set op
    local.get gammas local.set gp
    ${vrn ? "local.get s0 local.set sp" : ""}
    local.get groups local.set g
    local.get g
    if
      loop
        local.get op
        local.get fp v128.load 0
        local.get own local.get gp v128.load 0 f32x4.add
        f32x4.mul
        ${
    vrn
      ? `local.get kappa local.get sp v128.load 0 local.get delta f32x4.sub f32x4.mul f32x4.add
        local.get sp i32.const 16 i32.add local.set sp`
      : ""
  }
        v128.store 0
        ${nextGroup("fp", "op", "gp")}
      end
    end
    local.get rec i32.const ${4 * RECORD} i32.add local.set rec
    ${vrn ? nextRow("f0", "out0", "s0") : nextRow("f0", "out0")}
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/**
 * `squares(s0, out, lanes, consts, rows, groups, low, width, rowBytes)`: for
 * each row `r` and its first `4·groups` columns, `out[r]` the sum of
 * `(s − δ)²` with the `width` columns from `low + r` left out (`consts`
 * holds `δ` in four lanes at byte 16, `lanes` the i32 lane indices). Byte offsets.
 */
function squaresText(): { text: string; locals: string[]; v128: string[] } {
  const params = ["s0", "out", "lanes", "consts", "rows", "groups", "low", "width", "rowBytes"];
  const i32 = ["sp", "g"];
  const v128 = ["delta", "index", "bandLow", "span", "acc", "d", "four"];
  const text = `
  local.get consts v128.load 16 local.set delta
  i32x4.const 4 local.set four
  loop
    local.get lanes v128.load 0 local.set index
    local.get low i32x4.splat local.set bandLow
    local.get width i32x4.splat local.set span
    v128.zero local.set acc
    local.get s0 local.set sp
    local.get groups local.set g
    local.get g
    if
      loop
        local.get sp v128.load 0 local.get delta f32x4.sub local.set d
        local.get acc
        local.get d local.get d f32x4.mul
        local.get index local.get bandLow i32x4.sub local.get span i32x4.lt_u v128.andnot
        f32x4.add local.set acc
        local.get index local.get four i32x4.add local.set index
        local.get sp i32.const 16 i32.add local.set sp
        local.get g i32.const 1 i32.sub local.tee g br_if 0
      end
    end
    local.get out
    local.get acc f32x4.extract_lane 0 local.get acc f32x4.extract_lane 1 f32.add
    local.get acc f32x4.extract_lane 2 local.get acc f32x4.extract_lane 3 f32.add
    f32.add
    f32.store 0
    local.get out i32.const 4 i32.add local.set out
    local.get s0 local.get rowBytes i32.add local.set s0
    local.get low i32.const 1 i32.add local.set low
    local.get rows i32.const 1 i32.sub local.tee rows br_if 0
  end`;
  return { text, locals: [...params, ...i32, ...v128], v128 };
}

/** The module exporting `values`, `slopes`, their "stable" forms, `pairs`, `pairsVrn` and `squares`. */
export function columnModuleBytes(): Uint8Array {
  return assembleModule(
    ([
      ["values", valuesText(false), 11],
      ["slopes", slopesText(false), 7],
      [
        "valuesStable",
        valuesText(true),
        11,
      ],
      ["slopesStable", slopesText(true), 7],
      ["pairs", pairsText(false), 7],
      ["pairsVrn", pairsText(true), 9],
      ["squares", squaresText(), 9],
    ] as const).map(
      ([name, { text, locals, v128 }, params]) => ({
        name,
        params,
        locals: locals.slice(params).map((l) => (v128.includes(l) ? V128 : I32)),
        body: assemble(text, locals),
      }),
    ),
  );
}
