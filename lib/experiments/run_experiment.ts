/**
 * One run of the study: build the variant's encoder and objective, train it
 * (or load its cached weights), evaluate the frozen embeddings, return a
 * {@linkcode ResultRecord}.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { initBackend } from "../backend.ts";
import type { BackendInfo } from "../backend.ts";
import { loadDataset } from "../data/mod.ts";
import type { Dataset, SequenceSplit } from "../data/mod.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import type { Encoder } from "../encoders/mod.ts";
import { lossSpecLabel, makeContrastiveLoss, simVector } from "../losses/mod.ts";
import type { LossSpec } from "../losses/mod.ts";
import { encode, pretrain, sequenceBatches } from "../train/mod.ts";
import type { Objective, StepProgress } from "../train/mod.ts";
import { createTs2vecEncoder, ts2vecObjective } from "../ts2vec/mod.ts";
import { deriveSeed, makeRng, sampleWithoutReplacement } from "../random.ts";
import { repoRoot } from "../paths.ts";
import { BASELINES } from "../baselines/mod.ts";
import {
  dataProfileOf,
  HYPER,
  lossSpecFor,
  PROFILES,
  stepsFor,
  TRAINING,
  VARIANT_TABLE,
} from "./config.ts";
import type { StudyDataset, StudyProfile, Variant, VariantSpec } from "./config.ts";
import { dataDirLabel } from "./record.ts";
import type { ResultRecord, RunConfig } from "./record.ts";
import { projectEmbeddings } from "./projection.ts";
import { LIB_VERSION, resultKey, trainKey } from "./result_cache.ts";
import { allFinite, evaluateRun } from "./evaluate.ts";
import { readCachedWeights, writeCachedWeights } from "./weights_cache.ts";
import type { TrainingLog } from "./weights_cache.ts";

/** Options of {@linkcode runExperiment}. */
export interface RunExperimentOptions {
  dataset: StudyDataset;
  variant: Variant;
  seed: number;
  profile: StudyProfile;
  fold?: number;
  /** Data directory; ignored for "synthetic". */
  dataDir?: string | null;
  /** A dataset already loaded for this (dataset, profile, fold, normalisation), to skip reading. */
  data?: Dataset;
  /** Progress per training step. */
  onStep?: (p: StepProgress) => void;
  /** Backend info to record (defaults to starting the "auto" backend). */
  backend?: BackendInfo;
  /** Weights cache folder, or `false` to neither read nor write weights (default: the cache). */
  weightsDir?: string | false;
}

/** Loads the dataset of a run with the profile's settings and the variant's normalisation. */
export function loadStudyDataset(
  dataset: StudyDataset,
  profile: StudyProfile,
  fold: number,
  dataDir: string | null,
  normalisation: "train" | "all" = "train",
): Promise<Dataset> {
  return loadDataset(dataset, {
    dataDir: dataDir ?? undefined,
    profile: dataProfileOf(profile),
    fold,
    normalisation,
  });
}

/**
 * Runs one (dataset, variant, seed, fold) of the study: build → train →
 * evaluate → record.
 *
 * Pretraining follows spec §2.4 (batch 8 sequences, AdamW lr 1e-3, wd 0.01,
 * constant LR); reference-mode variants record non-finite losses and keep
 * going, as the official code does, the others stop at the first non-finite
 * loss (`diverged`). Controls train nothing. Evaluation: the D6-safe
 * clustering protocol, the converged logistic probe (primary), the reference
 * probe (spec §2.5) and the adjacency measures ({@linkcode evaluateRun}).
 *
 * @example Trains for minutes: type-checked by `deno task test:doc`, not run
 * ```ts
 * import { runExperiment } from "./run_experiment.ts";
 * const record = await runExperiment({
 *   dataset: "synthetic", variant: "infonce", seed: 1, profile: "quick", weightsDir: false,
 * });
 * console.log(record.probe?.balancedAccuracy, record.clustering.daviesBouldin);
 * ```
 */
export async function runExperiment(options: RunExperimentOptions): Promise<ResultRecord> {
  const { dataset, variant, seed, profile } = options;
  const fold = options.fold ?? 0;
  const spec = VARIANT_TABLE[variant];
  const dataDir = dataset === "synthetic" ? null : options.dataDir ?? null;
  const backend = options.backend ?? await initBackend();
  const started = performance.now();
  const data = options.data ??
    await loadStudyDataset(dataset, profile, fold, dataDir, spec.normalisation);
  const loadSeconds = (performance.now() - started) / 1000;
  const config: RunConfig = { dataset, variant, seed, profile, fold, dataDir };
  const keys = {
    train: trainKey(config, data.meta.fingerprint),
    result: await resultKey(config, data.meta.fingerprint),
  };
  const loss = spec.objective.kind === "loss"
    ? lossSpecFor(dataset, spec.objective.variant, data.train.nSequences * data.T)
    : null;
  const encoder = buildEncoder(spec, data.F, data.T, seed);
  try {
    const log = await trainOrLoad(encoder, spec, loss, data, {
      config,
      key: keys.train,
      onStep: options.onStep,
      weightsDir: options.weightsDir,
    });
    const evalStart = performance.now();
    const emb = await embeddings(encoder, data, profile, seed);
    const evaluation = await evaluateRun(data, emb, {
      dataset,
      profile,
      seed,
      probeTrain: emb.probeTrain,
    });
    const firstRun = seed === PROFILES[profile].seeds[0] && fold === 0;
    const projection = firstRun && evaluation.embeddingsFinite
      ? projectEmbeddings(emb.eval, data.eval.y, { perClass: profile === "quick" ? 60 : 150, seed })
      : null;
    const evalSeconds = (performance.now() - evalStart) / 1000;
    return {
      key: keys.result,
      trainKey: keys.train,
      libVersion: LIB_VERSION,
      config: { ...config, dataDir: dataDirLabel(dataDir, repoRoot) },
      settings: {
        lossLabel: objectiveLabel(spec, loss),
        loss,
        encoder: log.encoder,
        steps: log.steps,
        normalisation: spec.normalisation,
        batchSize: TRAINING.batchSize,
        lr: TRAINING.lr,
        weightDecay: TRAINING.weightDecay,
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
      training: log.training,
      ...evaluation,
      projection,
      timings: {
        loadSeconds,
        trainSeconds: log.trainSeconds,
        evalSeconds,
        totalSeconds: (performance.now() - started) / 1000,
      },
      createdAt: new Date().toISOString(),
    };
  } finally {
    encoder?.dispose();
    if (spec.objective.kind === "baseline") BASELINES[spec.objective.name].dispose?.();
  }
}

/** The variant's encoder at its seeded initialisation (null: the input frames are the embedding). */
function buildEncoder(
  spec: VariantSpec,
  inFeatures: number,
  T: number,
  seed: number,
): Encoder | null {
  const init = deriveSeed("init", seed);
  switch (spec.encoder) {
    case "none":
      return null;
    case "baseline":
      if (spec.objective.kind !== "baseline") throw new Error("unreachable: baseline encoder");
      return BASELINES[spec.objective.name].createEncoder({ inFeatures, seed: init, T });
    case "feature-projector":
      return createFeatureProjector({ inFeatures, outFeatures: 320, seed: init });
    case "ts2vec":
      return createTs2vecEncoder({ inFeatures, seed: init, backbone: "dilated-cnn" });
    case "ts2vec-shipped":
      return createTs2vecEncoder({ inFeatures, seed: init, backbone: "feature-projector" });
  }
}

function objectiveLabel(spec: VariantSpec, loss: LossSpec | null): string {
  if (loss) return lossSpecLabel(loss);
  if (spec.objective.kind === "baseline") return spec.label;
  if (spec.objective.kind === "ts2vec") {
    return spec.objective.cropping === "padded-full"
      ? "TS2Vec hierarchical loss on zero-padded full crops (shipped wrapper)"
      : "TS2Vec hierarchical contrastive loss";
  }
  return `none (${spec.label})`;
}

function buildObjective(
  spec: VariantSpec,
  dataset: StudyDataset,
  T: number,
  seed: number,
): Objective | undefined {
  switch (spec.objective.kind) {
    case "ts2vec":
      return ts2vecObjective({ seed: deriveSeed("crop", seed), cropping: spec.objective.cropping });
    case "baseline":
      return BASELINES[spec.objective.name].createObjective({
        seed: deriveSeed("baseline", seed),
        T,
        paperConfig: HYPER[dataset].paperConfig,
      });
    default:
      return undefined;
  }
}

interface TrainContext {
  config: RunConfig;
  key: string;
  onStep?: (p: StepProgress) => void;
  weightsDir?: string | false;
}

/** Trains the encoder, or loads its cached weights; controls train nothing. */
async function trainOrLoad(
  encoder: Encoder | null,
  spec: VariantSpec,
  loss: LossSpec | null,
  data: Dataset,
  ctx: TrainContext,
): Promise<TrainingLog> {
  const steps = spec.objective.kind === "none"
    ? 0
    : stepsFor(ctx.config.dataset, ctx.config.profile);
  const empty: TrainingLog = {
    trainKey: ctx.key,
    encoder: encoder?.name ?? "none",
    steps: 0,
    training: {
      losses: [],
      nonFinite: 0,
      nonFiniteFraction: 0,
      firstNonFiniteStep: null,
      diverged: false,
      divergedStep: null,
      itPerSec: 0,
      simVectorMean: null,
    },
    trainSeconds: 0,
  };
  if (!encoder || steps === 0) return empty;
  const dir = ctx.weightsDir === false ? undefined : ctx.weightsDir;
  if (ctx.weightsDir !== false) {
    const cached = await readCachedWeights(ctx.key, dir);
    if (cached) {
      encoder.loadStateDict(cached.state);
      return cached.log;
    }
  }
  const trainStart = performance.now();
  const result = await pretrain({
    encoder,
    loss: loss ? makeContrastiveLoss(loss) : undefined,
    objective: buildObjective(spec, ctx.config.dataset, data.T, ctx.config.seed),
    batches: sequenceBatches({ ...data.train, T: data.T, F: data.F }, {
      batchSize: TRAINING.batchSize,
      seed: ctx.config.seed,
    }),
    steps,
    mode: spec.mode,
    lr: TRAINING.lr,
    weightDecay: TRAINING.weightDecay,
    onStep: ctx.onStep,
  });
  const losses = Array.from(result.losses, (v) => (Number.isFinite(v) ? v : null));
  const firstNonFinite = losses.findIndex((v) => v === null);
  const log: TrainingLog = {
    trainKey: ctx.key,
    encoder: encoder.name,
    steps,
    training: {
      losses,
      nonFinite: result.nonFinite,
      nonFiniteFraction: losses.length ? result.nonFinite / losses.length : 0,
      firstNonFiniteStep: firstNonFinite < 0 ? null : firstNonFinite,
      diverged: result.diverged,
      divergedStep: result.divergedStep,
      itPerSec: result.itPerSec,
      simVectorMean: loss && (loss.kind === "ls-margin" || loss.kind === "stable")
        ? await simVectorMean(data.train, data.T, data.F, loss)
        : null,
    },
    trainSeconds: (performance.now() - trainStart) / 1000,
  };
  if (ctx.weightsDir !== false) await writeCachedWeights(encoder.stateDict(), log, dir);
  return log;
}

/** Embeddings of the evaluation split and of the probe's training split. */
async function embeddings(
  encoder: Encoder | null,
  data: Dataset,
  profile: StudyProfile,
  seed: number,
): Promise<
  { train: Float32Array | null; eval: Float32Array; D: number; probeTrain: SequenceSplit }
> {
  const probeTrain = capSequences(data.train, PROFILES[profile].maxProbeSequences, seed, data.T);
  if (!encoder) return { train: probeTrain.x, eval: data.eval.x, D: data.F, probeTrain };
  const evalEmb = await encode(encoder, data.eval.x, { T: data.T });
  const train = allFinite(evalEmb) ? await encode(encoder, probeTrain.x, { T: data.T }) : null;
  return { train, eval: evalEmb, D: encoder.outFeatures, probeTrain };
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
  const B = TRAINING.batchSize;
  const n = Math.floor(split.nSequences / B) * B;
  let sum = 0, count = 0;
  for (let s = 0; s + B <= n; s += B) {
    const mean = tf.tidy(() => {
      const x = tf.tensor2d(split.x.subarray(s * T * F, (s + B) * T * F), [B * T, F]);
      return simVector(x, { threshold: loss.threshold, variant, length: "double" }).mean();
    });
    sum += (await mean.data())[0];
    mean.dispose();
    count++;
  }
  return count ? sum / count : NaN;
}
