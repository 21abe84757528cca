/**
 * The evaluation's float64 kernels, JavaScript reference against wasm SIMD,
 * measured alternately (a busy machine slows both alike): one evaluation of
 * the logistic objective and gradient (`softmaxObjectiveJs` against
 * `softmaxObjective`) at the probe's sizes, and the dot products of K-means
 * assignment and of a silhouette tile (`crossDots` against `residentRows`).
 * Each row says whether the two gave bit-identical numbers.
 *
 * Time = median over 5 alternating rounds of the mean of several calls, after
 * a warm-up round; process CPU milliseconds.
 *
 * @module
 */
import process from "node:process";
import {
  crossDots,
  residentRows,
  roundUp,
  softmaxObjective,
  softmaxObjectiveJs,
} from "../lib/metrics/mod.ts";
import { makeRng } from "../lib/random.ts";
import { median } from "./timing.ts";

const ROUNDS = 5;

/** CPU milliseconds per call of `fn`, over `calls` calls. */
function cpuMsPerCall(fn: () => void, calls: number): number {
  const start = process.cpuUsage();
  for (let c = 0; c < calls; c++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000 / calls;
}

/** Medians of alternating timings of `js` and `wasm` (first round discarded). */
function alternate(js: () => void, wasm: () => void, calls: number) {
  const t = { js: [] as number[], wasm: [] as number[] };
  for (let r = 0; r <= ROUNDS; r++) {
    const a = cpuMsPerCall(js, calls), b = cpuMsPerCall(wasm, calls);
    if (r > 0) (t.js.push(a), t.wasm.push(b));
  }
  const jsMs = median(t.js), wasmMs = median(t.wasm);
  return { jsMs, wasmMs, speedup: jsMs / wasmMs };
}

const sameBits = (a: Float64Array, b: Float64Array) => a.every((v, i) => Object.is(v, b[i]));

function objectiveRow(n: number, d: number, k: number): Record<string, unknown> {
  const rng = makeRng(n + d + k);
  const problem = {
    x: Float64Array.from({ length: n * d }, () => rng.normal()),
    n,
    d,
    k,
    codes: Int32Array.from({ length: n }, () => rng.int(k)),
    weights: new Float64Array(n).fill(1),
    C: 1,
  };
  const params = Float64Array.from({ length: k * d + k }, () => 0.1 * rng.normal());
  const js = softmaxObjectiveJs(problem), wasm = softmaxObjective(problem);
  const gj = new Float64Array(params.length), gw = new Float64Array(params.length);
  const identical = Object.is(js(params, gj), wasm(params, gw)) && sameBits(gj, gw);
  const t = alternate(() => js(params, gj), () => wasm(params, gw), 5);
  return { kernel: "logistic objective", shape: `${n} x ${d}, k ${k}`, ...t, identical };
}

function dotsRow(n: number, m: number, d: number, kind: string): Record<string, unknown> {
  const rng = makeRng(n * m + d);
  const nPad = roundUp(n, 4), mPad = roundUp(m, 2);
  const a = Float64Array.from({ length: nPad * d }, (_, i) => i < n * d ? rng.normal() : 0);
  const b = Float64Array.from({ length: mPad * d }, (_, i) => i < m * d ? rng.normal() : 0);
  const ref = new Float64Array(nPad * mPad);
  const rows = residentRows(a, n, d, m, nPad * roundUp(m, 4));
  crossDots(a, n, b, m, d, ref);
  const { out, stride } = rows.dotsWith(b, m);
  let identical = true;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < m; c++) identical &&= Object.is(ref[i * mPad + c], out[i * stride + c]);
  }
  const t = alternate(() => crossDots(a, n, b, m, d, ref), () => rows.dotsWith(b, m), 5);
  return { kernel: kind, shape: `${n} x ${m}, d ${d}`, ...t, identical };
}

/** Runs the evaluation-kernel benchmark. */
export function benchEval(): Promise<{ rows: Record<string, unknown>[]; notes: string[] }> {
  const rows = [
    objectiveRow(6000, 156, 12),
    objectiveRow(6000, 320, 12),
    objectiveRow(6000, 320, 5),
    dotsRow(9311, 12, 320, "k-means assignment dots"),
    dotsRow(64, 64, 320, "silhouette tile dots"),
  ];
  return Promise.resolve({
    rows,
    notes: ["process CPU ms per call, median of 5 alternating rounds; identical: bit for bit"],
  });
}
