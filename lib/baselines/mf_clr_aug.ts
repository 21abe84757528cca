/**
 * MF-CLR's "proposed" augmentation (models/mfclrdata_aug.py,
 * `data_generation_multi` → `AmpGeneration.find_path_opt` + `seq_generation`),
 * per sequence `b` and feature `d` of `x [B, T, F]`:
 *
 * 1. A random monotone path through a `T × T` grid from the first to the
 *    last frame pair, steps (next source frame), (both), (next output
 *    frame), kept within about one cell of the diagonal: a step changing
 *    the squared offset `dist = 2u²` by `Δ` has weight `⌊100·e^{−dist·Δ/2}⌋`
 *    (0 when `Δ ≥ 6`), uniform when every weight is 0.
 * 2. Noise: the path's `n` cells get the gaps of `n − 1` sorted
 *    `U(0, total)` draws plus 0 and `total = 0.05·mean(series)`; the first
 *    cell of an output frame gives `x[src] ± gap` (random sign), later cells
 *    of the same frame are averaged in as `x[src] + gap`.
 *
 * Hand-written: no JavaScript package does it, and it is plain loops, run
 * for every (sequence, feature) pair (12 016 at ECG), so they allocate
 * nothing per step.
 *
 * @module
 */
import type { Rng } from "../random.ts";

// Weights beyond this would make Python build a list it cannot hold; the
// cap only keeps the weighted draw finite.
const WEIGHT_CAP = 1e12;

/** The moves `[Δi, Δj]` in `find_path_opt`'s order: up, diagonal, right. */
const MOVE_I = [-1, -1, 0], MOVE_J = [0, 1, 1];

/**
 * `find_path_opt` into `is`, `js` (at least `2T − 1` long); returns the
 * number of cells. `prob_sample` is inlined: the remaining moves get weight
 * `min(⌊100·p⌋, cap)`, a draw `U(0, Σw)` walks them in order, and a uniform
 * index is drawn when every weight is 0. As in the shipped code, the move
 * remembered for the next step's rules is the index among the remaining moves.
 */
function pathInto(T: number, rng: Rng, is: Int32Array, js: Int32Array): number {
  const rows = T, cols = T;
  const candidates = [0, 0, 0], weights = [0, 0, 0];
  let i = rows - 1, j = 0, last = -1, n = 0;
  is[n] = i;
  js[n++] = j;
  while (i !== 0 || j !== cols - 1) {
    let move = 2;
    if (i === 0) move = 2;
    else if (j === cols - 1) move = 0;
    else {
      let count = 0;
      for (let m = 0; m < 3; m++) {
        if (m === 0 && (i === 1 || last === 2)) continue;
        if (m === 2 && (j === cols - 2 || last === 0)) continue;
        candidates[count++] = m;
      }
      const here = 2 * (j - (rows - 1 - i)) ** 2;
      let total = 0;
      for (let c = 0; c < count; c++) {
        const ni = i + MOVE_I[candidates[c]], nj = j + MOVE_J[candidates[c]];
        const change = 2 * (nj - (rows - 1 - ni)) ** 2 - here;
        const p = change >= 6 ? 0 : Math.exp(-here * 0.5 * change);
        weights[c] = Math.min(Math.trunc(p * 100), WEIGHT_CAP);
        total += weights[c];
      }
      let pick = count - 1;
      if (total === 0) pick = rng.int(count);
      else {
        let left = rng.next() * total;
        for (let c = 0; c < count; c++) {
          left -= weights[c];
          if (left < 0) {
            pick = c;
            break;
          }
        }
      }
      last = pick;
      move = candidates[pick];
    }
    i += MOVE_I[move];
    j += MOVE_J[move];
    is[n] = i;
    js[n++] = j;
  }
  return n;
}

/** `find_path_opt` on a `T × T` grid: the visited cells `(i, j)` in order, from `(T−1, 0)`. */
export function mfclrPath(T: number, rng: Rng): Array<[number, number]> {
  const is = new Int32Array(2 * T), js = new Int32Array(2 * T);
  const n = pathInto(T, rng, is, js);
  return Array.from({ length: n }, (_, k) => [is[k], js[k]]);
}

/** `seq_generation` of `series` along the first `n` cells of `is`, `js` into `out`. */
function generateInto(
  series: ArrayLike<number>,
  cells: { is: Int32Array; js: Int32Array; n: number },
  total: number,
  rng: Rng,
  out: Float32Array,
): void {
  const { is, js, n } = cells, rows = series.length;
  const acc = new Float64Array(n + 1);
  acc[1] = total;
  for (let k = 0; k < n - 1; k++) acc[k + 2] = total * rng.next();
  acc.sort();
  let current = -1, visits = 0;
  for (let counter = 0; counter < n; counter++) {
    const j = js[counter];
    const source = series[rows - is[counter] - 1], gap = acc[counter + 1] - acc[counter];
    if (j !== current) {
      out[j] = source + (rng.next() < 0.5 ? 1 : -1) * gap;
      current = j;
      visits = 1;
    } else {
      out[j] = (visits * out[j]) / (visits + 1) + (source + gap) / (visits + 1);
      visits++;
    }
  }
}

/** `seq_generation` of one series along `path` with noise budget `total`. */
export function mfclrGenerate(
  series: ArrayLike<number>,
  path: Array<[number, number]>,
  total: number,
  rng: Rng,
): Float32Array {
  const is = Int32Array.from(path, ([i]) => i), js = Int32Array.from(path, ([, j]) => j);
  const out = new Float32Array(series.length);
  generateInto(series, { is, js, n: path.length }, total, rng, out);
  return out;
}

/** `data_generation_multi(x)` for `x [B, T, F]` row-major → `[B, T, F]`. */
export function mfclrAugment(
  x: Float32Array,
  B: number,
  T: number,
  F: number,
  rng: Rng,
): Float32Array {
  const out = new Float32Array(x.length);
  const series = new Float32Array(T), generated = new Float32Array(T);
  const is = new Int32Array(2 * T), js = new Int32Array(2 * T);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < F; d++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += series[t] = x[(b * T + t) * F + d];
      const n = pathInto(T, rng, is, js);
      generated.fill(0);
      generateInto(series, { is, js, n }, (0.05 * sum) / T, rng, generated);
      for (let t = 0; t < T; t++) out[(b * T + t) * F + d] = generated[t];
    }
  }
  return out;
}
