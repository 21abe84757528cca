/**
 * One run of the study: load data, pretrain a variant, evaluate the frozen
 * embeddings by clustering and linear probing, return a {@linkcode ResultRecord}.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { initBackend } from "../backend.ts";
import type { BackendInfo } from "../backend.ts";
import { loadDataset } from "../data/mod.ts";
import type { Dataset, SequenceSplit } from "../data/types.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import { lossSpecLabel, makeContrastiveLoss, simVector } from "../losses/mod.ts";
import type { LossSpec } from "../losses/mod.ts";
import { encode, pretrain, sequenceBatches } from "../train/mod.ts";
import type { PretrainResult } from "../train/mod.ts";
import { createTs2vecEncoder, ts2vecObjective } from "../ts2vec/mod.ts";
import { evaluateClustering, linearProbe } from "../metrics/mod.ts";
import { deriveSeed, makeRng, sampleWithoutReplacement } from "../random.ts";
import {
  dataProfileOf,
  HYPER,
  isReferenceMode,
  isTs2vecVariant,
  lossSpecFor,
  PROFILES,
  stepsFor,
} from "./config.ts";
import type { StudyDataset, StudyProfile, Variant } from "./config.ts";
import type { ClusteringResult, ProbeResult, ResultRecord, RunConfig } from "./record.ts";
import { projectEmbeddings } from "./projection.ts";
import { LIB_VERSION, resultKey } from "./result_cache.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunExperimentOptions {
  dataset: StudyDataset;
  variant: Variant;
  seed: number;
  profile: StudyProfile;
  fold?: number;
  /** Data directory; ignored for "synthetic". */
  dataDir?: string | null;
  /** A dataset already loaded for this (dataset, profile, fold), to skip reading. */
  data?: Dataset;
  /** Progress per training step. */
  onStep?: (
    p: { step: number; steps: number; loss: number; itPerSec: number; etaSeconds: number },
  ) => void;
  /** Backend info to record (defaults to starting the "auto" backend). */
  backend?: BackendInfo;
}

const BATCH_SIZE = 8;
const LR = 1e-3;
const WEIGHT_DECAY = 0.01;

/** Loads the dataset of a run with the profile's settings. */
export function loadStudyDataset(
  dataset: StudyDataset,
  profile: StudyProfile,
  fold: number,
  dataDir: string | null,
): Promise<Dataset> {
  return loadDataset(dataset, {
    dataDir: dataDir ?? undefined,
    profile: dataProfileOf(profile),
    fold,
  });
}

/**
 * Runs one (dataset, variant, seed, fold) of the study.
 *
 * Pretraining follows spec §2.4 (batch 8 sequences, AdamW lr 1e-3, wd 0.01,
 * constant LR). Reference-mode variants record non-finite losses and keep
 * going, as the official code does; the others stop at the first non-finite
 * loss and report `diverged`. Evaluation follows spec §2.5 with the D6-safe
 * evaluator: k-means (k = classes present, nInit 10, seed 1) on a
 * class-balanced subset of evaluation frames, DBI/CHI/silhouette against the
 * k-means labels, plus NMI/ARI against the true labels and the effective rank;
 * then a linear probe trained on the training split.
 */
export async function runExperiment(options: RunExperimentOptions): Promise<ResultRecord> {
  const { dataset, variant, seed, profile } = options;
  const fold = options.fold ?? 0;
  const dataDir = dataset === "synthetic" ? null : options.dataDir ?? null;
  const backend = options.backend ?? await initBackend();
  const started = performance.now();

  const data = options.data ?? await loadStudyDataset(dataset, profile, fold, dataDir);
  const loadSeconds = (performance.now() - started) / 1000;
  const config: RunConfig = { dataset, variant, seed, profile, fold, dataDir };
  const steps = stepsFor(dataset, profile);
  const nTrainFrames = data.train.nSequences * data.T;
  const loss: LossSpec | null = isTs2vecVariant(variant)
    ? null
    : lossSpecFor(dataset, variant, nTrainFrames);
  // ts2vec-reference: the wrapper shipped with the eMargin code (spec §3 variant 5)
  const shippedTs2vec = variant === "ts2vec-reference";

  const encoder: Encoder = isTs2vecVariant(variant)
    ? createTs2vecEncoder({
      inFeatures: data.F,
      seed: deriveSeed("init", seed),
      backbone: shippedTs2vec ? "feature-projector" : "dilated-cnn",
    })
    : createFeatureProjector({
      inFeatures: data.F,
      outFeatures: 320,
      seed: deriveSeed("init", seed),
    });
  try {
    const trainStart = performance.now();
    const batches = sequenceBatches({ ...data.train, T: data.T, F: data.F }, {
      batchSize: BATCH_SIZE,
      seed,
    });
    const result: PretrainResult = await pretrain({
      encoder,
      loss: loss ? makeContrastiveLoss(loss) : undefined,
      objective: isTs2vecVariant(variant)
        ? ts2vecObjective({
          seed: deriveSeed("crop", seed),
          cropping: shippedTs2vec ? "padded-full" : "overlap",
        })
        : undefined,
      batches,
      steps,
      mode: isReferenceMode(variant) ? "reference" : "guarded",
      lr: LR,
      weightDecay: WEIGHT_DECAY,
      onStep: options.onStep,
    });
    const trainSeconds = (performance.now() - trainStart) / 1000;

    const evalStart = performance.now();
    const evalEmb = await encode(encoder, data.eval.x, { T: data.T });
    const embeddingsFinite = allFinite(evalEmb);
    const clustering = clusteringOf(
      evalEmb,
      data.eval.y,
      data.classNames.length,
      profile,
      dataset,
      seed,
    );
    let probe: ProbeResult | null = null;
    let probeError: string | null = null;
    if (embeddingsFinite) {
      const probeTrain = capSequences(
        data.train,
        PROFILES[profile].maxProbeSequences,
        seed,
        data.T,
      );
      const trainEmb = await encode(encoder, probeTrain.x, { T: data.T });
      if (allFinite(trainEmb)) {
        probe = await probeOf(
          trainEmb,
          probeTrain.y,
          evalEmb,
          data.eval.y,
          data.classNames.length,
          profile,
          seed,
          data.T,
        );
      } else probeError = "training-split embeddings contain NaN/Inf";
    } else probeError = "evaluation embeddings contain NaN/Inf";
    const firstRun = seed === PROFILES[profile].seeds[0] && fold === 0;
    const projection = firstRun && embeddingsFinite
      ? projectEmbeddings(evalEmb, data.eval.y, { perClass: profile === "quick" ? 60 : 150, seed })
      : null;
    const evalSeconds = (performance.now() - evalStart) / 1000;

    const losses = Array.from(result.losses, (v) => (Number.isFinite(v) ? v : null));
    const firstNonFinite = losses.findIndex((v) => v === null);
    return {
      key: await resultKey(config, data.meta.fingerprint),
      libVersion: LIB_VERSION,
      config,
      settings: {
        lossLabel: loss
          ? lossSpecLabel(loss)
          : shippedTs2vec
          ? "TS2Vec hierarchical loss on zero-padded full crops (shipped wrapper)"
          : "TS2Vec hierarchical contrastive loss",
        loss,
        encoder: encoder.name,
        steps,
        batchSize: BATCH_SIZE,
        lr: LR,
        weightDecay: WEIGHT_DECAY,
      },
      data: {
        fingerprint: data.meta.fingerprint,
        T: data.T,
        F: data.F,
        classNames: data.classNames,
        nTrainSequences: data.train.nSequences,
        nEvalSequences: data.eval.nSequences,
        subjects: data.meta.subjects,
      },
      backend,
      training: {
        losses,
        nonFinite: result.nonFinite,
        firstNonFiniteStep: firstNonFinite < 0 ? null : firstNonFinite,
        diverged: result.diverged,
        divergedStep: result.divergedStep,
        itPerSec: result.itPerSec,
        simVectorMean: loss && (loss.kind === "ls-margin" || loss.kind === "stable")
          ? await simVectorMean(data.train, data.T, data.F, loss)
          : null,
      },
      embeddingsFinite,
      clustering,
      probe,
      probeError,
      projection,
      timings: {
        loadSeconds,
        trainSeconds,
        evalSeconds,
        totalSeconds: (performance.now() - started) / 1000,
      },
      createdAt: new Date().toISOString(),
    };
  } finally {
    encoder.dispose();
  }
}

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

/** Keeps at most `max` sequences (seeded choice), for the quick profile's probe. */
function capSequences(
  split: SequenceSplit,
  max: number | null,
  seed: number,
  T: number,
): SequenceSplit {
  if (max === null || split.nSequences <= max) return split;
  const F = split.x.length / (split.nSequences * T);
  const pick = Array.from(
    sampleWithoutReplacement(split.nSequences, max, makeRng(deriveSeed("probe-cap", seed))),
  )
    .sort((a, b) => a - b);
  const x = new Float32Array(max * T * F);
  const y = new Int32Array(max * T);
  pick.forEach((s, i) => {
    x.set(split.x.subarray(s * T * F, (s + 1) * T * F), i * T * F);
    y.set(split.y.subarray(s * T, (s + 1) * T), i * T);
  });
  return { x, y, recording: pick.map((s) => split.recording[s]), nSequences: max };
}

/** Mean of the margin indicator over the training batches (it depends on the raw input only). */
async function simVectorMean(
  split: SequenceSplit,
  T: number,
  F: number,
  loss: LossSpec,
): Promise<number> {
  if (loss.kind !== "ls-margin" && loss.kind !== "stable") return NaN;
  const variant = loss.kind === "stable" ? "intended" : loss.simVariant;
  const n = Math.floor(split.nSequences / BATCH_SIZE) * BATCH_SIZE;
  let sum = 0, count = 0;
  for (let s = 0; s + BATCH_SIZE <= n; s += BATCH_SIZE) {
    const mean = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(s * T * F, (s + BATCH_SIZE) * T * F), [
        BATCH_SIZE * T,
        F,
      ]);
      return simVector(x, { threshold: loss.threshold, variant, length: "double" }).mean();
    });
    sum += (await mean.data())[0];
    mean.dispose();
    count++;
  }
  return count ? sum / count : NaN;
}

function clusteringOf(
  emb: Float32Array,
  labels: Int32Array,
  nClasses: number,
  profile: StudyProfile,
  dataset: StudyDataset,
  seed: number,
): ClusteringResult {
  const D = emb.length / labels.length;
  const perClass = Math.min(PROFILES[profile].clusterPerClass, HYPER[dataset].clusterPerClass);
  const rng = makeRng(deriveSeed("cluster-subset", seed));
  const rows: number[] = [];
  const counts: number[] = [];
  for (let c = 0; c < nClasses; c++) {
    const idx: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    const take = Math.min(perClass, idx.length);
    counts.push(take);
    for (const j of sampleWithoutReplacement(idx.length, take, rng)) rows.push(idx[j]);
  }
  const present = counts.filter((c) => c > 0).length;
  const x = new Float64Array(rows.length * D);
  const yTrue = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    for (let d = 0; d < D; d++) x[i * D + d] = emb[r * D + d];
    yTrue[i] = labels[r];
  });
  const m = { data: x, rows: rows.length, cols: D };
  const res = evaluateClustering(m, { k: present, seed: 1, yTrue });
  return {
    status: res.status,
    daviesBouldin: res.daviesBouldin,
    calinskiHarabasz: res.calinskiHarabasz,
    silhouette: res.silhouette,
    nmi: res.nmi,
    ari: res.ari,
    effectiveRank: res.effectiveRank,
    nDistinctPoints: res.nDistinctPoints,
    nNonEmptyClusters: res.nNonEmptyClusters,
    reason: res.reason,
    k: present,
    perClassCounts: counts,
  };
}

async function probeOf(
  trainEmb: Float32Array,
  trainY: Int32Array,
  evalEmb: Float32Array,
  evalY: Int32Array,
  classes: number,
  profile: StudyProfile,
  seed: number,
  T: number,
): Promise<ProbeResult> {
  const D = trainEmb.length / trainY.length;
  const r = await linearProbe({
    trainX: { data: trainEmb, rows: trainY.length, cols: D },
    trainY,
    evalX: { data: evalEmb, rows: evalY.length, cols: D },
    evalY,
    classes,
    epochs: PROFILES[profile].probeEpochs,
    lr: 1e-3,
    batchSize: BATCH_SIZE * T,
    seed,
  });
  return {
    accuracy: r.accuracy,
    f1Weighted: r.f1Weighted,
    f1Macro: r.f1Macro,
    precisionMacro: r.precisionMacro,
    recallMacro: r.recallMacro,
    support: r.support,
    confusionMatrix: r.confusionMatrix,
  };
}
