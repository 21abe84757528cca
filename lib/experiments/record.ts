/**
 * The result record of one training + evaluation run: everything the
 * notebooks and the report show comes from these records.
 *
 * @module
 */
import type { BackendInfo } from "../backend.ts";
import type { StudyDataset, StudyProfile, Variant } from "./config.ts";
import type { Projection } from "./projection.ts";

/** What identifies a run (hashed, with the data fingerprint and lib version, into the cache key). */
export interface RunConfig {
  dataset: StudyDataset;
  variant: Variant;
  seed: number;
  profile: StudyProfile;
  /** Cross-validation fold (DREAMS); 0 elsewhere. */
  fold: number;
  /** Data directory the dataset was read from, or null for synthetic. */
  dataDir: string | null;
}

/** Clustering metrics as the paper computes them (against k-means labels) plus NMI/ARI/rank. */
export interface ClusteringResult {
  status: "ok" | "nan_embeddings" | "single_cluster" | "degenerate";
  daviesBouldin: number | null;
  calinskiHarabasz: number | null;
  silhouette: number | null;
  nmi: number | null;
  ari: number | null;
  effectiveRank: number | null;
  /** Distinct embedding rows (null for non-finite embeddings). */
  nDistinctPoints: number | null;
  /** Clusters k-means populated (null when it did not run). */
  nNonEmptyClusters: number | null;
  /** Why the status is not "ok" (null when ok). */
  reason: string | null;
  k: number;
  /** Frames drawn per class for the clustering subset. */
  perClassCounts: number[];
}

/** Linear-probe metrics on the evaluation split. */
export interface ProbeResult {
  accuracy: number;
  f1Weighted: number;
  f1Macro: number;
  precisionMacro: number;
  recallMacro: number;
  /** Frames per class in the evaluation split. */
  support: number[];
  confusionMatrix: number[][];
}

/** One run's record. */
export interface ResultRecord {
  /** Cache key (hex SHA-256). */
  key: string;
  /** Library version the record was computed with. */
  libVersion: string;
  config: RunConfig;
  /** Loss, steps and hyper-parameters actually used. */
  settings: {
    lossLabel: string;
    loss: unknown;
    encoder: string;
    steps: number;
    batchSize: number;
    lr: number;
    weightDecay: number;
  };
  data: {
    fingerprint: string;
    T: number;
    F: number;
    classNames: string[];
    nTrainSequences: number;
    nEvalSequences: number;
    subjects: { train: string[]; eval: string[] };
  };
  backend: BackendInfo;
  training: {
    /** Loss per step (NaN kept as null in JSON). */
    losses: (number | null)[];
    nonFinite: number;
    /** First step with a non-finite loss, or null. */
    firstNonFiniteStep: number | null;
    diverged: boolean;
    divergedStep: number | null;
    itPerSec: number;
    /** Mean of the sim vector per step (margin variants), else null. */
    simVectorMean: number | null;
  };
  /** Whether the final embeddings are all finite. */
  embeddingsFinite: boolean;
  clustering: ClusteringResult;
  probe: ProbeResult | null;
  /** Why the probe could not run (non-finite embeddings), else null. */
  probeError: string | null;
  /** 2-D UMAP map of evaluation frames (first seed and fold only), else null. */
  projection: Projection | null;
  timings: { loadSeconds: number; trainSeconds: number; evalSeconds: number; totalSeconds: number };
  createdAt: string;
}
