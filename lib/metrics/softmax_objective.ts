/**
 * The multinomial logistic objective and its gradient over plain float64
 * arrays — the inner loop of the converged probe. `softmaxObjective` runs
 * on the wasm SIMD kernels of `softmax_wasm.ts`; the JavaScript kernels
 * below ({@linkcode softmaxObjectiveJs}) are their bit-for-bit reference.
 * There, rows are processed in pairs and classes in blocks of 2–6, with one
 * accumulator per (row, class), so each loaded weight serves two rows and
 * each loaded row value a whole block: one evaluation at 6 000 × 320 × 5
 * classes takes ≈ 8.5 ms of CPU, against ≈ 10 ms for single rows and ≈ 13 ms
 * for single rows in blocks of 4 + 1 (measured on a busy 2-core machine);
 * the wasm kernels take ≈ 4.7 ms (`deno task bench --only eval`). The
 * JavaScript kernels are generated per block size ({@linkcode compileKernel}):
 * each accumulator must be a local variable for the JIT to keep it in a
 * register.
 *
 * @module
 */
import { softmaxObjectiveWasm } from "./softmax_wasm.ts";

/** Dot product of `a[ao..ao+len)` and `b[bo..bo+len)`, four accumulators. */
export function dotAt(
  a: Float64Array,
  ao: number,
  b: Float64Array,
  bo: number,
  len: number,
): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, j = 0;
  for (; j + 3 < len; j += 4) {
    s0 += a[ao + j] * b[bo + j];
    s1 += a[ao + j + 1] * b[bo + j + 1];
    s2 += a[ao + j + 2] * b[bo + j + 2];
    s3 += a[ao + j + 3] * b[bo + j + 3];
  }
  for (; j < len; j++) s0 += a[ao + j] * b[bo + j];
  return s0 + s1 + s2 + s3;
}

/**
 * Class blocks covering `0..k-1` (k ≥ 2), each of 2–6 classes: one block for
 * k ≤ 6, else blocks of 4 and a last one of 3–6 (k = 7 → [4, 3], k = 9 → [4, 5]).
 */
export function classBlocks(k: number): number[] {
  const out: number[] = [];
  let left = k;
  while (left > 6) {
    out.push(4);
    left -= 4;
  }
  out.push(left);
  return out;
}

/**
 * A block kernel over rows `o` and `q` (offsets into x) and classes
 * `c..c+size-1` of a `k`-class problem with `d` features. Logits write
 * `z[c+t] = <x_o, W_{c+t}>` and `z[k+c+t] = <x_q, W_{c+t}>`; gradients add
 * `G_{c+t} += r[c+t] · x_o + r[k+c+t] · x_q`.
 */
type BlockKernel = (
  X: Float64Array,
  o: number,
  q: number,
  A: Float64Array,
  c: number,
  k: number,
  d: number,
  z: Float64Array,
) => void;

const range = (size: number) => Array.from({ length: size }, (_, t) => t);

/**
 * Source of the logit kernel for a block of `size` classes: one accumulator
 * pair `s_t`, `t_t` per class, each weight loaded once for both rows.
 */
function logitsSource(size: number): string {
  const ts = range(size);
  return [
    `const w0 = c * d${ts.slice(1).map((t) => `, w${t} = w${t - 1} + d`).join("")};`,
    `let ${ts.map((t) => `s${t} = 0`).join(", ")};`,
    `let ${ts.map((t) => `t${t} = 0`).join(", ")};`,
    "for (let j = 0; j < d; j++) {",
    "const a = X[o + j], b = X[q + j];",
    "let w;",
    ...ts.map((t) => `w = W[w${t} + j]; s${t} += a * w; t${t} += b * w;`),
    "}",
    ...ts.map((t) => `z[c + ${t}] = s${t}; z[k + c + ${t}] = t${t};`),
  ].join("\n");
}

/** Source of the gradient kernel for a block of `size` classes. */
function axpySource(size: number): string {
  const ts = range(size);
  return [
    `const g0 = c * d${ts.slice(1).map((t) => `, g${t} = g${t - 1} + d`).join("")};`,
    `const ${ts.map((t) => `a${t} = r[c + ${t}]`).join(", ")};`,
    `const ${ts.map((t) => `b${t} = r[k + c + ${t}]`).join(", ")};`,
    "for (let j = 0; j < d; j++) {",
    "const a = X[o + j], b = X[q + j];",
    ...ts.map((t) => `G[g${t} + j] += a${t} * a + b${t} * b;`),
    "}",
  ].join("\n");
}

/**
 * Compiles a block kernel. The kernels are generated rather than written out
 * per block size because each accumulator must be its own local variable for
 * the JIT to keep it in a register, and five hand-unrolled copies of each
 * loop would only repeat this one pattern.
 */
function compileKernel(source: string, matrix: "W" | "G", out: "z" | "r"): BlockKernel {
  return new Function("X", "o", "q", matrix, "c", "k", "d", out, source) as BlockKernel;
}

const SIZES = [2, 3, 4, 5, 6];
const compiled = (make: (size: number) => BlockKernel): BlockKernel[] => {
  const bySize = SIZES.map(make);
  return [bySize[0], bySize[0], ...bySize]; // indices 0 and 1 are never used
};

/** Logit kernels by block size (index 2–6). */
const LOGITS: BlockKernel[] = compiled((size) => compileKernel(logitsSource(size), "W", "z"));
/** Gradient kernels by block size (index 2–6). */
const AXPY: BlockKernel[] = compiled((size) => compileKernel(axpySource(size), "G", "r"));

/** Inputs of {@linkcode softmaxObjective}. */
export interface SoftmaxProblem {
  /** Rows `[n, d]`, row-major. */
  x: Float64Array;
  n: number;
  d: number;
  /** Number of classes k. */
  k: number;
  /** Class code `0..k-1` per row. */
  codes: Int32Array;
  /** Sample weight per row. */
  weights: Float64Array;
  /** Inverse penalty strength. */
  C: number;
}

/**
 * The objective over parameters `[W (k·d, row-major) | b (k)]`, writing its
 * gradient, on the wasm SIMD kernels of {@linkcode softmaxObjectiveWasm}:
 * bit for bit the numbers of {@linkcode softmaxObjectiveJs} (the reference
 * it is tested against), at about twice its speed.
 *
 * @example
 * ```ts
 * const f = softmaxObjective({ x, n, d, k, codes, weights, C: 1 });
 * const grad = new Float64Array(k * d + k);
 * const value = f(new Float64Array(k * d + k), grad);
 * ```
 */
export function softmaxObjective(
  p: SoftmaxProblem,
): (params: Float64Array, grad: Float64Array) => number {
  return softmaxObjectiveWasm(p);
}

/**
 * The objective in plain JavaScript (the reference of the wasm kernels)
 * over parameters `[W (k·d, row-major) | b (k)]`, writing its gradient:
 * `f = C Σ_i w_i (log Σ_c e^{z_ic} − z_{i,y_i}) + ½‖W‖²`, `z_i = W x_i + b`;
 * `∂f/∂W_c = C Σ_i w_i (p_ic − [y_i = c]) x_i + W_c`,
 * `∂f/∂b_c = C Σ_i w_i (p_ic − [y_i = c])` (log-sum-exp shifted by max_c z_ic).
 */
export function softmaxObjectiveJs(
  p: SoftmaxProblem,
): (params: Float64Array, grad: Float64Array) => number {
  const { x: X, n, d, k, codes, weights, C } = p;
  const kd = k * d, blocks = classBlocks(k);
  const e = new Float64Array(2 * k), r = new Float64Array(2 * k);
  /** Softmax of row `i`'s logits in `e[off..off+k)`: residuals into `r`, returns w_i · CE_i. */
  const rowLoss = (i: number, off: number, params: Float64Array, grad: Float64Array): number => {
    const yi = codes[i];
    let zmax = -Infinity, sum = 0;
    for (let c = off; c < off + k; c++) zmax = Math.max(zmax, e[c] += params[kd + c - off]);
    const zy = e[off + yi];
    for (let c = off; c < off + k; c++) sum += e[c] = Math.exp(e[c] - zmax);
    const cw = C * weights[i];
    for (let c = 0; c < k; c++) {
      grad[kd + c] += r[off + c] = cw * (e[off + c] / sum - (c === yi ? 1 : 0));
    }
    return weights[i] * (zmax + Math.log(sum) - zy);
  };
  return (params, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i += 2) {
      // An odd last row is paired with itself; its twin's residuals are 0.
      const o = i * d, q = i + 1 < n ? o + d : o;
      for (let b = 0, c = 0; b < blocks.length; c += blocks[b++]) {
        LOGITS[blocks[b]](X, o, q, params, c, k, d, e);
      }
      loss += rowLoss(i, 0, params, grad);
      if (i + 1 < n) loss += rowLoss(i + 1, k, params, grad);
      else r.fill(0, k);
      for (let b = 0, c = 0; b < blocks.length; c += blocks[b++]) {
        AXPY[blocks[b]](X, o, q, grad, c, k, d, r);
      }
    }
    let penalty = 0;
    for (let j = 0; j < kd; j++) {
      penalty += params[j] * params[j];
      grad[j] += params[j];
    }
    return C * loss + 0.5 * penalty;
  };
}
