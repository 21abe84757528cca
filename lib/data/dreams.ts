/**
 * The DREAMS Sleep Spindles database (8 × 30-min scored EEG excerpts): the
 * file reader. The 100-Hz frame recipe and the cross-validated "dreams"
 * dataset are in `datasets/dreams.ts`.
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
import { join } from "node:path";
import { DataFormatError, MissingDataError, OptionError } from "../errors.ts";
import { readRegularFile } from "../io.ts";
import { DECIMAL, shownToken, SIGNED_INTEGER, splitLines } from "./parse.ts";

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

/** One excerpt as stored: channel name, native rate and the EEG values (µV). */
export interface DreamsExcerpt {
  /** Channel named by the header line, e.g. "C3-A1". */
  channel: string;
  /** Sampling rate `n / 1800` (Hz), e.g. 200.0777… for excerpt 6. */
  fs: number;
  /** `[n]` EEG values in µV. */
  data: Float64Array;
}

/** The text inside a `[NAME]` header line, or a DataFormatError at line 1. */
function headerName(lines: string[], file: string, expected: string): string {
  if (lines.length === 0 || (lines.length === 1 && lines[0].trim() === "")) {
    throw new DataFormatError(file, "line 1", expected, "an empty file");
  }
  const m = /^\[([^\[\]]*[^\[\]\s][^\[\]]*)\]$/.exec(lines[0].trim());
  if (!m) throw new DataFormatError(file, "line 1", expected, shownToken(lines[0]));
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
      throw new DataFormatError(file, `line ${i + 2}`, "one decimal EEG value (µV)", shownToken(s));
    }
    const v = Number(s);
    if (!Number.isFinite(v)) {
      throw new DataFormatError(file, `line ${i + 2}`, "a finite EEG value (µV)", shownToken(s));
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
    throw new DataFormatError(file, "line 1", "the header line [Hypnogram]", shownToken(lines[0]));
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
    const v = SIGNED_INTEGER.test(s) ? Number(s) : NaN;
    if (!(v >= lo && v <= hi)) {
      throw new DataFormatError(
        file,
        `line ${i + 2}`,
        `an integer stage code in ${lo}…${hi}`,
        shownToken(s),
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

/**
 * The excerpt and hypnogram paths of all eight excerpts in a DREAMS folder,
 * excerpt 1 first.
 *
 * @throws {MissingDataError} naming every expected file that is missing.
 */
export function dreamsFileList(dir: string): Array<{ excerpt: string; hypnogram: string }> {
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
