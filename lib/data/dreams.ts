/**
 * The DREAMS Sleep Spindles database (8 × 30-min scored EEG excerpts): file
 * readers, the 100-Hz frame recipe and the cross-validated "dreams" dataset.
 *
 * Files (read in place, never copied): `excerptN.txt` is a `[CHANNEL]` line
 * followed by one EEG value (µV) per line, 1800 s long, so the sampling rate is
 * `n / 1800`, one of the documented 50, 100 and 200 Hz; `Hypnogram_excerptN.txt`
 * is a `[Hypnogram]` line followed by 360 stage codes, one per 5 s (5 W, 4 REM,
 * 3 S1, 2 S2, 1 S3, 0 S4, negative = movement/unknown).
 *
 * Source: Devuyst S, Dutoit T, Stenuit P, Kerkhofs M. Automatic sleep spindles
 * detection — overview and development of a standard proposal assessment
 * method. Proc. 33rd IEEE EMBS, 1713–1716 (2011). Licence CC BY-NC-ND 3.0:
 * derived arrays are cached under `cacheDir()` (outside git) only.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DataFormatError, MissingDataError, OptionError } from "../errors.ts";
import { readRegularFile, writeFileAtomic } from "../io.ts";
import { dataDir as defaultDataDir } from "../paths.ts";
import { datasetCacheDir, datasetFingerprint, fileStamps } from "./cache.ts";
import { makeRng, sampleWithoutReplacement } from "../random.ts";
import {
  applyZScore,
  gcd,
  resamplePoly,
  splitZScoreStats,
  stftMagnitude,
} from "../features/mod.ts";
import type { Dataset, Profile, SequenceSplit } from "./types.ts";

/** Length of one hypnogram code (s). */
export const DREAMS_CODE_SECONDS = 5;
/** Number of 5-s hypnogram codes per excerpt. */
export const DREAMS_HYPNOGRAM_LENGTH = 360;
/** Duration of every excerpt in seconds: the hypnogram's 360 × 5 s. */
export const DREAMS_DURATION_S = DREAMS_HYPNOGRAM_LENGTH * DREAMS_CODE_SECONDS;
/** Number of excerpts in the database. */
export const DREAMS_EXCERPTS = 8;
/**
 * Smallest and largest valid hypnogram codes. Codes −3 … −1 (movement and
 * unknown stages) are accepted and map to "excluded"; the eight stored
 * hypnograms happen to use only 0 … 5.
 */
export const DREAMS_CODE_RANGE: readonly [number, number] = [-3, 5];
/**
 * The documented sampling rates of the excerpts (Hz): 100 (excerpt 1), 200
 * (2, 4–8) and 50 (3). A file's rate is not inferred freely: its values must
 * cover the hypnogram's 1800 s at one of these.
 */
export const DREAMS_RATES: readonly number[] = [50, 100, 200];
/**
 * Largest relative excess of the value count over `rate · 1800` that still
 * counts as a 30-min excerpt (0.1 %: excerpt 6 has 360 140 values at 200 Hz,
 * 0.039 % over). Fewer values than `rate · 1800` never do: the signal would
 * not cover the hypnogram.
 */
export const DREAMS_RATE_TOLERANCE = 1e-3;
/** Largest DREAMS file read by default (bytes); the excerpts are ≈ 4 MB. */
export const DREAMS_MAX_FILE_BYTES: number = 64 << 20;
/** Class names of the mapped stages; stage `c` is `DREAMS_CLASS_NAMES[c]`. */
export const DREAMS_CLASS_NAMES: readonly string[] = ["W", "N1", "N2", "N3", "REM"];

/** The 100-Hz frame recipe (reproduces golden `dreams_features.json`). */
export const DREAMS_RECIPE = {
  version: 1,
  fs: 100,
  samples: 180_000,
  resample: "scipy.signal.resample_poly(x, up, down), up/down = reduced 180000/n, kaiser 5.0",
  nFft: 178,
  hop: 178,
  winLength: 178,
  window: "hann (periodic)",
  center: false,
  samplesPerCode: 500,
  frameLabel: "argmax(bincount) over the frame's samples, excluded counted as class 5; " +
    "ties to the smaller class; majority 5 -> -1",
  T: 200,
} as const;

/** Frames per excerpt under {@linkcode DREAMS_RECIPE}: `⌊(180000 − 178)/178⌋ + 1`. */
export const DREAMS_FRAMES = Math.floor(
  (DREAMS_RECIPE.samples - DREAMS_RECIPE.nFft) / DREAMS_RECIPE.hop,
) + 1;
/** Frequency bins per frame: `nFft/2 + 1`. */
export const DREAMS_BINS = Math.floor(DREAMS_RECIPE.nFft / 2) + 1;

/** One excerpt as stored: channel name, native rate and the EEG values (µV). */
export interface DreamsExcerpt {
  /** Channel named by the header line, e.g. "C3-A1". */
  channel: string;
  /** Sampling rate `n / 1800` (Hz), e.g. 200.0777… for excerpt 6. */
  fs: number;
  /** `[n]` EEG values in µV. */
  data: Float64Array;
}

// ---------------------------------------------------------------------------
// Readers
// ---------------------------------------------------------------------------

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/**
 * Splits text into lines (LF or CRLF). A single final newline ends the last
 * line and does not start an empty one.
 */
function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** The text inside a `[NAME]` header line, or a DataFormatError at line 1. */
function headerName(lines: string[], file: string, expected: string): string {
  if (lines.length === 0 || (lines.length === 1 && lines[0].trim() === "")) {
    throw new DataFormatError(file, "line 1", expected, "an empty file");
  }
  const m = /^\[([^\[\]]*[^\[\]\s][^\[\]]*)\]$/.exec(lines[0].trim());
  if (!m) throw new DataFormatError(file, "line 1", expected, shown(lines[0]));
  return m[1].trim();
}

/**
 * The documented rate whose 1800 s the `n` values cover (see
 * {@linkcode DREAMS_RATES}, {@linkcode DREAMS_RATE_TOLERANCE}), checked before
 * any value is parsed; a file whose last line has no newline was cut.
 */
function excerptRate(n: number, complete: boolean, file: string): number {
  const at = `line ${n + 1} (end of data)`;
  const rate = DREAMS_RATES.find((r) =>
    n >= r * DREAMS_DURATION_S && n <= r * DREAMS_DURATION_S * (1 + DREAMS_RATE_TOLERANCE)
  );
  if (rate === undefined) {
    throw new DataFormatError(
      file,
      at,
      `values covering the hypnogram's ${DREAMS_DURATION_S} s at a documented rate ` +
        `(${DREAMS_RATES.join(", ")} Hz: rate·${DREAMS_DURATION_S} values, at most ` +
        `${DREAMS_RATE_TOLERANCE * 100}% more)`,
      `${n} values = ${(n / DREAMS_DURATION_S).toFixed(4)} Hz`,
    );
  }
  if (!complete) {
    throw new DataFormatError(
      file,
      at,
      "a newline after the last value (without one the file was cut)",
      "end of file inside the last line",
    );
  }
  return rate;
}

/**
 * Parses the text of an `excerptN.txt` file.
 *
 * @param text File contents.
 * @param file Path or label used in error messages.
 * @returns The channel, `fs = n/1800` and the `[n]` values.
 * @throws {DataFormatError} naming the line when the header is missing, the
 * value count does not cover 1800 s at a documented rate (checked before the
 * values are parsed), the last line has no newline, or a value is not a
 * finite decimal number.
 */
export function parseDreamsExcerpt(text: string, file: string): DreamsExcerpt {
  // Header and line count first, so a cut or oversized file is refused before
  // its lines are split and its values allocated.
  const firstBreak = text.indexOf("\n");
  const first = firstBreak < 0 ? text : text.slice(0, firstBreak).replace(/\r$/, "");
  const channel = headerName(
    firstBreak < 0 || firstBreak === text.length - 1 ? [first] : [first, ""],
    file,
    "a '[CHANNEL]' header line such as [C3-A1]",
  );
  let breaks = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) breaks++;
  const complete = text.endsWith("\n");
  const n = breaks - (complete ? 1 : 0); // lines after the header
  excerptRate(n, complete, file);
  const lines = splitLines(text);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = lines[i + 1].trim();
    if (!DECIMAL.test(s)) {
      throw new DataFormatError(file, `line ${i + 2}`, "one decimal EEG value (µV)", shown(s));
    }
    const v = Number(s);
    if (!Number.isFinite(v)) {
      throw new DataFormatError(file, `line ${i + 2}`, "a finite EEG value (µV)", shown(s));
    }
    data[i] = v;
  }
  return { channel, fs: n / DREAMS_DURATION_S, data };
}

/**
 * Parses the text of a `Hypnogram_excerptN.txt` file.
 *
 * @returns `[360]` stage codes, one per 5 s (5 W, 4 REM, 3 S1, 2 S2, 1 S3, 0 S4,
 * negative = excluded).
 * @throws {DataFormatError} naming the line when the `[Hypnogram]` header is
 * missing, a code is not an integer in {@linkcode DREAMS_CODE_RANGE}, or there
 * are not exactly 360 codes.
 */
export function parseDreamsHypnogram(text: string, file: string): Int8Array {
  const lines = splitLines(text);
  const name = headerName(lines, file, "the header line [Hypnogram]");
  if (name.toLowerCase() !== "hypnogram") {
    throw new DataFormatError(file, "line 1", "the header line [Hypnogram]", shown(lines[0]));
  }
  const n = lines.length - 1;
  if (n > DREAMS_HYPNOGRAM_LENGTH) {
    throw new DataFormatError(
      file,
      `line ${DREAMS_HYPNOGRAM_LENGTH + 2}`,
      `exactly ${DREAMS_HYPNOGRAM_LENGTH} stage codes (end of file)`,
      `${n} codes`,
    );
  }
  const [lo, hi] = DREAMS_CODE_RANGE;
  const codes = new Int8Array(DREAMS_HYPNOGRAM_LENGTH);
  for (let i = 0; i < n; i++) {
    const s = lines[i + 1].trim();
    const v = INTEGER.test(s) ? Number(s) : NaN;
    if (!(v >= lo && v <= hi)) {
      throw new DataFormatError(
        file,
        `line ${i + 2}`,
        `an integer stage code in ${lo}…${hi}`,
        shown(s),
      );
    }
    codes[i] = v;
  }
  if (n < DREAMS_HYPNOGRAM_LENGTH) {
    throw new DataFormatError(
      file,
      `line ${n + 2}`,
      `exactly ${DREAMS_HYPNOGRAM_LENGTH} stage codes`,
      `end of file after ${n} codes`,
    );
  }
  return codes;
}

/** Options of the DREAMS file readers. */
export interface DreamsReadOptions {
  /** Largest file accepted (bytes; default {@linkcode DREAMS_MAX_FILE_BYTES}). */
  maxBytes?: number;
}

async function readText(path: string, { maxBytes }: DreamsReadOptions): Promise<string> {
  try {
    const bytes = await readRegularFile(path, {
      maxBytes: maxBytes ?? DREAMS_MAX_FILE_BYTES,
      limitOption: "the maxBytes option",
    });
    return new TextDecoder().decode(bytes);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MissingDataError(`DREAMS file not found: ${path}`);
    }
    throw err;
  }
}

/**
 * Reads an `excerptN.txt` file (see {@linkcode parseDreamsExcerpt}).
 *
 * @throws {MissingDataError} if the file does not exist.
 * @throws {NotRegularFileError} for a directory, FIFO or device (nothing is read).
 * @throws {SizeLimitError} for a file over `maxBytes`.
 * @throws {DataFormatError} naming the file and line on malformed content.
 * @example
 * ```ts
 * const { fs, data } = await readDreamsExcerpt("data/dreams/excerpt3.txt"); // 50 Hz, [90000]
 * ```
 */
export async function readDreamsExcerpt(
  path: string,
  options: DreamsReadOptions = {},
): Promise<DreamsExcerpt> {
  return parseDreamsExcerpt(await readText(path, options), path);
}

/**
 * Reads a `Hypnogram_excerptN.txt` file (see {@linkcode parseDreamsHypnogram});
 * refuses what {@linkcode readDreamsExcerpt} refuses.
 *
 * @returns `[360]` 5-s stage codes.
 */
export async function readDreamsHypnogram(
  path: string,
  options: DreamsReadOptions = {},
): Promise<Int8Array> {
  return parseDreamsHypnogram(await readText(path, options), path);
}

/**
 * Maps R&K hypnogram codes to the five study classes:
 * 5 → W 0, 3 → N1 1, 2 → N2 2, 1 and 0 (S3 + S4) → N3 3, 4 → REM 4,
 * negative → −1 (excluded).
 *
 * @param codes `[n]` codes in {@linkcode DREAMS_CODE_RANGE}.
 * @returns `[n]` stages.
 */
export function dreamsStages(codes: ArrayLike<number>): Int8Array {
  const map = [3, 3, 2, 1, 4, 0]; // index = code 0…5
  const out = new Int8Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (!Number.isInteger(c) || c > 5 || c < DREAMS_CODE_RANGE[0]) {
      throw new DataFormatError(
        "hypnogram codes",
        `index ${i}`,
        `an integer stage code in ${DREAMS_CODE_RANGE[0]}…5`,
        String(c),
      );
    }
    out[i] = c < 0 ? -1 : map[c];
  }
  return out;
}

/**
 * 30-s epoch codes: the most frequent of each epoch's six 5-s codes, ties to
 * the tied code that occurs first (a trailing partial epoch is dropped).
 *
 * @param codes `[360]` 5-s codes.
 * @returns `[60]` codes (map them with {@linkcode dreamsStages}).
 */
export function dreamsEpochCodes(codes: ArrayLike<number>, blocksPerEpoch = 6): Int8Array {
  const nEpochs = Math.floor(codes.length / blocksPerEpoch);
  const out = new Int8Array(nEpochs);
  for (let e = 0; e < nEpochs; e++) {
    let best = codes[e * blocksPerEpoch], bestCount = 0;
    for (let i = 0; i < blocksPerEpoch; i++) {
      const c = codes[e * blocksPerEpoch + i];
      let count = 0;
      for (let j = 0; j < blocksPerEpoch; j++) if (codes[e * blocksPerEpoch + j] === c) count++;
      if (count > bestCount) (best = c), (bestCount = count);
    }
    out[e] = best;
  }
  return out;
}

// ---------------------------------------------------------------------------
// The 100-Hz frame recipe
// ---------------------------------------------------------------------------

/** One excerpt on the 100-Hz grid with its STFT frames and frame labels. */
export interface DreamsFrames {
  /** Always 100 (Hz). */
  fs: number;
  /** `[180000]` resampled signal (µV). */
  signal: Float32Array;
  /** `[nFrames, nBins]` row-major STFT magnitudes. */
  features: Float32Array;
  /** 1011. */
  nFrames: number;
  /** 90. */
  nBins: number;
  /** `[nFrames]` stage per frame (W 0 … REM 4), −1 when the majority is excluded. */
  frameLabels: Int8Array;
  /** Channel name from the header line. */
  channel: string;
  /** Native sampling rate `n/1800` (Hz). */
  nativeFs: number;
  /** Reduced resampling ratio `up/down = 180000/n`. */
  up: number;
  down: number;
}

/**
 * Frame labels of the recipe: sample `s` (100 Hz) carries the stage of code
 * `⌊s/500⌋`; frame `f` covers samples `[178f, 178f + 178)` and takes
 * `argmax(bincount)` over classes 0…4 plus 5 = excluded, ties to the smaller
 * class; a majority of 5 gives −1. This is the golden recipe's rule: unlike
 * the generic `frameLabels` of `features/frames.ts`, a tie between excluded
 * samples and a stage goes to the stage.
 *
 * @param stages `[360]` mapped stages (−1 = excluded).
 * @returns `[1011]` frame labels.
 */
export function dreamsFrameLabels(stages: Int8Array): Int8Array {
  const { nFft, hop, samplesPerCode } = DREAMS_RECIPE;
  const out = new Int8Array(DREAMS_FRAMES);
  const count = new Int32Array(6);
  for (let f = 0; f < DREAMS_FRAMES; f++) {
    count.fill(0);
    const start = f * hop;
    const end = start + nFft;
    // A frame (178 samples) spans at most two 500-sample codes.
    for (let s = start; s < end;) {
      const code = Math.floor(s / samplesPerCode);
      const stop = Math.min(end, (code + 1) * samplesPerCode);
      const stage = stages[code];
      count[stage < 0 ? 5 : stage] += stop - s;
      s = stop;
    }
    let best = 0;
    for (let c = 1; c < 6; c++) if (count[c] > count[best]) best = c;
    out[f] = best === 5 ? -1 : best;
  }
  return out;
}

/**
 * Applies the recipe to an excerpt already in memory: resample to exactly
 * 180 000 samples at 100 Hz (`resample_poly` with the reduced ratio
 * `180000/n`), STFT magnitude with `nFft = win = hop = 178` (periodic Hann, no
 * centring) → `[1011, 90]`, and {@linkcode dreamsFrameLabels}.
 *
 * @param excerpt The parsed excerpt (`[n]` values).
 * @param codes `[360]` hypnogram codes.
 */
export function dreamsFramesOf(excerpt: DreamsExcerpt, codes: Int8Array): DreamsFrames {
  const n = excerpt.data.length;
  const g = gcd(DREAMS_RECIPE.samples, n);
  const up = DREAMS_RECIPE.samples / g;
  const down = n / g;
  const resampled = resamplePoly(excerpt.data, up, down);
  const stft = stftMagnitude(resampled, {
    nFft: DREAMS_RECIPE.nFft,
    hop: DREAMS_RECIPE.hop,
    winLength: DREAMS_RECIPE.winLength,
  });
  return {
    fs: DREAMS_RECIPE.fs,
    signal: Float32Array.from(resampled),
    features: stft.data,
    nFrames: stft.nFrames,
    nBins: stft.nBins,
    frameLabels: dreamsFrameLabels(dreamsStages(codes)),
    channel: excerpt.channel,
    nativeFs: excerpt.fs,
    up,
    down,
  };
}

/** Paths of excerpt `n` (1…8) in a DREAMS folder. */
export function dreamsFiles(dir: string, n: number): { excerpt: string; hypnogram: string } {
  if (!Number.isInteger(n) || n < 1 || n > DREAMS_EXCERPTS) {
    throw new OptionError(`DREAMS excerpt number must be 1…${DREAMS_EXCERPTS}, got ${n}`);
  }
  return {
    excerpt: join(dir, `excerpt${n}.txt`),
    hypnogram: join(dir, `Hypnogram_excerpt${n}.txt`),
  };
}

/**
 * Reads excerpt `n` (1…8) and its hypnogram from `dir` (the DREAMS folder, or a
 * data root holding `dreams/`) and applies the 100-Hz recipe (see
 * {@linkcode dreamsFramesOf}).
 */
export async function loadDreamsExcerpt(dir: string, n: number): Promise<DreamsFrames> {
  const files = dreamsFiles(resolveDreamsDir(dir), n);
  const [excerpt, codes] = await Promise.all([
    readDreamsExcerpt(files.excerpt),
    readDreamsHypnogram(files.hypnogram),
  ]);
  return dreamsFramesOf(excerpt, codes);
}

// ---------------------------------------------------------------------------
// Featurised excerpts with an on-disk cache
// ---------------------------------------------------------------------------

/** The featurised form of one excerpt that the dataset needs (no signal). */
export interface DreamsExcerptFeatures {
  /** Excerpt number 1…8. */
  n: number;
  channel: string;
  nativeFs: number;
  /** Number of native samples. */
  nSamples: number;
  /** `[1011, 90]` STFT magnitudes. */
  features: Float32Array;
  /** `[1011]` frame labels. */
  frameLabels: Int8Array;
  /** SHA-256 of the excerpt file followed by that of the hypnogram file. */
  sha256: string;
}

/** All eight featurised excerpts, and whether they came from the cache. */
export interface DreamsFeatures {
  excerpts: DreamsExcerptFeatures[];
  fromCache: boolean;
  /** The cache file used or written (null when caching is off). */
  cacheFile: string | null;
}

/** Options of {@linkcode loadDreamsFeatures}. */
export interface DreamsFeaturesOptions {
  /**
   * Cache root (default `cacheDir()`; the file goes to `<root>/datasets/dreams/`);
   * `false` reads and featurises every time.
   */
  cache?: string | false;
}

/** The DREAMS folder inside `dir` (the folder itself, or `dir/dreams`). */
export function resolveDreamsDir(dir: string): string {
  const has = (p: string) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  };
  if (has(join(dir, "excerpt1.txt"))) return dir;
  return join(dir, "dreams");
}

function checkFiles(dir: string): Array<{ excerpt: string; hypnogram: string }> {
  const files = [];
  const missing: string[] = [];
  for (let n = 1; n <= DREAMS_EXCERPTS; n++) {
    const f = dreamsFiles(dir, n);
    for (const p of [f.excerpt, f.hypnogram]) {
      try {
        if (!Deno.statSync(p).isFile) missing.push(p);
      } catch {
        missing.push(p);
      }
    }
    files.push(f);
  }
  if (missing.length > 0) {
    throw new MissingDataError(
      `DREAMS dataset incomplete in ${dir}: missing ${missing.join(", ")}. Expected ` +
        `excerpt1.txt … excerpt8.txt and Hypnogram_excerpt1.txt … Hypnogram_excerpt8.txt ` +
        `(DREAMS Sleep Spindles database, see data/README.md).`,
    );
  }
  return files;
}

function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function cacheKey(files: Array<{ excerpt: string; hypnogram: string }>): string {
  const paths = files.flatMap((f) => [f.excerpt, f.hypnogram]);
  return datasetFingerprint(fileStamps(paths), DREAMS_RECIPE).slice(0, 24);
}

interface CacheHeader {
  recipe: typeof DREAMS_RECIPE;
  nFrames: number;
  nBins: number;
  excerpts: Array<Omit<DreamsExcerptFeatures, "features" | "frameLabels">>;
}

function encodeCache(excerpts: DreamsExcerptFeatures[]): Uint8Array {
  const header: CacheHeader = {
    recipe: DREAMS_RECIPE,
    nFrames: DREAMS_FRAMES,
    nBins: DREAMS_BINS,
    excerpts: excerpts.map(({ n, channel, nativeFs, nSamples, sha256 }) => ({
      n,
      channel,
      nativeFs,
      nSamples,
      sha256,
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerBytes = 4 + Math.ceil(json.length / 4) * 4;
  const featureBytes = DREAMS_FRAMES * DREAMS_BINS * 4;
  const out = new Uint8Array(headerBytes + excerpts.length * (featureBytes + DREAMS_FRAMES));
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  let at = headerBytes;
  for (const e of excerpts) {
    out.set(new Uint8Array(e.features.buffer, e.features.byteOffset, featureBytes), at);
    at += featureBytes;
  }
  for (const e of excerpts) {
    out.set(new Uint8Array(e.frameLabels.buffer, e.frameLabels.byteOffset, DREAMS_FRAMES), at);
    at += DREAMS_FRAMES;
  }
  return out;
}

/** Decodes a cache file; null when it is absent, truncated or of another recipe. */
function decodeCache(bytes: Uint8Array): DreamsExcerptFeatures[] | null {
  try {
    const jsonLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
    const header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(4, 4 + jsonLength)),
    ) as CacheHeader;
    if (
      JSON.stringify(header.recipe) !== JSON.stringify(DREAMS_RECIPE) ||
      header.nFrames !== DREAMS_FRAMES || header.nBins !== DREAMS_BINS ||
      header.excerpts.length !== DREAMS_EXCERPTS
    ) return null;
    const headerBytes = 4 + Math.ceil(jsonLength / 4) * 4;
    const featureLength = DREAMS_FRAMES * DREAMS_BINS;
    const total = headerBytes + DREAMS_EXCERPTS * (featureLength * 4 + DREAMS_FRAMES);
    if (bytes.length !== total) return null;
    const copy = bytes.slice(headerBytes); // aligned copy
    return header.excerpts.map((e, i) => ({
      ...e,
      features: new Float32Array(copy.buffer, i * featureLength * 4, featureLength),
      frameLabels: new Int8Array(
        copy.buffer,
        DREAMS_EXCERPTS * featureLength * 4 + i * DREAMS_FRAMES,
        DREAMS_FRAMES,
      ),
    }));
  } catch {
    return null;
  }
}

async function featuriseFromFiles(
  files: Array<{ excerpt: string; hypnogram: string }>,
): Promise<DreamsExcerptFeatures[]> {
  const decoder = new TextDecoder();
  const out: DreamsExcerptFeatures[] = [];
  for (let i = 0; i < files.length; i++) {
    const [excerptBytes, hypnogramBytes] = await Promise.all([
      Deno.readFile(files[i].excerpt),
      Deno.readFile(files[i].hypnogram),
    ]);
    const excerpt = parseDreamsExcerpt(decoder.decode(excerptBytes), files[i].excerpt);
    const codes = parseDreamsHypnogram(decoder.decode(hypnogramBytes), files[i].hypnogram);
    const frames = dreamsFramesOf(excerpt, codes);
    out.push({
      n: i + 1,
      channel: frames.channel,
      nativeFs: frames.nativeFs,
      nSamples: excerpt.data.length,
      features: frames.features,
      frameLabels: frames.frameLabels,
      sha256: sha256Hex(excerptBytes) + sha256Hex(hypnogramBytes),
    });
  }
  return out;
}

/**
 * Featurises all eight excerpts of a DREAMS folder with the 100-Hz recipe.
 *
 * The `[1011, 90]` features and `[1011]` labels of every excerpt are cached in
 * one binary file under the cache folder, keyed by the files' sizes and
 * contents and by {@linkcode DREAMS_RECIPE}; a cache hit skips
 * reading, resampling and the STFT. A damaged cache file is rebuilt.
 *
 * @param dir The DREAMS folder (or a data root holding `dreams/`).
 * @throws {MissingDataError} naming every expected file that is missing.
 */
export async function loadDreamsFeatures(
  dir: string,
  { cache }: DreamsFeaturesOptions = {},
): Promise<DreamsFeatures> {
  const folder = resolveDreamsDir(dir);
  const files = checkFiles(folder);
  const cacheFolder = cache === false ? null : join(datasetCacheDir(cache), "dreams");
  const cacheFile = cacheFolder === null
    ? null
    : join(cacheFolder, `features-${cacheKey(files)}.bin`);
  if (cacheFile !== null) {
    let bytes: Uint8Array | null = null;
    try {
      bytes = await Deno.readFile(cacheFile);
    } catch {
      bytes = null;
    }
    const excerpts = bytes === null ? null : decodeCache(bytes);
    if (excerpts !== null) return { excerpts, fromCache: true, cacheFile };
  }
  const excerpts = await featuriseFromFiles(files);
  if (cacheFile !== null) await writeFileAtomic(cacheFile, encodeCache(excerpts));
  return { excerpts, fromCache: false, cacheFile };
}

// ---------------------------------------------------------------------------
// The cross-validated dataset
// ---------------------------------------------------------------------------

/**
 * Feature normalisation: `"train"` z-scores with training-split statistics
 * (the study's choice), `"none"` keeps raw STFT magnitudes (the reference's
 * SleepEEG choice), `"all"` z-scores with statistics over both splits (the
 * leaky reference option, spec D5).
 */
export type DreamsNormalisation = "train" | "none" | "all";

/** Options of {@linkcode loadDreamsDataset}. */
export interface LoadDreamsOptions {
  /** Data root holding `dreams/`, or the DREAMS folder itself (default `dataDir()`). */
  dataDir?: string;
  /** Recorded in the metadata; the dataset is the same under every profile. */
  profile?: Profile;
  /** Cross-validation fold 0…3: evaluates on excerpts {k+1, k+5}. */
  fold?: number;
  normalisation?: DreamsNormalisation;
  /** Cache root (default `cacheDir()`), or `false` to featurise without caching. */
  cache?: string | false;
}

/** Number of cross-validation folds. */
export const DREAMS_FOLDS = 4;

/** Excerpt numbers evaluated in fold `k`: `{k+1, k+5}`. */
export function dreamsFoldExcerpts(fold: number): { train: number[]; eval: number[] } {
  if (!Number.isInteger(fold) || fold < 0 || fold >= DREAMS_FOLDS) {
    throw new OptionError(`DREAMS fold must be an integer 0…${DREAMS_FOLDS - 1}, got ${fold}`);
  }
  const evalSet = [fold + 1, fold + 5];
  const train = [];
  for (let n = 1; n <= DREAMS_EXCERPTS; n++) if (!evalSet.includes(n)) train.push(n);
  return { train, eval: evalSet };
}

function buildSplit(excerpts: DreamsExcerptFeatures[], T: number, F: number): SequenceSplit {
  const perExcerpt = Math.floor(DREAMS_FRAMES / T);
  const nSequences = excerpts.length * perExcerpt;
  const x = new Float32Array(nSequences * T * F);
  const y = new Int32Array(nSequences * T);
  const recording: string[] = [];
  let s = 0;
  for (const e of excerpts) {
    for (let k = 0; k < perExcerpt; k++, s++) {
      x.set(e.features.subarray(k * T * F, (k + 1) * T * F), s * T * F);
      for (let t = 0; t < T; t++) y[s * T + t] = e.frameLabels[k * T + t];
      recording.push(`excerpt${e.n}`);
    }
  }
  return { x, y, recording, nSequences };
}

function classCounts(y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const c of y) if (c >= 0) counts[c]++;
  return counts;
}

/**
 * Loads the "dreams" dataset: every excerpt featurised with the 100-Hz recipe
 * (`[1011, 90]` frames), cut into 5 non-overlapping sequences of `T = 200`
 * frames (the 11-frame tail is dropped), `F = 90`, classes W N1 N2 N3 REM.
 *
 * Fold `k` (0…3) evaluates on excerpts {k+1, k+5} and trains on the other six.
 * With `normalisation = "train"` the features of both splits are z-scored with
 * the per-feature mean and population std of the training frames only.
 *
 * @returns `train.x [30, 200, 90]`, `eval.x [10, 200, 90]`, labels `[n, 200]`
 * (−1 = excluded).
 * @throws {MissingDataError} naming the expected files when the folder is incomplete.
 * @throws {DataFormatError} naming file and line when a file is malformed.
 */
export async function loadDreamsDataset(options: LoadDreamsOptions = {}): Promise<Dataset> {
  const {
    profile = "paper",
    fold = 0,
    normalisation = "train",
    cache,
  } = options;
  if (!["train", "none", "all"].includes(normalisation)) {
    throw new OptionError(
      `DREAMS normalisation must be "train", "none" or "all", got ${normalisation}`,
    );
  }
  const split = dreamsFoldExcerpts(fold);
  const { excerpts, fromCache } = await loadDreamsFeatures(options.dataDir ?? defaultDataDir(), {
    cache,
  });
  const T = DREAMS_RECIPE.T;
  const F = DREAMS_BINS;
  const pick = (ns: number[]) => excerpts.filter((e) => ns.includes(e.n));
  const train = buildSplit(pick(split.train), T, F);
  const evalSplit = buildSplit(pick(split.eval), T, F);
  if (normalisation !== "none") {
    const stats = splitZScoreStats([train.x], [evalSplit.x], F, { statsFrom: normalisation });
    applyZScore(train.x, stats);
    applyZScore(evalSplit.x, stats);
  }

  const name = (n: number) => `excerpt${n}`;
  const k = DREAMS_CLASS_NAMES.length;
  const bandLimited = excerpts.filter((e) => e.nativeFs / 2 < DREAMS_RECIPE.fs / 2 - 1e-9);
  const withRem = excerpts.filter((e) => e.frameLabels.includes(4));
  const evalClasses = classCounts(evalSplit.y, k);
  const notes = [
    `Substitute for the paper's SleepEEG (TF-C Sleep-EDF tensors): the DREAMS Sleep Spindles ` +
    `database, 8 × 30-min single-channel EEG excerpts scored in 5-s blocks (R&K; S3 + S4 = N3).`,
    `Every excerpt is resampled to 100 Hz (scipy resample_poly, Kaiser β = 5) so the reference ` +
    `STFT (nFft = win = hop = 178, 90 bins) applies unchanged.`,
    `Frame labels: majority stage over the frame's 178 samples (ties to the smaller class); ` +
    `frames whose majority is movement/unknown are −1.`,
    ...bandLimited.map((e) =>
      `${name(e.n)} was recorded at ${e.nativeFs} Hz: its features carry nothing above ` +
      `${e.nativeFs / 2} Hz (bins above that are ≈ 0 after resampling).`
    ),
    `REM occurs only in ${withRem.map((e) => name(e.n)).join(", ") || "no excerpt"}; folds ` +
    `whose evaluation excerpts lack a class cluster with K = classes present.`,
    `Each excerpt gives ${Math.floor(DREAMS_FRAMES / T)} sequences of ${T} frames; the last ` +
    `${DREAMS_FRAMES % T} frames of each excerpt are dropped.`,
    normalisation === "train"
      ? "Features z-scored per bin with training-split statistics only."
      : normalisation === "all"
      ? "Features z-scored per bin with statistics over BOTH splits (leaky reference option, D5)."
      : "Raw STFT magnitudes (no normalisation, as the reference does for SleepEEG).",
  ];
  const fingerprint = sha256Hex(JSON.stringify({
    recipe: DREAMS_RECIPE,
    fold,
    normalisation,
    files: excerpts.map((e) => e.sha256),
  })).slice(0, 16);

  return {
    name: "dreams",
    T,
    F,
    classNames: [...DREAMS_CLASS_NAMES],
    train,
    eval: evalSplit,
    meta: {
      fs: DREAMS_RECIPE.fs,
      recipe: { ...DREAMS_RECIPE, normalisation },
      splitRule: `4-fold cross-validation by excerpt: fold ${fold} evaluates on excerpts ` +
        `${split.eval.join(" and ")} and trains on the other six (${split.train.join(", ")}).`,
      subjects: { train: split.train.map(name), eval: split.eval.map(name) },
      fingerprint,
      classCounts: { train: classCounts(train.y, k), eval: evalClasses },
      notes,
      source: {
        name: "DREAMS Sleep Spindles database (University of Mons, TCTS Lab)",
        citation: "Devuyst S, Dutoit T, Stenuit P, Kerkhofs M. Automatic sleep spindles " +
          "detection — overview and development of a standard proposal assessment method. " +
          "Proc. 33rd Annual Int. Conf. IEEE EMBS, 1713–1716 (2011). " +
          "Database: Devuyst S. The DREAMS Databases and Assessment Algorithm. Zenodo (2005), " +
          "doi:10.5281/zenodo.2650142.",
        licence: "CC BY-NC-ND 3.0",
      },
      extra: {
        cacheHit: fromCache,
        profile,
        fold,
        normalisation,
        channel: Object.fromEntries(excerpts.map((e) => [name(e.n), e.channel])),
        nativeFs: Object.fromEntries(excerpts.map((e) => [name(e.n), e.nativeFs])),
        bandLimited: bandLimited.map((e) => ({
          excerpt: name(e.n),
          nativeFs: e.nativeFs,
          maxFrequencyHz: e.nativeFs / 2,
        })),
        remExcerpts: withRem.map((e) => name(e.n)),
        evalClassesPresent: evalClasses.flatMap((c, i) => (c > 0 ? [i] : [])),
        framesPerExcerpt: DREAMS_FRAMES,
        sequencesPerExcerpt: Math.floor(DREAMS_FRAMES / T),
        excludedFrames: {
          train: train.y.filter((c) => c < 0).length,
          eval: evalSplit.y.filter((c) => c < 0).length,
        },
      },
    },
  };
}

/** A class-balanced sample of evaluation frames for clustering. */
export interface DreamsClusteringSubset {
  /** Flat frame indices `sequence·T + t` into the split, grouped by class. */
  indices: Int32Array;
  /** `[indices.length]` labels of the drawn frames. */
  labels: Int32Array;
  /** Classes present in the split (ascending); K = `classes.length`. */
  classes: number[];
  /** Frames drawn per class id (0 for absent classes). */
  counts: number[];
  /** Frames available per class id. */
  available: number[];
  /** Number of clusters to ask k-means for: the classes present. */
  K: number;
}

/**
 * Draws `min(perClass, available)` frames without replacement for every class
 * present in the split (seeded), as the reference's class-balanced clustering
 * subset does, except that a short class is taken whole instead of failing.
 *
 * @param split The evaluation split (`y` is `[nSequences, T]`).
 */
export function dreamsClusteringSubset(
  split: SequenceSplit,
  { perClass = 1000, seed }: { perClass?: number; seed: number },
): DreamsClusteringSubset {
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new OptionError(`perClass must be a positive integer, got ${perClass}`);
  }
  const k = DREAMS_CLASS_NAMES.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < split.y.length; i++) if (split.y[i] >= 0) byClass[split.y[i]].push(i);
  const rng = makeRng(seed);
  const indices: number[] = [];
  const labels: number[] = [];
  const counts = new Array<number>(k).fill(0);
  const classes: number[] = [];
  for (let c = 0; c < k; c++) {
    const pool = byClass[c];
    if (pool.length === 0) continue;
    classes.push(c);
    const take = Math.min(perClass, pool.length);
    for (const j of sampleWithoutReplacement(pool.length, take, rng)) {
      indices.push(pool[j]);
      labels.push(c);
    }
    counts[c] = take;
  }
  return {
    indices: Int32Array.from(indices),
    labels: Int32Array.from(labels),
    classes,
    counts,
    available: byClass.map((p) => p.length),
    K: classes.length,
  };
}
