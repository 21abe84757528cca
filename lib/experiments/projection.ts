/**
 * 2-D maps of frame embeddings (UMAP via `npm:umap-js`), like the paper's
 * t-SNE figure, coloured by true class in the notebooks.
 *
 * @module
 */
import { UMAP } from "umap-js";
import { deriveSeed, makeRng, permutation } from "../random.ts";

/** 2-D coordinates of embedded frames with their true labels. */
export interface Projection {
  x: number[];
  y: number[];
  label: number[];
}

/**
 * Projects `rows` frames of `emb` (`[n, D]` row-major) to 2-D with UMAP
 * (15 neighbours, min_dist 0.1, seeded). At most `perClass` frames per class,
 * drawn at random, are used, so the map stays balanced and cheap.
 */
export function projectEmbeddings(
  emb: Float32Array | Float64Array,
  labels: Int32Array,
  { perClass = 100, seed = 1 }: { perClass?: number; seed?: number } = {},
): Projection {
  const n = labels.length;
  const D = emb.length / n;
  const rng = makeRng(deriveSeed("umap", seed));
  const taken = new Map<number, number>();
  const points: number[][] = [];
  const label: number[] = [];
  for (const i of permutation(n, rng)) {
    const c = labels[i];
    if (c < 0 || (taken.get(c) ?? 0) >= perClass) continue;
    taken.set(c, (taken.get(c) ?? 0) + 1);
    points.push(Array.from(emb.subarray(i * D, (i + 1) * D)));
    label.push(c);
  }
  if (points.length < 5) return { x: [], y: [], label: [] };
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(15, points.length - 1),
    minDist: 0.1,
    random: () => rng.next(),
  });
  const coords = umap.fit(points);
  return { x: coords.map((p) => p[0]), y: coords.map((p) => p[1]), label };
}
