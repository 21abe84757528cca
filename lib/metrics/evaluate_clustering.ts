/**
 * The D6-safe clustering evaluation of spec §2.5: K-means on the embeddings,
 * then Davies–Bouldin, Calinski–Harabasz and silhouette against the K-means
 * labels (as the reference), but a degenerate embedding is reported by its
 * `status` with `null` indices instead of the reference's silent `0/0/0`.
 *
 * @module
 */
import { DegenerateInputError } from "../errors.ts";
import { ari, nmi } from "./agreement.ts";
import { calinskiHarabasz, daviesBouldin, silhouette } from "./clustering_indices.ts";
import { effectiveRank } from "./effective_rank.ts";
import { kmeans } from "./kmeans.ts";
import {
  allFinite,
  countDistinctRows,
  type LabelInput,
  type MatrixInput,
  toLabels,
  toMatrix,
} from "./matrix.ts";

/**
 * Outcome of the evaluation:
 * - `ok`: the three indices are defined;
 * - `nan_embeddings`: the embeddings contain NaN or ±Inf (K-means cannot run);
 * - `single_cluster`: `k = 1`, all points identical, or K-means left one non-empty cluster;
 * - `degenerate`: fewer distinct points than `k`, fewer than `k` non-empty
 *   clusters, or an index undefined on the K-means labels (e.g. coincident centroids).
 */
export type ClusteringStatus = "ok" | "nan_embeddings" | "single_cluster" | "degenerate";

/** Options of {@linkcode evaluateClustering}. */
export interface EvaluateClusteringOptions {
  /** Number of K-means clusters (the number of classes in the reference). */
  k: number;
  /** K-means seed (the reference uses `random_state=1`). */
  seed: number;
  /** Ground-truth labels `[n]` for NMI / ARI against the K-means labels. */
  yTrue?: LabelInput;
  /** K-means initialisations. Default 10 (the reference). */
  nInit?: number;
}

/** Result of {@linkcode evaluateClustering}. */
export interface ClusteringEvaluation {
  status: ClusteringStatus;
  /** Why the status is not `ok` (null when ok). */
  reason: string | null;
  /** Davies–Bouldin index of the K-means labels (null unless ok). */
  daviesBouldin: number | null;
  /** Calinski–Harabasz index of the K-means labels (null unless ok). */
  calinskiHarabasz: number | null;
  /** Mean silhouette of the K-means labels (null unless ok). */
  silhouette: number | null;
  /** NMI of K-means labels vs `yTrue` (null without `yTrue` or K-means labels). */
  nmi: number | null;
  /** ARI of K-means labels vs `yTrue` (null without `yTrue` or K-means labels). */
  ari: number | null;
  /** Distinct embedding rows (null for non-finite embeddings). */
  nDistinctPoints: number | null;
  /** Clusters K-means actually populated (null when it did not run). */
  nNonEmptyClusters: number | null;
  /** Effective rank of the embedding matrix (null for non-finite embeddings). */
  effectiveRank: number | null;
  /** Inertia of the K-means solution (null when it did not run). */
  kmeansInertia: number | null;
}

/**
 * Evaluates the clusterability of embeddings `x: [n, d]`: K-means(`k`,
 * `nInit`, `seed`), then DBI / CHI / silhouette on its labels, NMI / ARI
 * against `yTrue`, and collapse diagnostics (distinct points, non-empty
 * clusters, effective rank). Never throws on degenerate embeddings; it reports
 * them in `status`.
 *
 * @throws {ShapeError} a malformed `x`, or `yTrue` of the wrong length.
 * @throws {OptionError} `k` outside `1..n`.
 */
export function evaluateClustering(
  x: MatrixInput,
  options: EvaluateClusteringOptions,
): ClusteringEvaluation {
  const { k, seed, nInit = 10 } = options;
  const m = toMatrix(x, "evaluateClustering: x");
  const yTrue = options.yTrue === undefined
    ? null
    : toLabels(options.yTrue, "evaluateClustering: yTrue", m.rows);
  const result: ClusteringEvaluation = {
    status: "ok",
    reason: null,
    daviesBouldin: null,
    calinskiHarabasz: null,
    silhouette: null,
    nmi: null,
    ari: null,
    nDistinctPoints: null,
    nNonEmptyClusters: null,
    effectiveRank: null,
    kmeansInertia: null,
  };
  const fail = (status: ClusteringStatus, reason: string): ClusteringEvaluation => {
    result.status = status;
    result.reason = reason;
    return result;
  };
  if (!allFinite(m)) return fail("nan_embeddings", "the embeddings contain NaN or ±Infinity");
  result.nDistinctPoints = countDistinctRows(m);
  result.effectiveRank = effectiveRank(m);
  if (k === 1) return fail("single_cluster", "k = 1");
  if (result.nDistinctPoints === 1) return fail("single_cluster", "all points are identical");
  if (result.nDistinctPoints < k) {
    return fail("degenerate", `${result.nDistinctPoints} distinct points for k = ${k} clusters`);
  }
  const clustering = kmeans(m, { k, seed, nInit });
  const labels = clustering.labels;
  result.kmeansInertia = clustering.inertia;
  result.nNonEmptyClusters = new Set(labels).size;
  if (yTrue !== null) {
    result.nmi = nmi(yTrue, labels);
    result.ari = ari(yTrue, labels);
  }
  if (result.nNonEmptyClusters === 1) return fail("single_cluster", "K-means found one cluster");
  if (result.nNonEmptyClusters < k) {
    return fail("degenerate", `K-means populated ${result.nNonEmptyClusters} of ${k} clusters`);
  }
  try {
    const dbi = daviesBouldin(m, labels);
    const chi = calinskiHarabasz(m, labels);
    const sil = silhouette(m, labels);
    result.daviesBouldin = dbi;
    result.calinskiHarabasz = chi;
    result.silhouette = sil;
  } catch (error) {
    if (error instanceof DegenerateInputError) return fail("degenerate", error.message);
    throw error;
  }
  return result;
}
