/**
 * What the margin claims to change, measured per run: frames near a label
 * change and the similarity of adjacent frames with different labels.
 *
 * Frames are sequence-major (`n = s·T + t`); adjacency never crosses a
 * sequence. Unlabelled frames (−1) take part in neither.
 *
 * @module
 */
import type { AdjacencyResult } from "./record.ts";

/** Frames within this many frames of a label change count as "boundary". */
export const BOUNDARY_RADIUS = 2;

/**
 * Marks frames within ±`radius` frames of a label change inside their
 * sequence: a change at `t` means `y[t] ≠ y[t−1]`, both labelled; frames
 * `t − radius … t + radius − 1` around it (the radius on either side of the
 * step between `t − 1` and `t`) are boundary frames.
 *
 * @param y Frame labels `[nSequences·T]`.
 * @returns 1 for boundary frames, 0 elsewhere, `[nSequences·T]`.
 *
 * @example
 * ```ts
 * import { boundaryMask } from "./adjacency.ts";
 * boundaryMask(Int32Array.from([0, 0, 0, 1, 1, 1]), 6, 1); // [0, 0, 1, 1, 0, 0]
 * ```
 */
export function boundaryMask(y: Int32Array, T: number, radius = BOUNDARY_RADIUS): Uint8Array {
  const mask = new Uint8Array(y.length);
  for (let s = 0; s < y.length; s += T) {
    for (let t = 1; t < T; t++) {
      const a = y[s + t - 1], b = y[s + t];
      if (a < 0 || b < 0 || a === b) continue;
      const lo = Math.max(0, t - radius), hi = Math.min(T - 1, t + radius - 1);
      for (let u = lo; u <= hi; u++) mask[s + u] = 1;
    }
  }
  return mask;
}

/**
 * Mean cosine similarity of adjacent frames `(t, t+1)` of a sequence, split
 * by whether their labels agree: `cos(e_t, e_{t+1}) = ⟨e_t, e_{t+1}⟩ / (‖e_t‖‖e_{t+1}‖)`.
 * Pairs with an unlabelled frame or a zero-norm embedding are skipped.
 *
 * @param emb Embeddings `[nSequences·T, D]` row-major.
 * @param y Labels `[nSequences·T]`.
 */
export function adjacentSimilarity(emb: Float32Array, y: Int32Array, T: number): AdjacencyResult {
  const D = emb.length / y.length;
  let same = 0, nSame = 0, diff = 0, nDiff = 0;
  const norm = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += emb[i * D + d] ** 2;
    norm[i] = Math.sqrt(s);
  }
  for (let s = 0; s < y.length; s += T) {
    for (let t = s; t < s + T - 1; t++) {
      if (y[t] < 0 || y[t + 1] < 0 || norm[t] === 0 || norm[t + 1] === 0) continue;
      let dot = 0;
      for (let d = 0; d < D; d++) dot += emb[t * D + d] * emb[(t + 1) * D + d];
      const cos = dot / (norm[t] * norm[t + 1]);
      if (y[t] === y[t + 1]) {
        same += cos;
        nSame++;
      } else {
        diff += cos;
        nDiff++;
      }
    }
  }
  return {
    sameLabel: nSame ? same / nSame : null,
    differentLabel: nDiff ? diff / nDiff : null,
    nSame,
    nDifferent: nDiff,
  };
}
