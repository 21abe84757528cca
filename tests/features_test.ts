import assert from "node:assert/strict";
import { join } from "node:path";
import { hannWindow, stftMagnitude } from "../lib/features/stft.ts";
import { frameCount, frameLabels, stackChannels, windowSequences } from "../lib/features/frames.ts";
import {
  applyZScore,
  splitZScoreStats,
  ZERO_STD_REPLACEMENT,
  zScoreStats,
} from "../lib/features/normalise.ts";
import { OptionError, ShapeError } from "../lib/errors.ts";
import { readWfdbRecord } from "../lib/data/wfdb.ts";
import { sharedDatasetsDir } from "../lib/paths.ts";
import { assertClose, flat, readGolden } from "./_util.ts";

interface StftCase {
  signal: string;
  n_fft: number;
  hop_length: number;
  win_length: number;
  n_frames: number;
  n_bins: number;
  first_frames: number[][];
}
interface DataGolden {
  stft: { cases: StftCase[]; random_signal_head: number[] };
}

/** First 4000 samples of MIT-BIH record 100, channel 0, in mV computed in float64. */
function mitdb100Head(): Float64Array {
  const record = readWfdbRecord(join(sharedDatasetsDir(), "mitdb"), "100");
  const s = record.signals[0];
  const out = new Float64Array(4000);
  for (let i = 0; i < out.length; i++) out[i] = (s.adc[i] - s.baseline) / s.gain;
  return out;
}

/** Direct O(N²) one-sided DFT magnitude of one windowed frame (float64). */
function naiveFrame(x: Float64Array, start: number, nFft: number, winLength: number): number[] {
  const w = hannWindow(winLength, nFft);
  const out: number[] = [];
  for (let k = 0; k <= nFft / 2; k++) {
    let re = 0, im = 0;
    for (let n = 0; n < nFft; n++) {
      const angle = (-2 * Math.PI * ((k * n) % nFft)) / nFft;
      re += x[start + n] * w[n] * Math.cos(angle);
      im += x[start + n] * w[n] * Math.sin(angle);
    }
    out.push(Math.hypot(re, im));
  }
  return out;
}

Deno.test("stftMagnitude matches torch.stft golden cases of MIT-BIH 100 (1e-5 relative)", () => {
  const golden = readGolden<DataGolden>("data.json");
  const signal = mitdb100Head();
  const cases = golden.stft.cases.filter((c) => c.signal === "mitdb_100_ch0_mV_first4000");
  assert.equal(cases.length, 3);
  for (const c of cases) {
    const s = stftMagnitude(signal, { nFft: c.n_fft, hop: c.hop_length, winLength: c.win_length });
    assert.equal(s.nFrames, c.n_frames);
    assert.equal(s.nBins, c.n_bins);
    assertClose(s.data.subarray(0, 3 * s.nBins), flat(c.first_frames), {
      rtol: 1e-5,
      atol: 1e-12,
      label: `nFft ${c.n_fft}`,
    });
  }
});

Deno.test("stftMagnitude equals a direct DFT for power-of-two, odd and Bluestein sizes", () => {
  const x = new Float64Array(700);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i) + 0.5 * Math.cos(0.011 * i * i);
  for (
    const [nFft, hop, winLength] of [[64, 16, 64], [50, 25, 50], [33, 10, 20], [1, 1, 1], [
      178,
      178,
      178,
    ]]
  ) {
    const s = stftMagnitude(x, { nFft, hop, winLength });
    assert.equal(s.nFrames, 1 + Math.floor((x.length - nFft) / hop));
    for (const t of [0, 1, s.nFrames - 1]) {
      assertClose(
        s.data.subarray(t * s.nBins, (t + 1) * s.nBins),
        naiveFrame(x, t * hop, nFft, winLength),
        {
          rtol: 1e-5,
          atol: 1e-9,
          label: `nFft ${nFft} frame ${t}`,
        },
      );
    }
  }
});

Deno.test("stftMagnitude: short signal has no frames; bad options and NaN throw", () => {
  assert.equal(stftMagnitude(new Float64Array(10), { nFft: 50, hop: 25 }).nFrames, 0);
  assert.throws(() => stftMagnitude(new Float64Array(100), { nFft: 0, hop: 1 }), /nFft/);
  assert.throws(() => stftMagnitude(new Float64Array(100), { nFft: 8, hop: 1.5 }), /hop/);
  assert.throws(
    () => stftMagnitude(new Float64Array(100), { nFft: 8, hop: 1, winLength: 9 }),
    /winLength/,
  );
  assert.throws(
    () => stftMagnitude(Float64Array.of(1, NaN, 2), { nFft: 2, hop: 1 }),
    /signal\[1\]/,
  );
});

Deno.test("frameLabels: argmax of bincount per frame, ties to the smallest label, excluded as −1", () => {
  const labels = Int32Array.from([0, 0, 1, 1, 2, 2, 2, -1, -1, -1, -1, 3]);
  // frames of 4 samples, hop 2: [0,0,1,1] [1,1,2,2] [2,2,2,-1] [2,-1,-1,-1] [-1,-1,-1,3]
  assert.deepEqual([...frameLabels(labels, { frameLength: 4, hop: 2 })], [0, 1, 2, -1, -1]);
  // tie between excluded and a label goes to −1 (the smallest class)
  assert.deepEqual([...frameLabels(Int8Array.from([5, 5, -1, -1]), { frameLength: 4, hop: 4 })], [
    -1,
  ]);
  assert.deepEqual([...frameLabels(Int8Array.from([5, 5, 5, -1]), { frameLength: 4, hop: 4 })], [
    5,
  ]);
  // frame count equals the STFT's and the incomplete tail is dropped
  assert.equal(frameLabels(new Int32Array(4000), { frameLength: 50, hop: 25 }).length, 159);
  assert.equal(frameCount(4000, { frameLength: 178, hop: 178 }), 22);
  assert.equal(frameLabels(new Int32Array(3), { frameLength: 4, hop: 1 }).length, 0);
  assert.throws(() => frameLabels(new Int32Array(8), { frameLength: 0, hop: 1 }), OptionError);
});

Deno.test("windowSequences: HARTH rule, full windows only, never past the recording", () => {
  // n = 200, T = 119, shift 24: max(1, ⌈82/24⌉) = 4 windows at 0, 24, 48, 72
  assert.deepEqual([...windowSequences(200, { T: 119, shift: 24 })], [0, 24, 48, 72]);
  assert.deepEqual([...windowSequences(119, { T: 119, shift: 24 })], [0]);
  assert.deepEqual([...windowSequences(118, { T: 119, shift: 24 })], []);
  assert.deepEqual([...windowSequences(600, { T: 200, shift: 200 })], [0, 200, 400]);
  assert.deepEqual([...windowSequences(599, { T: 200, shift: 200 })], [0, 200]);
  for (let n = 119; n < 700; n += 7) {
    const starts = windowSequences(n, { T: 119, shift: 24 });
    assert.equal(starts.length, Math.max(1, Math.ceil((n - 118) / 24)));
    assert.ok(starts[starts.length - 1] + 119 <= n);
    assert.ok(starts[starts.length - 1] + 24 + 119 > n, "no further full window fits");
  }
});

Deno.test("stackChannels: feature index = channel·nBins + bin", () => {
  const a = { data: Float32Array.from([1, 2, 3, 4]), nFrames: 2, nBins: 2 };
  const b = { data: Float32Array.from([5, 6, 7, 8]), nFrames: 2, nBins: 2 };
  const s = stackChannels([a, b]);
  assert.equal(s.nFeatures, 4);
  assert.deepEqual([...s.data], [1, 2, 5, 6, 3, 4, 7, 8]);
  assert.throws(
    () => stackChannels([a, { ...b, nFrames: 1, data: b.data.subarray(0, 2) }]),
    ShapeError,
  );
});

Deno.test("z-score: training statistics only; the reference's 'all' option differs", () => {
  // F = 2; feature 1 is constant in training → std 1e-10
  const train = [Float32Array.from([1, 5, 3, 5]), Float32Array.from([5, 5])];
  const evaluation = [Float32Array.from([100, 7])];
  const stats = splitZScoreStats(train, evaluation, 2, { statsFrom: "train" });
  assertClose(stats.mean, [3, 5], { label: "train mean" });
  assertClose(stats.std, [Math.sqrt(8 / 3), ZERO_STD_REPLACEMENT], {
    rtol: 1e-12,
    atol: 0,
    label: "train std",
  });
  const all = splitZScoreStats(train, evaluation, 2, { statsFrom: "all" });
  assertClose(all.mean, [27.25, 5.5], { label: "all mean" });
  assert.notDeepEqual([...all.mean], [...stats.mean]);
  const x = applyZScore(Float32Array.from([3, 5, 100, 7]), stats);
  assert.equal(x[0], 0);
  assert.equal(x[1], 0);
  assertClose(x[2], 97 / Math.sqrt(8 / 3), { label: "eval value" });
  assert.throws(() => zScoreStats([], 2), ShapeError);
  assert.throws(() => zScoreStats([new Float32Array(3)], 2), ShapeError);
  assert.throws(
    () => splitZScoreStats(train, evaluation, 2, { statsFrom: "eval" as "train" }),
    OptionError,
  );
});
