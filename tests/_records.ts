/**
 * Result records for tests: the new schema, with a probe whose per-group
 * confusion matrices give a chosen balanced accuracy, and a study of them.
 */
import { LIB_VERSION, summarise } from "../lib/experiments/mod.ts";
import type { ResultRecord, RunConfig, Study, Variant } from "../lib/experiments/mod.ts";

/** A run's config on the synthetic dataset. */
export const CONFIG: RunConfig = {
  dataset: "synthetic",
  variant: "infonce",
  seed: 1,
  profile: "quick",
  fold: 0,
  dataDir: null,
};

/** Options of {@linkcode fakeRecord}. */
export interface FakeRecord {
  variant: Variant;
  seed?: number;
  fold?: number;
  dataset?: RunConfig["dataset"];
  dbi?: number;
  /** Correct frames out of 10 per group and class (2 classes, groups g0…g3). */
  correct?: number[];
  nonFinite?: number;
  steps?: number;
}

/** A two-class record; group `g` of the probe scores `correct[g]` of 10 frames per class. */
export function fakeRecord(o: FakeRecord): ResultRecord {
  const correct = o.correct ?? [8, 8, 8, 8];
  const groups: Record<string, number[][]> = {};
  correct.forEach((c, g) => (groups[`f${o.fold ?? 0}g${g}`] = [[c, 10 - c], [10 - c, c]]));
  const total = correct.reduce((a, b) => a + b, 0) / (10 * correct.length);
  const steps = o.steps ?? 4;
  const nonFinite = o.nonFinite ?? 0;
  return {
    key: `${o.dataset ?? "synthetic"}-${o.variant}-${o.fold ?? 0}-${o.seed ?? 1}`,
    trainKey: "t",
    libVersion: LIB_VERSION,
    config: {
      ...CONFIG,
      dataset: o.dataset ?? "synthetic",
      variant: o.variant,
      seed: o.seed ?? 1,
      fold: o.fold ?? 0,
    },
    settings: {
      lossLabel: "",
      loss: null,
      encoder: "x",
      steps,
      normalisation: "train",
      batchSize: 8,
      lr: 1e-3,
      weightDecay: 0.01,
    },
    data: {
      fingerprint: "fp",
      T: 1,
      F: 1,
      classNames: ["a", "b"],
      nTrainSequences: 1,
      nEvalSequences: 1,
      subjects: { train: [], eval: ["g0", "g1", "g2", "g3"] },
    },
    backend: { name: "cpu", adapter: null, isFallbackAdapter: false },
    training: {
      losses: Array.from({ length: steps }, (_, i) => (i < nonFinite ? null : 1)),
      nonFinite,
      nonFiniteFraction: nonFinite / steps,
      firstNonFiniteStep: nonFinite ? 0 : null,
      diverged: false,
      divergedStep: null,
      itPerSec: 1,
      simVectorMean: null,
    },
    embeddingsFinite: true,
    clustering: {
      status: "ok",
      daviesBouldin: o.dbi ?? 1,
      calinskiHarabasz: 1,
      silhouette: 0,
      nmi: 0,
      ari: 0,
      effectiveRank: 1,
      nDistinctPoints: 2,
      nNonEmptyClusters: 2,
      reason: null,
      k: 2,
      perClassCounts: [1, 1],
    },
    probe: {
      C: 1,
      chosenBy: "fixed",
      cvMeanScores: null,
      converged: true,
      iterations: 1,
      maxAbsGradient: 0,
      tolerance: 1e-6,
      accuracy: total,
      balancedAccuracy: total,
      f1Macro: total,
      f1Weighted: total,
      perClassRecall: [total, total],
      support: [10 * correct.length, 10 * correct.length],
      confusionMatrix: [[1, 0], [0, 1]],
      absentFromTraining: [],
      absentFramesNotScored: 0,
      groups,
      boundaryGroups: {},
    },
    referenceProbe: null,
    probeError: null,
    adjacency: { sameLabel: 0.9, differentLabel: 0.5, nSame: 1, nDifferent: 1 },
    projection: null,
    timings: { loadSeconds: 0, trainSeconds: 0, evalSeconds: 0, totalSeconds: 0 },
    createdAt: "",
  };
}

/** A paper-profile study of the synthetic dataset made of `records` (no failures), summarised. */
export function fakeStudy(records: ResultRecord[]): Study {
  return {
    profile: "paper",
    dataDir: null,
    datasets: ["synthetic"],
    records,
    failures: [],
    rejected: [],
    summary: summarise(records),
  };
}
