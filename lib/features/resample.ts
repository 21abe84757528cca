/**
 * Rational-rate resampling with a windowed-sinc polyphase filter, matching
 * `scipy.signal.resample_poly(x, up, down)` with its defaults
 * (`window=('kaiser', 5.0)`, `padtype='constant'`, `cval=0`).
 *
 * Written by hand: no maintained npm package implements `resample_poly`,
 * `firwin` or the Kaiser window (and its Bessel function I₀) with scipy's
 * exact filter design and output alignment.
 *
 * @module
 */
import { OptionError } from "../errors.ts";

/** Greatest common divisor of two non-negative integers. */
export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Modified Bessel function of the first kind, order zero:
 * `I₀(x) = Σ_{k≥0} ((x/2)^{2k}) / (k!)²`.
 *
 * Summed as a power series until the terms stop changing the sum; all terms
 * are positive, so the series is accurate to a few ulps for the window
 * arguments used here (|x| ≤ β, β of order 1–20).
 */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Symmetric Kaiser window of `m` points (scipy `windows.kaiser(m, beta, sym=True)`):
 * `w[n] = I₀(β·√(1 − ((n − α)/α)²)) / I₀(β)`, `α = (m − 1)/2`.
 *
 * @returns `[m]` window.
 */
export function kaiserWindow(m: number, beta: number): Float64Array {
  if (!Number.isInteger(m) || m < 1) {
    throw new OptionError(`kaiserWindow: m must be a positive integer, got ${m}`);
  }
  const w = new Float64Array(m);
  if (m === 1) {
    w[0] = 1;
    return w;
  }
  const alpha = (m - 1) / 2;
  const norm = besselI0(beta);
  for (let n = 0; n < m; n++) {
    const r = (n - alpha) / alpha;
    w[n] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
  }
  return w;
}

/** Normalised sinc, `sin(πx)/(πx)` with `sinc(0) = 1` (numpy `sinc`). */
function sinc(x: number): number {
  if (x === 0) return 1;
  const y = Math.PI * x;
  return Math.sin(y) / y;
}

/**
 * Low-pass FIR filter by the window method, as scipy `firwin(numtaps, cutoff,
 * window=('kaiser', beta))` with `pass_zero=True, scale=True`:
 * `h[n] = c·sinc(c·(n − α)) · w[n]`, `α = (numtaps − 1)/2`, then scaled so
 * that `Σ h = 1` (unit gain at DC).
 *
 * @param numtaps Filter length (odd for a type-I filter).
 * @param cutoff Cut-off relative to the Nyquist frequency, in (0, 1).
 * @param beta Kaiser window shape parameter.
 * @returns `[numtaps]` coefficients.
 */
export function firwinKaiser(numtaps: number, cutoff: number, beta: number): Float64Array {
  if (!(cutoff > 0 && cutoff < 1)) {
    throw new OptionError(`firwinKaiser: cutoff must lie in (0, 1), got ${cutoff}`);
  }
  const h = kaiserWindow(numtaps, beta);
  const alpha = (numtaps - 1) / 2;
  let sum = 0;
  for (let n = 0; n < numtaps; n++) {
    h[n] *= cutoff * sinc(cutoff * (n - alpha));
    sum += h[n];
  }
  for (let n = 0; n < numtaps; n++) h[n] /= sum;
  return h;
}

/** Options of {@linkcode resamplePoly}. */
export interface ResamplePolyOptions {
  /** Kaiser β of the anti-aliasing filter (scipy default 5.0). */
  beta?: number;
}

/**
 * Resamples `x` by the rational factor `up/down`, exactly as
 * `scipy.signal.resample_poly(x, up, down)` with its defaults.
 *
 * The ratio is reduced by its gcd; `up = down = 1` returns a copy. With
 * `r = max(up, down)` and `half = 10·r`, the filter is
 * `h = up · firwin(2·half + 1, 1/r, window=('kaiser', β))` and, with `x`
 * zero outside `[0, n)`,
 *
 * `y[i] = Σ_q x[q] · h[i·down + half − up·q]`, `i = 0 … ⌈n·up/down⌉ − 1`,
 *
 * i.e. the upsampled, filtered signal taken at the centre of the filter, which
 * is what scipy's `upfirdn` call with its pre-padded filter and trimmed ends
 * returns. Computed per output phase over the `≈ 2·half/up` taps that meet
 * non-zero input samples, so the cost is `O(n_out · taps / up)` and the
 * upsampled signal is never built.
 *
 * @param x `[n]` input signal.
 * @param up Upsampling factor (positive integer).
 * @param down Downsampling factor (positive integer).
 * @returns `[⌈n·up/down⌉]` resampled signal (float64).
 */
export function resamplePoly(
  x: ArrayLike<number>,
  up: number,
  down: number,
  { beta = 5.0 }: ResamplePolyOptions = {},
): Float64Array {
  if (!Number.isInteger(up) || !Number.isInteger(down) || up < 1 || down < 1) {
    throw new OptionError(
      `resamplePoly: up and down must be positive integers, got up=${up}, down=${down}`,
    );
  }
  const g = gcd(up, down);
  up /= g;
  down /= g;
  const n = x.length;
  if (up === 1 && down === 1) return Float64Array.from(x);
  const nOut = Math.ceil((n * up) / down);
  const maxRate = Math.max(up, down);
  const half = 10 * maxRate;
  const taps = 2 * half + 1;
  const h = firwinKaiser(taps, 1 / maxRate, beta);

  // Polyphase layout: phase p holds h[p], h[p + up], h[p + 2·up], … contiguously,
  // so that each output reads one short, cache-friendly row.
  const perPhase = Math.ceil(taps / up);
  const bank = new Float64Array(up * perPhase);
  for (let p = 0; p < up; p++) {
    for (let k = 0, j = p; j < taps; k++, j += up) bank[p * perPhase + k] = h[j] * up;
  }

  const y = new Float64Array(nOut);
  for (let i = 0; i < nOut; i++) {
    // Position of the filter centre on the upsampled grid.
    const t = i * down + half;
    const qLast = Math.floor(t / up); // newest input sample under the filter
    const phase = t - qLast * up; // h index that meets x[qLast]
    const row = phase * perPhase;
    // Taps k meet x[qLast − k]; valid while phase + k·up < taps and 0 ≤ qLast − k < n.
    const kTaps = Math.floor((taps - 1 - phase) / up) + 1;
    const kStart = Math.max(0, qLast - (n - 1));
    const kEnd = Math.min(kTaps, qLast + 1);
    let acc = 0;
    for (let k = kStart; k < kEnd; k++) acc += bank[row + k] * x[qLast - k];
    y[i] = acc;
  }
  return y;
}
