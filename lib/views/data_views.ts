/**
 * Notebook displays of the datasets: provenance, recipe, split, class
 * balance, a raw-signal excerpt and a spectrogram — all read from the loaders
 * and readers, nothing typed by hand.
 *
 * @module
 */
import { join } from "node:path";
import * as Plot from "@observablehq/plot";
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import {
  DREAMS_CLASS_NAMES,
  DREAMS_RECIPE,
  loadDreamsExcerpt,
  readDreamsExcerpt,
  readHaptRecording,
  readWfdbRecord,
  SYNTHETIC_FS,
  syntheticRecording,
} from "../data/mod.ts";
import type { Dataset, DatasetMeta } from "../data/mod.ts";
import { createFeatureProjector } from "../encoders/mod.ts";
import { escapeHtml, heatmapFigure, plot } from "../report/mod.ts";
import { availableDatasets, HYPER, loadStudyDataset } from "../experiments/mod.ts";
import type { StudyDataset, StudyProfile } from "../experiments/mod.ts";
import { datasetLabel, html, htmlTable } from "./display.ts";
import type { Displayable } from "./display.ts";

/** A few seconds of raw signal, one array per channel. */
interface Excerpt {
  fs: number;
  channels: { name: string; data: ArrayLike<number> }[];
  what: string;
}

function slice(data: ArrayLike<number>, from: number, n: number): number[] {
  return Array.from({ length: Math.min(n, data.length - from) }, (_, i) => data[from + i]);
}

async function rawExcerpt(
  name: StudyDataset,
  dataDir: string | null,
  seconds = 10,
): Promise<Excerpt | null> {
  if (name === "synthetic") {
    const rec = syntheticRecording(1, { nSamples: SYNTHETIC_FS * seconds * 3 });
    return {
      fs: SYNTHETIC_FS,
      what: "synthetic recording, seed 1 (regimes change every 4–20 s)",
      channels: rec.channels.map((c, i) => ({
        name: `channel ${i + 1}`,
        data: slice(c, 0, SYNTHETIC_FS * seconds * 3),
      })),
    };
  }
  if (!dataDir) return null;
  if (name === "hapt") {
    const rec = readHaptRecording(join(dataDir, "hapt"), 1, 1);
    const from = 50 * 60; // one minute in: the subject is active
    return {
      fs: 50,
      what: "HAPT experiment 1, user 1, from 60 s (acc x/y/z in g)",
      channels: ["acc_x", "acc_y", "acc_z"].map((n, i) => ({
        name: n,
        data: slice(rec.channels[i], from, 50 * seconds),
      })),
    };
  }
  if (name === "mitdb") {
    const rec = readWfdbRecord(join(dataDir, "mitdb"), "201");
    return {
      fs: rec.fs,
      what: "MIT-BIH record 201, first seconds (mV)",
      channels: rec.signals.map((s) => ({
        name: s.name,
        data: slice(s.data, 0, Math.round(rec.fs * seconds)),
      })),
    };
  }
  if (name === "dreams") {
    const ex = await readDreamsExcerpt(join(dataDir, "dreams", "excerpt1.txt"));
    return {
      fs: ex.fs,
      what: `DREAMS excerpt 1, ${ex.channel}, native ${ex.fs} Hz (µV)`,
      channels: [{
        name: ex.channel,
        data: slice(ex.data, Math.round(ex.fs * 600), Math.round(ex.fs * seconds)),
      }],
    };
  }
  return null;
}

function signalChart(ex: Excerpt): string {
  const step = Math.max(1, Math.floor(ex.channels[0].data.length / 1500));
  const rows = ex.channels.flatMap((c) =>
    Array.from({ length: Math.floor(c.data.length / step) }, (_, i) => ({
      t: (i * step) / ex.fs,
      value: c.data[i * step],
      channel: c.name,
    }))
  );
  return plot({
    width: 720,
    height: 90 * ex.channels.length + 40,
    marginLeft: 50,
    marginRight: 80, // room for the channel names
    x: { label: "seconds" },
    y: { label: null, grid: true },
    fy: { label: null },
    marks: [
      Plot.lineY(rows, { x: "t", y: "value", fy: "channel", stroke: "#1f5f99", strokeWidth: 0.8 }),
    ],
  }).svg;
}

/** Seconds between frames, `hop / fs` of the recipe (its own `fs` when it resamples), else null. */
function frameSeconds(m: DatasetMeta): number | null {
  const hop = m.recipe.hop, fs = typeof m.recipe.fs === "number" ? m.recipe.fs : m.fs;
  return typeof hop === "number" && hop > 0 && fs > 0 ? hop / fs : null;
}

/**
 * One dataset's overview: source and licence, recipe, split, class balance,
 * a raw excerpt and the (normalised) features of the first evaluation sequence.
 */
export async function dataOverview(
  name: StudyDataset,
  { dataDir, profile }: { dataDir: string | null; profile: StudyProfile },
): Promise<Displayable> {
  const data: Dataset = await loadStudyDataset(
    name,
    profile,
    0,
    name === "synthetic" ? null : dataDir,
  );
  const m = data.meta;
  const parts: string[] = [`<h3>${escapeHtml(datasetLabel(name))}</h3>`];
  if (m.source) {
    parts.push(
      `<p>${escapeHtml(m.source.name)}. ${escapeHtml(m.source.citation)} Licence: ${
        escapeHtml(m.source.licence)
      }.</p>`,
    );
  }
  parts.push(htmlTable(["property", "value"], [
    ["sampling rate (Hz)", m.fs],
    ["frames per sequence T", data.T],
    ["features per frame F", data.F],
    ["recipe", JSON.stringify(m.recipe)],
    ["split", m.splitRule],
    ["training recordings", `${m.subjects.train.length}: ${m.subjects.train.join(", ")}`],
    ["evaluation recordings", `${m.subjects.eval.length}: ${m.subjects.eval.join(", ")}`],
    ["sequences (train / eval)", `${data.train.nSequences} / ${data.eval.nSequences}`],
    ["profile", profile],
  ]));
  parts.push(htmlTable(
    ["class", "train frames", "eval frames"],
    data.classNames.map((c, i) => [c, m.classCounts.train[i] ?? 0, m.classCounts.eval[i] ?? 0]),
    { caption: "class balance (labelled frames)" },
  ));
  if (m.notes.length) {
    parts.push(`<ul>${m.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`);
  }
  const ex = await rawExcerpt(name, dataDir);
  if (ex) {
    parts.push(
      `<figure><figcaption>${escapeHtml(ex.what)}</figcaption>${signalChart(ex)}</figure>`,
    );
  }
  if (data.eval.nSequences > 0) {
    const frames = data.eval.x.subarray(0, data.T * data.F);
    const step = frameSeconds(m);
    const img = heatmapFigure(frames, data.T, data.F, {
      x: step === null
        ? { label: "frame", domain: [0, data.T] }
        : { label: "time (s)", domain: [0, data.T * step] },
      y: { label: "feature index", domain: [0, data.F] },
      colourLabel: "normalised feature value",
      title: `${name} features`,
    });
    parts.push(
      `<figure><figcaption>features of the first evaluation sequence (${data.T} frames × ${data.F} features, normalised)</figcaption>${img.markup}</figure>`,
    );
  }
  return html(parts.join("\n"));
}

/** DREAMS excerpt `n`: hypnogram (per 1.78-s frame) and 100-Hz spectrogram (log magnitude). */
export async function dreamsOverview(dataDir: string, n: number): Promise<Displayable> {
  const ex = await loadDreamsExcerpt(join(dataDir, "dreams"), n);
  const frameSeconds = 178 / 100;
  const stages = Array.from(ex.frameLabels, (c, i) => ({
    minute: (i * frameSeconds) / 60,
    stage: c < 0 ? "excluded" : DREAMS_CLASS_NAMES[c],
  }));
  const hyp = plot({
    width: 720,
    height: 170,
    marginLeft: 70,
    x: { label: "minutes" },
    y: { domain: ["W", "REM", "N1", "N2", "N3", "excluded"], label: null },
    marks: [Plot.dot(stages, { x: "minute", y: "stage", r: 1.2, fill: "#1f5f99" })],
  });
  const img = heatmapFigure(ex.features, ex.nFrames, ex.nBins, {
    x: { label: "time (min)", domain: [0, (ex.nFrames * frameSeconds) / 60] },
    y: { label: "frequency (Hz)", domain: [0, DREAMS_RECIPE.fs / 2] },
    colourLabel: "log(1 + |STFT|)",
    log: true,
    title: `excerpt ${n} spectrogram`,
  });
  return html(
    `<figure><figcaption>excerpt ${n}: stage of each 1.78-s frame (majority of its samples)</figcaption>${hyp.svg}</figure>` +
      `<figure><figcaption>excerpt ${n}: STFT magnitude 178/178 at 100 Hz (${ex.nFrames} frames × ${ex.nBins} bins)</figcaption>${img.markup}</figure>`,
  );
}

/** One training batch for the loss demonstrations, with untrained-encoder embeddings. */
export interface ExampleBatch {
  dataset: StudyDataset;
  /** `[N, F]` raw frames (8 sequences, flattened). */
  x: Tensor2D;
  /** `[N, 320]` FeatureProjector embeddings at initialisation (train mode, ReLU output). */
  z: Tensor2D;
  /** The dataset's paper config (τ, m). */
  config: { temperature: number; margin: number };
  configName: string;
  dispose(): void;
}

/** The first 8 training sequences of the first available dataset (synthetic when none). */
export async function exampleBatch(
  { dataDir, profile }: { dataDir: string | null; profile: StudyProfile },
): Promise<ExampleBatch> {
  const dataset = availableDatasets(dataDir)[0] ?? "synthetic";
  const data = await loadStudyDataset(
    dataset,
    profile,
    0,
    dataset === "synthetic" ? null : dataDir,
  );
  const B = Math.min(8, data.train.nSequences);
  const x = tf.tensor2d(data.train.x.slice(0, B * data.T * data.F), [B * data.T, data.F]);
  const encoder = createFeatureProjector({ inFeatures: data.F, outFeatures: 320, seed: 1 });
  const z = tf.tidy(() =>
    encoder.apply(x.reshape([B, data.T, data.F]) as tf.Tensor3D, { training: true }).reshape([
      B * data.T,
      320,
    ])
  ) as Tensor2D;
  encoder.dispose();
  const h = HYPER[dataset];
  return {
    dataset,
    x,
    z,
    config: { temperature: h.temperature, margin: h.margin },
    configName: h.paperConfig,
    dispose: () => tf.dispose([x, z]),
  };
}
