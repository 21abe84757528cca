/**
 * The multinomial logistic objective and its gradient over plain float64
 * arrays — the inner loop of the converged probe. Rows are processed in
 * pairs and classes in blocks of 2–6, with one accumulator per (row, class),
 * so each loaded weight serves two rows and each loaded row value a whole
 * block: one evaluation at 6 000 × 320 × 5 classes takes ≈ 8.5 ms of CPU,
 * against ≈ 10 ms for single rows and ≈ 13 ms for single rows in blocks of
 * 4 + 1 (measured on a busy 2-core machine). The kernels are written out per
 * block size, repetitive on purpose: each accumulator must be a local
 * variable for the JIT to keep it in a register.
 *
 * @module
 */

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

/** Logits of rows o, q for a block of 2 classes. */
const logits2: BlockKernel = (X, o, q, W, c, k, d, z) => {
  const w0 = c * d, w1 = w0 + d;
  let s0 = 0, s1 = 0;
  let t0 = 0, t1 = 0;
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    let w = W[w0 + j];
    s0 += a * w;
    t0 += b * w;
    w = W[w1 + j];
    s1 += a * w;
    t1 += b * w;
  }
  z[c] = s0;
  z[k + c] = t0;
  z[c + 1] = s1;
  z[k + c + 1] = t1;
};

/** Logits of rows o, q for a block of 3 classes. */
const logits3: BlockKernel = (X, o, q, W, c, k, d, z) => {
  const w0 = c * d, w1 = w0 + d, w2 = w1 + d;
  let s0 = 0, s1 = 0, s2 = 0;
  let t0 = 0, t1 = 0, t2 = 0;
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    let w = W[w0 + j];
    s0 += a * w;
    t0 += b * w;
    w = W[w1 + j];
    s1 += a * w;
    t1 += b * w;
    w = W[w2 + j];
    s2 += a * w;
    t2 += b * w;
  }
  z[c] = s0;
  z[k + c] = t0;
  z[c + 1] = s1;
  z[k + c + 1] = t1;
  z[c + 2] = s2;
  z[k + c + 2] = t2;
};

/** Logits of rows o, q for a block of 4 classes. */
const logits4: BlockKernel = (X, o, q, W, c, k, d, z) => {
  const w0 = c * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0;
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    let w = W[w0 + j];
    s0 += a * w;
    t0 += b * w;
    w = W[w1 + j];
    s1 += a * w;
    t1 += b * w;
    w = W[w2 + j];
    s2 += a * w;
    t2 += b * w;
    w = W[w3 + j];
    s3 += a * w;
    t3 += b * w;
  }
  z[c] = s0;
  z[k + c] = t0;
  z[c + 1] = s1;
  z[k + c + 1] = t1;
  z[c + 2] = s2;
  z[k + c + 2] = t2;
  z[c + 3] = s3;
  z[k + c + 3] = t3;
};

/** Logits of rows o, q for a block of 5 classes. */
const logits5: BlockKernel = (X, o, q, W, c, k, d, z) => {
  const w0 = c * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d, w4 = w3 + d;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    let w = W[w0 + j];
    s0 += a * w;
    t0 += b * w;
    w = W[w1 + j];
    s1 += a * w;
    t1 += b * w;
    w = W[w2 + j];
    s2 += a * w;
    t2 += b * w;
    w = W[w3 + j];
    s3 += a * w;
    t3 += b * w;
    w = W[w4 + j];
    s4 += a * w;
    t4 += b * w;
  }
  z[c] = s0;
  z[k + c] = t0;
  z[c + 1] = s1;
  z[k + c + 1] = t1;
  z[c + 2] = s2;
  z[k + c + 2] = t2;
  z[c + 3] = s3;
  z[k + c + 3] = t3;
  z[c + 4] = s4;
  z[k + c + 4] = t4;
};

/** Logits of rows o, q for a block of 6 classes. */
const logits6: BlockKernel = (X, o, q, W, c, k, d, z) => {
  const w0 = c * d, w1 = w0 + d, w2 = w1 + d, w3 = w2 + d, w4 = w3 + d, w5 = w4 + d;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0;
  let t0 = 0, t1 = 0, t2 = 0, t3 = 0, t4 = 0, t5 = 0;
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    let w = W[w0 + j];
    s0 += a * w;
    t0 += b * w;
    w = W[w1 + j];
    s1 += a * w;
    t1 += b * w;
    w = W[w2 + j];
    s2 += a * w;
    t2 += b * w;
    w = W[w3 + j];
    s3 += a * w;
    t3 += b * w;
    w = W[w4 + j];
    s4 += a * w;
    t4 += b * w;
    w = W[w5 + j];
    s5 += a * w;
    t5 += b * w;
  }
  z[c] = s0;
  z[k + c] = t0;
  z[c + 1] = s1;
  z[k + c + 1] = t1;
  z[c + 2] = s2;
  z[k + c + 2] = t2;
  z[c + 3] = s3;
  z[k + c + 3] = t3;
  z[c + 4] = s4;
  z[k + c + 4] = t4;
  z[c + 5] = s5;
  z[k + c + 5] = t5;
};

/** Gradient update of rows o, q for a block of 2 classes. */
const axpy2: BlockKernel = (X, o, q, G, c, k, d, r) => {
  const g0 = c * d, g1 = g0 + d;
  const a0 = r[c], a1 = r[c + 1];
  const b0 = r[k + c], b1 = r[k + c + 1];
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    G[g0 + j] += a0 * a + b0 * b;
    G[g1 + j] += a1 * a + b1 * b;
  }
};

/** Gradient update of rows o, q for a block of 3 classes. */
const axpy3: BlockKernel = (X, o, q, G, c, k, d, r) => {
  const g0 = c * d, g1 = g0 + d, g2 = g1 + d;
  const a0 = r[c], a1 = r[c + 1], a2 = r[c + 2];
  const b0 = r[k + c], b1 = r[k + c + 1], b2 = r[k + c + 2];
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    G[g0 + j] += a0 * a + b0 * b;
    G[g1 + j] += a1 * a + b1 * b;
    G[g2 + j] += a2 * a + b2 * b;
  }
};

/** Gradient update of rows o, q for a block of 4 classes. */
const axpy4: BlockKernel = (X, o, q, G, c, k, d, r) => {
  const g0 = c * d, g1 = g0 + d, g2 = g1 + d, g3 = g2 + d;
  const a0 = r[c], a1 = r[c + 1], a2 = r[c + 2], a3 = r[c + 3];
  const b0 = r[k + c], b1 = r[k + c + 1], b2 = r[k + c + 2], b3 = r[k + c + 3];
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    G[g0 + j] += a0 * a + b0 * b;
    G[g1 + j] += a1 * a + b1 * b;
    G[g2 + j] += a2 * a + b2 * b;
    G[g3 + j] += a3 * a + b3 * b;
  }
};

/** Gradient update of rows o, q for a block of 5 classes. */
const axpy5: BlockKernel = (X, o, q, G, c, k, d, r) => {
  const g0 = c * d, g1 = g0 + d, g2 = g1 + d, g3 = g2 + d, g4 = g3 + d;
  const a0 = r[c], a1 = r[c + 1], a2 = r[c + 2], a3 = r[c + 3], a4 = r[c + 4];
  const b0 = r[k + c], b1 = r[k + c + 1], b2 = r[k + c + 2], b3 = r[k + c + 3], b4 = r[k + c + 4];
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    G[g0 + j] += a0 * a + b0 * b;
    G[g1 + j] += a1 * a + b1 * b;
    G[g2 + j] += a2 * a + b2 * b;
    G[g3 + j] += a3 * a + b3 * b;
    G[g4 + j] += a4 * a + b4 * b;
  }
};

/** Gradient update of rows o, q for a block of 6 classes. */
const axpy6: BlockKernel = (X, o, q, G, c, k, d, r) => {
  const g0 = c * d, g1 = g0 + d, g2 = g1 + d, g3 = g2 + d, g4 = g3 + d, g5 = g4 + d;
  const a0 = r[c], a1 = r[c + 1], a2 = r[c + 2], a3 = r[c + 3], a4 = r[c + 4], a5 = r[c + 5];
  const b0 = r[k + c],
    b1 = r[k + c + 1],
    b2 = r[k + c + 2],
    b3 = r[k + c + 3],
    b4 = r[k + c + 4],
    b5 = r[k + c + 5];
  for (let j = 0; j < d; j++) {
    const a = X[o + j], b = X[q + j];
    G[g0 + j] += a0 * a + b0 * b;
    G[g1 + j] += a1 * a + b1 * b;
    G[g2 + j] += a2 * a + b2 * b;
    G[g3 + j] += a3 * a + b3 * b;
    G[g4 + j] += a4 * a + b4 * b;
    G[g5 + j] += a5 * a + b5 * b;
  }
};

/** Logit kernels by block size (index 2–6). */
const LOGITS: BlockKernel[] = [logits2, logits2, logits2, logits3, logits4, logits5, logits6];
/** Gradient kernels by block size (index 2–6). */
const AXPY: BlockKernel[] = [axpy2, axpy2, axpy2, axpy3, axpy4, axpy5, axpy6];

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
 * The objective over parameters `[W (k·d, row-major) | b (k)]`, writing its gradient:
 * `f = C Σ_i w_i (log Σ_c e^{z_ic} − z_{i,y_i}) + ½‖W‖²`, `z_i = W x_i + b`;
 * `∂f/∂W_c = C Σ_i w_i (p_ic − [y_i = c]) x_i + W_c`,
 * `∂f/∂b_c = C Σ_i w_i (p_ic − [y_i = c])` (log-sum-exp shifted by max_c z_ic).
 */
export function softmaxObjective(
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
