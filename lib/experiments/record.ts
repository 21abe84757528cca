/**
 * The result record of one training + evaluation run: everything the
 * notebooks and the report show comes from these records.
 *
 * @module
 */
import { relative, resolve, sep } from "node:path";
import type { BackendInfo } from "../backend.ts";
import type { StudyDataset, StudyProfile, Variant } from "./config.ts";
import type { Projection } from "./projection.ts";

/** What identifies a run (hashed, with the data fingerprint and lib version, into the cache key). */
export interface RunConfig {
  dataset: StudyDataset;
  variant: Variant;
  seed: number;
  profile: StudyProfile;
  /** Cross-validation fold (by subject, record or excerpt pair). */
  fold: number;
  /**
   * Data directory the dataset was read from, or null for synthetic. In a
   * stored record it is relative to the repository root (no machine's
   * absolute path), see {@linkcode dataDirLabel}.
   */
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

/** A confusion matrix `[classes][classes]` (rows true class, columns predicted). */
export type Confusion = number[][];

/**
 * The primary probe (issue: a converged probe): multinomial logistic
 * regression on standardised embeddings, L2 penalty C chosen by grouped inner
 * cross-validation over the training subjects, solved to convergence.
 */
export interface ProbeResult {
  /** Penalty strength used. */
  C: number;
  /** How C was chosen. */
  chosenBy: "fixed" | "grouped-cv";
  /** Mean inner-CV balanced accuracy per C of the grid (grid order), or null when fixed. */
  cvMeanScores: { C: number; score: number }[] | null;
  converged: boolean;
  iterations: number;
  maxAbsGradient: number;
  /** Relative gradient tolerance of the final fit: max |∇| ≤ tolerance·max(1, C·n). */
  tolerance: number;
  accuracy: number;
  balancedAccuracy: number;
  f1Macro: number;
  f1Weighted: number;
  /** Recall per class id (null for classes absent from the evaluation split). */
  perClassRecall: (number | null)[];
  /** Frames per class in the evaluation split. */
  support: number[];
  confusionMatrix: Confusion;
  /** Class names absent from the probe's training frames: their evaluation frames are not scored. */
  absentFromTraining: string[];
  /** Evaluation frames left unscored because their class is absent from training. */
  absentFramesNotScored: number;
  /** Confusion matrix per held-out group (subject / record / excerpt): the bootstrap's unit. */
  groups: Record<string, Confusion>;
  /** The same restricted to frames within ±2 frames of a label change (the margin's claim). */
  boundaryGroups: Record<string, Confusion>;
}

/** The reference protocol (spec §2.5): one linear layer, Adam 1e-3, 10 epochs, no standardisation. */
export interface ReferenceProbeResult {
  accuracy: number;
  f1Weighted: number;
  f1Macro: number;
  precisionMacro: number;
  recallMacro: number;
  /** Frames per class in the evaluation split. */
  support: number[];
  confusionMatrix: Confusion;
}

/** What a margin between adjacent-but-dissimilar frames claims to change. */
export interface AdjacencyResult {
  /** Mean cosine similarity of adjacent evaluation frames with the same label. */
  sameLabel: number | null;
  /** … with different labels. */
  differentLabel: number | null;
  nSame: number;
  nDifferent: number;
}

/** One run's record. */
export interface ResultRecord {
  /** Cache key (hex SHA-256) of training and evaluation config. */
  key: string;
  /** Key of the trained weights (training config only): re-evaluation reuses them. */
  trainKey: string;
  /** Library version the record was computed with. */
  libVersion: string;
  config: RunConfig;
  /** Loss, steps and hyper-parameters actually used. */
  settings: {
    lossLabel: string;
    loss: unknown;
    encoder: string;
    steps: number;
    /** Feature z-scoring: training-split statistics, or all files (D5 ablation). */
    normalisation: "train" | "all";
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
    /** `nonFinite / steps` (0 for runs that train nothing). */
    nonFiniteFraction: number;
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
  /** The converged logistic probe (primary). */
  probe: ProbeResult | null;
  /** The reference protocol's probe (spec §2.5), kept for comparison. */
  referenceProbe: ReferenceProbeResult | null;
  /** Why the probes could not run (non-finite embeddings), else null. */
  probeError: string | null;
  /** Adjacent-frame similarity by label agreement (null for non-finite embeddings). */
  adjacency: AdjacencyResult | null;
  /** 2-D UMAP map of evaluation frames (first seed and fold only), else null. */
  projection: Projection | null;
  timings: { loadSeconds: number; trainSeconds: number; evalSeconds: number; totalSeconds: number };
  createdAt: string;
  /** SHA-256 of the record's content, set when it is written to the cache and checked on read. */
  contentHash?: string;
}

/** A data directory as stored in records: relative to the repository root, `/`-separated. */
export function dataDirLabel(dataDir: string | null, root: string): string | null {
  if (dataDir === null) return null;
  const rel = relative(root, resolve(dataDir)).split(sep).join("/");
  return rel === "" ? "." : rel;
}
