/**
 * Short-time Fourier transform magnitudes, matching
 * `torch.stft(x, n_fft, hop_length, win_length, window=torch.hann_window(win_length),
 * center=False, onesided=True, return_complex=True).abs()` transposed to frames × bins.
 *
 * The FFT itself comes from `fft.js` (radix-4, power-of-two sizes only). The
 * recipes of the paper use non-power-of-two sizes (50, 178, 1500), so those go
 * through Bluestein's chirp-z transform built on top of `fft.js`: it computes
 * an exact length-N DFT as one circular convolution of power-of-two length
 * M ≥ 2N − 1 (error of the order of float64 rounding, unlike zero-padding,
 * which would change the frequency grid). The chirp's FFT is computed once per
 * size and reused for every frame. Everything runs in float64; the magnitudes
 * are returned as float32.
 *
 * Two real frames are transformed at once as one complex signal `z = x₁ + i·x₂`
 * and separated with the conjugate symmetry of real DFTs:
 * `X₁[k] = (Z[k] + conj Z[N−k]) / 2`, `X₂[k] = (Z[k] − conj Z[N−k]) / 2i`.
 *
 * @module
 */
import FFT from "fft.js";
import { NonFiniteError, OptionError } from "../errors.ts";

/** Options of {@linkcode stftMagnitude}. */
export interface StftOptions {
  /** FFT length N (samples per frame); any integer ≥ 1. */
  nFft: number;
  /** Samples between the starts of consecutive frames (≥ 1). */
  hop: number;
  /** Hann window length (1 … nFft), centred in the frame as torch does; default `nFft`. */
  winLength?: number;
}

/** Magnitude spectrogram: `[nFrames, nBins]` row-major float32. */
export interface Spectrogram {
  /** `[nFrames, nBins]` row-major magnitudes. */
  data: Float32Array;
  /** `1 + ⌊(n − nFft) / hop⌋`, or 0 when the signal is shorter than one frame. */
  nFrames: number;
  /** `⌊nFft / 2⌋ + 1` one-sided frequency bins. */
  nBins: number;
}

/** A complex DFT of fixed length on interleaved `[re, im, re, im, …]` float64 arrays. */
type ComplexDft = (input: Float64Array, output: Float64Array) => void;

function isPowerOfTwo(n: number): boolean {
  return n >= 2 && (n & (n - 1)) === 0;
}

/** Length-N complex DFT `X[k] = Σₙ x[n]·e^{−2πi·nk/N}` for any N ≥ 1. */
function makeComplexDft(n: number): ComplexDft {
  if (n === 1) {
    return (input, output) => {
      output[0] = input[0];
      output[1] = input[1];
    };
  }
  if (isPowerOfTwo(n)) {
    const fft = new FFT(n);
    return (input, output) => fft.transform(output, input);
  }
  return makeBluestein(n);
}

/**
 * Bluestein's chirp-z DFT of length N via power-of-two FFTs of length M:
 * with `w[n] = e^{−iπ·n²/N}` and `nk = (n² + k² − (k−n)²)/2`,
 * `X[k] = w[k] · Σₙ (x[n]·w[n]) · conj(w[k−n])`, a circular convolution of
 * length M ≥ 2N − 1. `n² mod 2N` keeps the chirp's angles exact for large n.
 */
function makeBluestein(n: number): ComplexDft {
  let m = 2;
  while (m < 2 * n - 1) m *= 2;
  const fft = new FFT(m);
  const chirp = new Float64Array(2 * n); // w[k], interleaved
  for (let k = 0; k < n; k++) {
    const angle = (-Math.PI * ((k * k) % (2 * n))) / n;
    chirp[2 * k] = Math.cos(angle);
    chirp[2 * k + 1] = Math.sin(angle);
  }
  // b[j] = conj(w[j]) for j = 0 … N−1 and b[M−j] = conj(w[j]) (the negative lags).
  const b = new Float64Array(2 * m);
  for (let j = 0; j < n; j++) {
    b[2 * j] = chirp[2 * j];
    b[2 * j + 1] = -chirp[2 * j + 1];
    if (j > 0) {
      b[2 * (m - j)] = chirp[2 * j];
      b[2 * (m - j) + 1] = -chirp[2 * j + 1];
    }
  }
  const bSpectrum = new Float64Array(2 * m);
  fft.transform(bSpectrum, b);
  const a = new Float64Array(2 * m);
  const aSpectrum = new Float64Array(2 * m);
  const conv = new Float64Array(2 * m);
  return (input, output) => {
    multiplyComplex(a, input, chirp, n);
    a.fill(0, 2 * n);
    fft.transform(aSpectrum, a);
    multiplyComplex(aSpectrum, aSpectrum, bSpectrum, m);
    fft.inverseTransform(conv, aSpectrum);
    multiplyComplex(output, conv, chirp, n);
  };
}

/**
 * `out[j] = x[j] · y[j]` for the first `count` complex values of interleaved
 * `[re, im, …]` arrays; `out` may be `x` or `y`.
 */
function multiplyComplex(
  out: Float64Array,
  x: Float64Array,
  y: Float64Array,
  count: number,
): void {
  for (let j = 0; j < count; j++) {
    const xr = x[2 * j], xi = x[2 * j + 1];
    const yr = y[2 * j], yi = y[2 * j + 1];
    out[2 * j] = xr * yr - xi * yi;
    out[2 * j + 1] = xr * yi + xi * yr;
  }
}

/**
 * Periodic Hann window of length `winLength`, zero-padded to `nFft` with
 * `⌊(nFft − winLength)/2⌋` zeros on the left (torch's placement):
 * `w[n] = ½ − ½·cos(2πn / winLength)`.
 *
 * @returns `[nFft]` float64 window.
 */
export function hannWindow(winLength: number, nFft: number = winLength): Float64Array {
  const window = new Float64Array(nFft);
  const left = Math.floor((nFft - winLength) / 2);
  for (let j = 0; j < winLength; j++) {
    window[left + j] = 0.5 - 0.5 * Math.cos((2 * Math.PI * j) / winLength);
  }
  return window;
}

function checkInteger(name: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(
      `stftMagnitude: ${name} must be an integer in [${min}, ${max}], got ${value}`,
    );
  }
}

/**
 * Magnitude STFT of a real signal, frames × one-sided bins:
 * `S[t, k] = |Σ_{n<N} x[t·hop + n] · w[n] · e^{−2πi·kn/N}|`, `k = 0 … ⌊N/2⌋`,
 * `t = 0 … ⌊(len − N)/hop⌋` (no centring or padding), `w` the periodic Hann
 * window of {@linkcode hannWindow}.
 *
 * A signal shorter than `nFft` gives zero frames (torch raises instead).
 *
 * @param signal `[len]` samples; must be finite.
 * @returns `{ data: [nFrames, nBins] float32, nFrames, nBins }`.
 * @throws {OptionError} on a non-integer or out-of-range size.
 * @throws {NonFiniteError} when the signal holds NaN or ±Infinity.
 */
export function stftMagnitude(
  signal: Float32Array | Float64Array,
  options: StftOptions,
): Spectrogram {
  const { nFft, hop } = options;
  const winLength = options.winLength ?? nFft;
  checkInteger("nFft", nFft, 1);
  checkInteger("hop", hop, 1);
  checkInteger("winLength", winLength, 1, nFft);
  for (let j = 0; j < signal.length; j++) {
    if (!Number.isFinite(signal[j])) {
      throw new NonFiniteError(`stftMagnitude: signal[${j}] is ${signal[j]}`);
    }
  }
  const nBins = Math.floor(nFft / 2) + 1;
  const nFrames = signal.length < nFft ? 0 : 1 + Math.floor((signal.length - nFft) / hop);
  const data = new Float32Array(nFrames * nBins);
  if (nFrames === 0) return { data, nFrames, nBins };

  const window = hannWindow(winLength, nFft);
  const dft = makeComplexDft(nFft);
  const z = new Float64Array(2 * nFft);
  const spectrum = new Float64Array(2 * nFft);
  for (let t = 0; t < nFrames; t += 2) {
    const paired = t + 1 < nFrames;
    const start1 = t * hop, start2 = (t + 1) * hop;
    for (let j = 0; j < nFft; j++) {
      z[2 * j] = signal[start1 + j] * window[j];
      z[2 * j + 1] = paired ? signal[start2 + j] * window[j] : 0;
    }
    dft(z, spectrum);
    const row1 = t * nBins, row2 = (t + 1) * nBins;
    for (let k = 0; k < nBins; k++) {
      const mirror = k === 0 ? 0 : nFft - k;
      const a = spectrum[2 * k], b = spectrum[2 * k + 1];
      const c = spectrum[2 * mirror], d = spectrum[2 * mirror + 1];
      // √(re² + im²) directly: Math.hypot is several times slower in V8 and the
      // magnitudes here are far from float64 overflow.
      const re1 = a + c, im1 = b - d, re2 = b + d, im2 = a - c;
      data[row1 + k] = Math.sqrt(re1 * re1 + im1 * im1) / 2;
      if (paired) data[row2 + k] = Math.sqrt(re2 * re2 + im2 * im2) / 2;
    }
  }
  return { data, nFrames, nBins };
}
