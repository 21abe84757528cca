/**
 * The multinomial logistic objective of {@linkcode softmaxObjectiveJs} on
 * WebAssembly f64x2 SIMD kernels, bit for bit the same numbers at about twice
 * the speed: each SIMD lane is one class, and performs exactly the
 * JavaScript kernel's sequence of separately rounded multiplies and adds
 * (wasm has no fused multiply-add), so every logit is the same sequential sum
 * `Σ_j x_ij W_cj` from 0, and every gradient element receives the same
 * additions `G_cj += r_oc x_oj + r_qc x_qj` pair by pair in row order. The
 * softmax of each row (exp, log) stays in JavaScript, in the same order.
 *
 * Rows go through in chunks that fit the L2 cache: logits of the chunk
 * (wasm), softmax and residuals (JS), gradient of the chunk (wasm).
 *
 * @module
 */
import {
  assemble,
  assembleModule,
  I32,
  sharedWorkspace,
  V128,
  type WasmFunction,
} from "../wasm/mod.ts";
import type { SoftmaxProblem } from "./softmax_objective.ts";

/** Most class pairs (SIMD lanes / 2) one kernel call handles. */
const MAX_PAIRS_PER_BLOCK = 4;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Locals of both kernels: six i32 parameters, then i32 and v128 locals. */
const PARAMS = ["xo", "m", "out", "nPairs", "d", "kPadB"];
const I32_LOCALS = ["xq", "end", "mj", "dB"];
const V128_LOCALS = ["a", "b", "w"];

/** `(prefix0 … prefix{n-1})`. */
const names = (prefix: string, n: number) => range(n).map((u) => `${prefix}${u}`);

/** The function with `PARAMS`, `I32_LOCALS`, `V128_LOCALS` and `extra` v128 locals. */
function kernel(name: string, extra: string[], text: string): WasmFunction {
  const locals = [...PARAMS, ...I32_LOCALS, ...V128_LOCALS, ...extra];
  return {
    name,
    params: PARAMS.length,
    locals: [...I32_LOCALS.map(() => I32), ...[...V128_LOCALS, ...extra].map(() => V128)],
    body: assemble(text, locals),
  };
}

/**
 * Shared frame of both kernels: for each pair of rows (o = `xo`, q = o + d),
 * `head` once, then `step` for j = 0..d−1 with `a` = x_oj and `b` = x_qj in
 * both lanes and `mj` = `m` + j·kPadB (row j of a `[d, kPad]` matrix), then
 * `tail`; `out` advances by two rows of kPad.
 */
function pairLoop(head: string, step: string, tail: string): string {
  return `
    local.get d i32.const 8 i32.mul local.set dB
    loop
      local.get xo local.get dB i32.add local.tee xq local.set end
      local.get m local.set mj
      ${head}
      loop
        local.get xo v128.load64_splat 0 local.set a
        local.get xq v128.load64_splat 0 local.set b
        ${step}
        local.get xo i32.const 8 i32.add local.set xo
        local.get xq i32.const 8 i32.add local.set xq
        local.get mj local.get kPadB i32.add local.set mj
        local.get xo local.get end i32.lt_u br_if 0
      end
      ${tail}
      local.get out local.get kPadB local.get kPadB i32.add i32.add local.set out
      local.get xq local.set xo
      local.get nPairs i32.const 1 i32.sub local.tee nPairs br_if 0
    end`;
}

/**
 * `logits{U}(xo, wt, z, nPairs, d, kPadB)`: for each pair of rows (o, q = o + d)
 * from byte address `xo`, `z[o][u] = Σ_j x_oj · Wt[j][u]` (j ascending, from
 * 0) over the `2U` classes from `wt` (rows of `Wt` are `kPadB` bytes apart),
 * stored at `z` and row q at `z + kPadB`.
 */
function logitsFunction(U: number): WasmFunction {
  const [o, q] = [names("o", U), names("q", U)];
  return kernel(
    `logits${U}`,
    [...o, ...q],
    pairLoop(
      range(U).map((u) => `v128.zero local.set o${u} v128.zero local.set q${u}`).join(" "),
      range(U).map((u) => `
        local.get mj v128.load ${16 * u} local.set w
        local.get o${u} local.get a local.get w f64x2.mul f64x2.add local.set o${u}
        local.get q${u} local.get b local.get w f64x2.mul f64x2.add local.set q${u}`).join(""),
      range(U).map((u) => `
        local.get out local.get o${u} v128.store ${16 * u}
        local.get out local.get kPadB i32.add local.get q${u} v128.store ${16 * u}`).join(""),
    ),
  );
}

/**
 * `grad{U}(xo, gt, r, nPairs, d, kPadB)`: for each pair of rows (o, q = o + d)
 * from `xo`, with residuals `r[o][u]`, `r[q][u]` at `r` and `r + kPadB`,
 * `Gt[j][u] += x_oj · r_ou + x_qj · r_qu` over the `2U` classes from `gt`
 * (the JavaScript kernel's `G += a·x_o + b·x_q`); `r` advances by two rows.
 */
function gradFunction(U: number): WasmFunction {
  const [ro, rq] = [names("ro", U), names("rq", U)];
  // The residuals are read through `out` (the pointer that advances by two rows).
  return kernel(
    `grad${U}`,
    [...ro, ...rq],
    pairLoop(
      range(U).map((u) => `
        local.get out v128.load ${16 * u} local.set ro${u}
        local.get out local.get kPadB i32.add v128.load ${16 * u} local.set rq${u}`).join(""),
      range(U).map((u) => `
        local.get mj
        local.get mj v128.load ${16 * u}
        local.get a local.get ro${u} f64x2.mul local.get b local.get rq${u} f64x2.mul f64x2.add
        f64x2.add v128.store ${16 * u}`).join(""),
      "",
    ),
  );
}

/** The kernels' module, compiled once (a few kilobytes), and its shared instance. */
const WORKSPACE = sharedWorkspace(
  new WebAssembly.Module(
    assembleModule(
      range(MAX_PAIRS_PER_BLOCK).flatMap((u) => [logitsFunction(u + 1), gradFunction(u + 1)]),
    ) as Uint8Array<ArrayBuffer>,
  ),
);

/** `(xo, matrix, out, nPairs, d, kPadB) => void` of a kernel instance. */
type Kernel = (a: number, b: number, c: number, nPairs: number, d: number, kPadB: number) => void;

/** Class-pair blocks covering `pairs` class pairs, each of at most 4 (8 classes). */
function pairBlocks(pairs: number): number[] {
  const out: number[] = [];
  for (let left = pairs; left > 0; left -= MAX_PAIRS_PER_BLOCK) {
    out.push(Math.min(MAX_PAIRS_PER_BLOCK, left));
  }
  return out;
}

/** Bytes of rows per chunk: a chunk of X stays in the L2 cache between its two passes. */
const CHUNK_BYTES = 1 << 17;

/**
 * The objective of {@linkcode softmaxObjectiveJs}, bit-identical, on wasm
 * SIMD kernels: `f = C Σ_i w_i (log Σ_c e^{z_ic} − z_{i,y_i}) + ½‖W‖²`,
 * `z_i = W x_i + b`, parameters `[W (k·d, row-major) | b (k)]`, gradient
 * written into `grad`. The rows are copied into the kernels' memory
 * (`[n + n mod 2, d]`, an odd last row paired with a copy of itself as in the
 * JavaScript kernel); that memory is shared by all objectives, and one that
 * finds another's rows there copies its own in again, so `p.x` must not
 * change while the objective is in use (as for the JavaScript kernel).
 *
 * @example
 * ```ts
 * const f = softmaxObjectiveWasm({ x, n, d, k, codes, weights, C: 1 });
 * const grad = new Float64Array(k * d + k);
 * const value = f(new Float64Array(k * d + k), grad); // C · Σ w_i ln k at W = 0
 * ```
 */
export function softmaxObjectiveWasm(
  p: SoftmaxProblem,
): (params: Float64Array, grad: Float64Array) => number {
  const { x: X, n, d, k, codes, weights, C } = p;
  const kd = k * d, kPad = k + (k & 1), nPad = n + (n & 1), kPadB = kPad * 8;
  const chunkRows = Math.max(2, 2 * Math.floor(CHUNK_BYTES / (16 * d)));
  // Layout (bytes, all multiples of 16): X | Wt [d, kPad] | Gt [d, kPad] | z, r [chunk, kPad].
  const xAt = 0, wtAt = xAt + nPad * d * 8, gtAt = wtAt + d * kPadB;
  const zAt = gtAt + d * kPadB, rAt = zAt + chunkRows * kPadB, bytes = rAt + chunkRows * kPadB;
  const blocks = pairBlocks(kPad / 2), token = {};
  let z: Float64Array = new Float64Array(0), r: Float64Array = z;
  /**
   * The shared memory with this problem's rows in it; sets the scratch views.
   * (An odd k's pad lane may hold anything: lanes never mix, and it is not read.)
   */
  const load = () => {
    const ws = WORKSPACE(bytes);
    const f64 = (at: number, length: number) => new Float64Array(ws.memory.buffer, at, length);
    if (ws.owner !== token) {
      const xm = f64(xAt, nPad * d);
      xm.set(X.subarray(0, n * d));
      if (nPad > n) xm.copyWithin(n * d, (n - 1) * d, n * d);
      ws.owner = token;
    }
    z = f64(zAt, chunkRows * kPad);
    r = f64(rAt, chunkRows * kPad);
    const kernels = ws.exports as Record<string, Kernel>;
    return {
      wt: f64(wtAt, d * kPad),
      gt: f64(gtAt, d * kPad),
      logits: blocks.map((U) => kernels[`logits${U}`]),
      axpy: blocks.map((U) => kernels[`grad${U}`]),
    };
  };
  /** Softmax of chunk row `at`'s logits (row i): residuals into `r`, returns w_i · CE_i. */
  const rowLoss = (i: number, at: number, params: Float64Array, grad: Float64Array): number => {
    const yi = codes[i];
    let zmax = -Infinity, sum = 0;
    for (let c = at; c < at + k; c++) zmax = Math.max(zmax, z[c] += params[kd + c - at]);
    const zy = z[at + yi];
    for (let c = at; c < at + k; c++) sum += z[c] = Math.exp(z[c] - zmax);
    const cw = C * weights[i];
    for (let c = 0; c < k; c++) {
      grad[kd + c] += r[at + c] = cw * (z[at + c] / sum - (c === yi ? 1 : 0));
    }
    return weights[i] * (zmax + Math.log(sum) - zy);
  };
  return (params, grad) => {
    const { wt, gt, logits, axpy } = load();
    grad.fill(0);
    gt.fill(0);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) wt[j * kPad + c] = params[c * d + j];
    }
    let loss = 0;
    for (let row0 = 0; row0 < nPad; row0 += chunkRows) {
      const rows = Math.min(chunkRows, nPad - row0), pairs = rows / 2;
      const xo = xAt + row0 * d * 8;
      for (let b = 0, u = 0; b < blocks.length; u += blocks[b++]) {
        logits[b](xo, wtAt + 16 * u, zAt + 16 * u, pairs, d, kPadB);
      }
      for (let t = 0; t < rows; t++) {
        if (row0 + t < n) loss += rowLoss(row0 + t, t * kPad, params, grad);
        else r.fill(0, t * kPad, t * kPad + k); // the odd last row's twin
      }
      for (let b = 0, u = 0; b < blocks.length; u += blocks[b++]) {
        axpy[b](xo, gtAt + 16 * u, rAt + 16 * u, pairs, d, kPadB);
      }
    }
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) grad[c * d + j] = gt[j * kPad + c];
    }
    let penalty = 0;
    for (let j = 0; j < kd; j++) {
      penalty += params[j] * params[j];
      grad[j] += params[j];
    }
    return C * loss + 0.5 * penalty;
  };
}
