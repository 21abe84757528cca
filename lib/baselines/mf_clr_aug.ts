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
 * Hand-written: no JavaScript package does it, and it is plain loops.
 *
 * @module
 */
import type { Rng } from "../random.ts";

// Weights beyond this would make Python build a list it cannot hold; the
// cap only keeps the weighted draw finite.
const WEIGHT_CAP = 1e12;

/** `prob_sample`: index `i` with weight `⌊100·p_i⌋`, uniform when all are 0. */
function probSample(probs: number[], rng: Rng): number {
  const weights = probs.map((p) => Math.min(Math.trunc(p * 100), WEIGHT_CAP));
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return rng.int(probs.length);
  let pick = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    pick -= weights[i];
    if (pick < 0) return i;
  }
  return weights.length - 1;
}

type Move = [number, number];

/** `find_path_opt` on a `T × T` grid: the visited cells `(i, j)` in order, from `(T−1, 0)`. */
export function mfclrPath(T: number, rng: Rng): Array<[number, number]> {
  const rows = T, cols = T;
  const dist = (i: number, j: number) => 2 * (j - (rows - 1 - i)) ** 2;
  let i = rows - 1, j = 0, last: number | null = null;
  const path: Array<[number, number]> = [[i, j]];
  while (i !== 0 || j !== cols - 1) {
    let move: Move;
    if (i === 0) move = [0, 1];
    else if (j === cols - 1) move = [-1, 0];
    else {
      let moves: Move[] = [[-1, 0], [-1, 1], [0, 1]];
      const drop = (m: Move) => (moves = moves.filter((x) => x[0] !== m[0] || x[1] !== m[1]));
      if (i === 1) drop([-1, 0]);
      if (j === cols - 2) drop([0, 1]);
      if (last === 0) drop([0, 1]);
      if (last === 2) drop([-1, 0]);
      const here = dist(i, j);
      const probs = moves.map(([di, dj]) => {
        const change = dist(i + di, j + dj) - here;
        return change >= 6 ? 0 : Math.exp(-here * 0.5 * change);
      });
      last = probSample(probs, rng);
      move = moves[last];
    }
    i += move[0];
    j += move[1];
    path.push([i, j]);
  }
  return path;
}

/** `seq_generation` of one series along `path` with noise budget `total`. */
export function mfclrGenerate(
  series: ArrayLike<number>,
  path: Array<[number, number]>,
  total: number,
  rng: Rng,
): Float32Array {
  const n = path.length, rows = series.length;
  const acc = [0, total];
  for (let k = 0; k < n - 1; k++) acc.push(total * rng.next());
  acc.sort((a, b) => a - b);
  const out = new Float32Array(rows);
  let current = -1, visits = 0;
  path.forEach(([i, j], counter) => {
    const source = series[rows - i - 1], gap = acc[counter + 1] - acc[counter];
    if (j !== current) {
      out[j] = source + (rng.next() < 0.5 ? 1 : -1) * gap;
      current = j;
      visits = 1;
    } else {
      out[j] = (visits * out[j]) / (visits + 1) + (source + gap) / (visits + 1);
      visits++;
    }
  });
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
  const series = new Float32Array(T);
  for (let b = 0; b < B; b++) {
    for (let d = 0; d < F; d++) {
      let sum = 0;
      for (let t = 0; t < T; t++) sum += series[t] = x[(b * T + t) * F + d];
      const generated = mfclrGenerate(series, mfclrPath(T, rng), (0.05 * sum) / T, rng);
      for (let t = 0; t < T; t++) out[(b * T + t) * F + d] = generated[t];
    }
  }
  return out;
}
