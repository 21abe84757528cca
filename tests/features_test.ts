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
import { readWfdbRecord } from "../lib/data/wfdb/mod.ts";
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

/** The golden STFT cases of one signal: frame and bin counts, and the first three frames. */
function checkStftCases(
  golden: DataGolden,
  signalName: string,
  signal: Float64Array | Float32Array,
) {
  const cases = golden.stft.cases.filter((c) => c.signal === signalName);
  assert.equal(cases.length, 3);
  for (const c of cases) {
    const s = stftMagnitude(signal, { nFft: c.n_fft, hop: c.hop_length, winLength: c.win_length });
    assert.equal(s.nFrames, c.n_frames);
    assert.equal(s.nBins, c.n_bins);
    assertClose(s.data.subarray(0, 3 * s.nBins), flat(c.first_frames), {
      rtol: 1e-5,
      atol: 1e-12,
      label: `${signalName} nFft ${c.n_fft}`,
    });
  }
}

Deno.test("stftMagnitude matches torch.stft golden cases of MIT-BIH 100 (1e-5 relative)", () => {
  const golden = readGolden<DataGolden>("data.json");
  const signal = mitdb100Head();
  checkStftCases(golden, "mitdb_100_ch0_mV_first4000", signal);
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

// ---------------------------------------------------------------------------
// numpy.random.default_rng(seed).standard_normal(n), rebuilt for the golden
// STFT cases whose signal is generated that way (only its first 20 values are
// stored): SeedSequence → PCG64 (XSL-RR, 128-bit LCG) → 256-layer ziggurat.
// The ziggurat tables are recomputed with Marsaglia & Tsang's recurrence
// rather than copied from numpy, so values agree to ~1e-10 relative, far
// inside the 1e-5 STFT tolerance; the head test below checks the generator.

const M32 = 0xffffffffn;

/** `SeedSequence(entropy).generate_state(n, uint64)` for one 32-bit entropy word (pool size 4). */
function seedSequenceState(entropy: number, nWords64: number): bigint[] {
  const INIT_A = 0x43b0d7e5n, MULT_A = 0x931e8875n, INIT_B = 0x8b51f9ddn, MULT_B = 0x58f38dedn;
  const MIX_L = 0xca01f9ddn, MIX_R = 0x4973f715n;
  let hashConst = INIT_A;
  const hashmix = (value: bigint): bigint => {
    value ^= hashConst;
    hashConst = (hashConst * MULT_A) & M32;
    value = (value * hashConst) & M32;
    return value ^ (value >> 16n);
  };
  const mix = (x: bigint, y: bigint): bigint => {
    const r = (MIX_L * x - MIX_R * y) & M32;
    return r ^ (r >> 16n);
  };
  const pool = [BigInt(entropy), 0n, 0n, 0n].map((v) => hashmix(v));
  for (let s = 0; s < 4; s++) {
    for (let d = 0; d < 4; d++) if (s !== d) pool[d] = mix(pool[d], hashmix(pool[s]));
  }
  let hc = INIT_B;
  const words: bigint[] = [];
  for (let i = 0; i < 2 * nWords64; i++) {
    let v = pool[i % 4] ^ hc;
    hc = (hc * MULT_B) & M32;
    v = (v * hc) & M32;
    words.push(v ^ (v >> 16n));
  }
  return Array.from({ length: nWords64 }, (_, k) => words[2 * k] | (words[2 * k + 1] << 32n));
}
const M64 = (1n << 64n) - 1n, M128 = (1n << 128n) - 1n;
const MULT = 0x2360ed051fc65da44385df649fccf645n;
/** numpy's `PCG64(SeedSequence(seed))`: returns `next_uint64` (step, then XSL-RR output). */
function pcg64(seed: number): () => bigint {
  const [s0, s1, i0, i1] = seedSequenceState(seed, 4);
  const initState = (s0 << 64n) | s1, initSeq = (i0 << 64n) | i1;
  const inc = ((initSeq << 1n) | 1n) & M128;
  let state = 0n;
  const step = () => {
    state = (state * MULT + inc) & M128;
  };
  step();
  state = (state + initState) & M128;
  step();
  return () => {
    step();
    const x = ((state >> 64n) ^ state) & M64;
    const rot = state >> 122n;
    return ((x >> rot) | (x << ((64n - rot) & 63n))) & M64;
  };
}
/** 256-layer ziggurat tables `ki` (2⁵² scale), `wi`, `fi` (Marsaglia & Tsang 2000). */
function zigguratTables() {
  let dn = 3.6541528853610088, tn = dn;
  const vn = 0.00492867323399, m1 = 2 ** 52;
  const q = vn / Math.exp(-0.5 * dn * dn);
  const ki = new Array<number>(256), wi = new Float64Array(256), fi = new Float64Array(256);
  ki[0] = Math.floor((dn / q) * m1);
  ki[1] = 0;
  wi[0] = q / m1;
  wi[255] = dn / m1;
  fi[0] = 1;
  fi[255] = Math.exp(-0.5 * dn * dn);
  for (let i = 254; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    ki[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    fi[i] = Math.exp(-0.5 * dn * dn);
    wi[i] = dn / m1;
  }
  return { ki, wi, fi };
}
/** `numpy.random.default_rng(seed).standard_normal(n)` (numpy's `random_standard_normal`). */
function numpyStandardNormal(seed: number, n: number): Float64Array {
  const next = pcg64(seed);
  const { ki, wi, fi } = zigguratTables();
  const R = 3.6541528853610088, INV_R = 0.27366123732975827;
  const nextDouble = () => Number(next() >> 11n) / 9007199254740992;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (;;) {
      let r = next();
      const idx = Number(r & 0xffn);
      r >>= 8n;
      const sign = r & 1n;
      const rabs = Number((r >> 1n) & 0x000fffffffffffffn);
      let x = rabs * wi[idx];
      if (sign) x = -x;
      if (rabs < ki[idx]) {
        out[k] = x;
        break;
      }
      if (idx === 0) {
        let xx, yy;
        do {
          xx = -INV_R * Math.log1p(-nextDouble());
          yy = -Math.log1p(-nextDouble());
        } while (!(yy + yy > xx * xx));
        out[k] = (rabs / 256) % 2 >= 1 ? -(R + xx) : R + xx; // (rabs >> 8) & 1
        break;
      }
      if ((fi[idx - 1] - fi[idx]) * nextDouble() + fi[idx] < Math.exp(-0.5 * x * x)) {
        out[k] = x;
        break;
      }
    }
  }
  return out;
}

Deno.test("numpy default_rng(12345).standard_normal rebuild matches the golden signal head", () => {
  const golden = readGolden<DataGolden>("data.json");
  assertClose(numpyStandardNormal(12345, 20), golden.stft.random_signal_head, {
    rtol: 1e-9,
    atol: 1e-12,
    label: "random head",
  });
});

Deno.test("stftMagnitude matches torch.stft golden cases of the random signal (1e-5 relative)", () => {
  const golden = readGolden<DataGolden>("data.json");
  const signal = numpyStandardNormal(12345, 4000);
  checkStftCases(golden, "random_seed12345_normal_4000", signal);
});
