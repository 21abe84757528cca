import assert from "node:assert/strict";
import { join } from "node:path";
import { hannWindow, stftMagnitude } from "../lib/features/stft.ts";
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
