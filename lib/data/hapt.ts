/**
 * Readers of the UCI HAPT raw signals ("Smartphone-Based Recognition of Human
 * Activities and Postural Transitions"): `RawData/acc_expXX_userYY.txt` and
 * `RawData/gyro_expXX_userYY.txt` (one sample per row, `x y z`, 50 Hz;
 * acceleration in g, angular velocity in rad/s) and `RawData/labels.txt`
 * (rows `experiment user activity start end`, sample positions 1-based and
 * inclusive).
 *
 * The files are plain whitespace-separated decimal numbers; they are scanned by
 * hand with a strict decimal grammar because `Number()` alone accepts forms
 * such as `""`, `"0x1f"` or `"Infinity"` that must be rejected.
 *
 * @module
 */
import { join } from "node:path";
import { DataFormatError, MissingDataError } from "../errors.ts";
import { DECIMAL, parseNumber, SAFE_COUNT } from "./parse.ts";

/** HAPT sampling rate (Hz). */
export const HAPT_FS = 50;

/** Activity names; class `c` is activity id `c + 1` of `activity_labels.txt`. */
export const HAPT_CLASS_NAMES: readonly string[] = [
  "WALKING",
  "WALKING_UPSTAIRS",
  "WALKING_DOWNSTAIRS",
  "SITTING",
  "STANDING",
  "LAYING",
  "STAND_TO_SIT",
  "SIT_TO_STAND",
  "SIT_TO_LIE",
  "LIE_TO_SIT",
  "STAND_TO_LIE",
  "LIE_TO_STAND",
];

/** Channel order of {@linkcode HaptRecording.channels}. */
export const HAPT_CHANNEL_NAMES: readonly string[] = [
  "acc_x",
  "acc_y",
  "acc_z",
  "gyro_x",
  "gyro_y",
  "gyro_z",
];

/** One experiment: six signals of equal length. */
export interface HaptRecording {
  experiment: number;
  user: number;
  /** Samples per channel. */
  nSamples: number;
  /** `[6][nSamples]` in the order of {@linkcode HAPT_CHANNEL_NAMES}. */
  channels: Float64Array[];
}

/** One row of `labels.txt`. */
export interface HaptLabelSegment {
  experiment: number;
  user: number;
  /** Activity id 1–12. */
  activityId: number;
  /** First sample, 1-based inclusive (as written). */
  start: number;
  /** Last sample, 1-based inclusive (as written). */
  end: number;
  /** 1-based line of `labels.txt`. */
  line: number;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** Paths of the accelerometer and gyroscope files of one experiment. */
export function haptFiles(dir: string, experiment: number, user: number): {
  acc: string;
  gyro: string;
} {
  const stem = `exp${pad2(experiment)}_user${pad2(user)}.txt`;
  return { acc: join(dir, "RawData", `acc_${stem}`), gyro: join(dir, "RawData", `gyro_${stem}`) };
}

function readText(path: string, expected: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MissingDataError(
        `${path} not found; expected ${expected}. The UCI HAPT raw files go in <dataDir>/hapt/RawData ` +
          "(https://archive.ics.uci.edu/dataset/341, or point EMARGIN_DATA at a folder holding hapt/; see `deno task data`).",
      );
    }
    throw err;
  }
}

function lines(text: string): string[] {
  const rows = text.split("\n");
  if (rows.length > 0 && rows[rows.length - 1].trim() === "") rows.pop();
  return rows;
}

/** Is `c` a blank (space, tab, carriage return)? */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * End index of the decimal number `[+-]digits[.digits][(e|E)[+-]digits]`
 * (at least one mantissa digit) starting at `i`, or −1 if there is none.
 * The same grammar as `DECIMAL`, scanned by character code for speed.
 */
function decimalEnd(s: string, i: number): number {
  let c = s.charCodeAt(i);
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) (digits++, c = s.charCodeAt(++i));
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (c >= 48 && c <= 57) (digits++, c = s.charCodeAt(++i));
  }
  if (digits === 0) return -1;
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    let exponent = 0;
    while (c >= 48 && c <= 57) (exponent++, c = s.charCodeAt(++i));
    if (exponent === 0) return -1;
  }
  return i;
}

/** Parses one row into `columns[·][r]`; false when the row is not `nColumns` finite decimals. */
function parseRowFast(row: string, r: number, columns: Float64Array[]): boolean {
  let i = 0;
  while (isBlank(row.charCodeAt(i))) i++;
  for (let c = 0; c < columns.length; c++) {
    const end = decimalEnd(row, i);
    if (end < 0 || (end < row.length && !isBlank(row.charCodeAt(end)))) return false;
    const value = Number(row.slice(i, end));
    if (!Number.isFinite(value)) return false;
    columns[c][r] = value;
    i = end;
    while (isBlank(row.charCodeAt(i))) i++;
  }
  return i === row.length;
}

/** Throws the DataFormatError describing why `row` is not `nColumns` finite decimals. */
function rowError(row: string, r: number, file: string, nColumns: number): DataFormatError {
  const tokens = row.trim().split(/\s+/);
  if (tokens.length !== nColumns || tokens[0] === "") {
    return new DataFormatError(
      file,
      `line ${r + 1}`,
      `${nColumns} numbers`,
      tokens[0] === "" ? "an empty line" : `${tokens.length} fields`,
    );
  }
  for (let c = 0; c < nColumns; c++) {
    const token = tokens[c];
    if (!DECIMAL.test(token) || !Number.isFinite(Number(token))) {
      return new DataFormatError(
        file,
        `line ${r + 1} column ${c + 1}`,
        "a finite decimal number",
        JSON.stringify(token),
      );
    }
  }
  return new DataFormatError(
    file,
    `line ${r + 1}`,
    `${nColumns} finite decimal numbers`,
    JSON.stringify(row),
  );
}

/**
 * Parses a whitespace-separated table of finite decimal numbers with exactly
 * `nColumns` per line (blanks, tabs and `\r` around the numbers ignored).
 * Each line is scanned by character code (the grammar of `DECIMAL`) and each
 * number converted with `Number()`, so values are correctly rounded.
 *
 * @returns `nColumns` columns of `[nRows]` float64.
 * @throws {DataFormatError} naming the file, line and column of the first bad value.
 */
export function parseNumberColumns(text: string, file: string, nColumns: number): Float64Array[] {
  const rows = lines(text);
  if (rows.length === 0) {
    throw new DataFormatError(file, "line 1", `${nColumns} numbers per line`, "an empty file");
  }
  const columns = Array.from({ length: nColumns }, () => new Float64Array(rows.length));
  for (let r = 0; r < rows.length; r++) {
    if (!parseRowFast(rows[r], r, columns)) throw rowError(rows[r], r, file, nColumns);
  }
  return columns;
}

/**
 * Reads one experiment's accelerometer and gyroscope files.
 *
 * @param dir the HAPT folder (holding `RawData/`).
 * @returns six `[nSamples]` channels, acc x/y/z then gyro x/y/z.
 * @throws {MissingDataError} when a file is absent.
 * @throws {DataFormatError} on a malformed file or unequal row counts.
 */
export function readHaptRecording(dir: string, experiment: number, user: number): HaptRecording {
  const files = haptFiles(dir, experiment, user);
  const acc = parseNumberColumns(readText(files.acc, "3 columns x y z per row"), files.acc, 3);
  const gyro = parseNumberColumns(readText(files.gyro, "3 columns x y z per row"), files.gyro, 3);
  if (acc[0].length !== gyro[0].length) {
    throw new DataFormatError(
      files.gyro,
      "row count",
      `${acc[0].length} rows (as ${files.acc})`,
      String(gyro[0].length),
    );
  }
  return { experiment, user, nSamples: acc[0].length, channels: [...acc, ...gyro] };
}

/**
 * Parses `labels.txt`: five non-negative integers per row
 * (`experiment user activity start end`), activity 1–12, `1 ≤ start ≤ end`.
 *
 * @throws {DataFormatError} naming the line and field of the first bad row.
 */
export function parseHaptLabels(text: string, file: string): HaptLabelSegment[] {
  const fields = ["experiment", "user", "activity", "start", "end"];
  const rows = lines(text);
  if (rows.length === 0) {
    throw new DataFormatError(file, "line 1", "5 integers per line", "an empty file");
  }
  return rows.map((row, r) => {
    const tokens = row.trim().split(/\s+/);
    if (tokens.length !== 5 || tokens[0] === "") {
      throw new DataFormatError(
        file,
        `line ${r + 1}`,
        "5 integers",
        `${tokens[0] === "" ? 0 : tokens.length} fields`,
      );
    }
    const v = tokens.map((token, c) => parseNumber(token, SAFE_COUNT, file, r + 1, fields[c]));
    if (v[2] < 1 || v[2] > HAPT_CLASS_NAMES.length) {
      throw new DataFormatError(
        file,
        `line ${r + 1} activity`,
        "an activity id 1–12",
        String(v[2]),
      );
    }
    if (v[3] < 1 || v[4] < v[3]) {
      throw new DataFormatError(
        file,
        `line ${r + 1} start/end`,
        "1 ≤ start ≤ end",
        `${v[3]}..${v[4]}`,
      );
    }
    return { experiment: v[0], user: v[1], activityId: v[2], start: v[3], end: v[4], line: r + 1 };
  });
}

/** Reads and parses `<dir>/RawData/labels.txt` (see {@linkcode parseHaptLabels}). */
export function readHaptLabels(dir: string): HaptLabelSegment[] {
  const file = join(dir, "RawData", "labels.txt");
  return parseHaptLabels(readText(file, "rows `experiment user activity start end`"), file);
}

/**
 * Per-sample class labels of one experiment: sample `i` (0-based) of segment
 * `[start, end]` (1-based inclusive) gets class `activityId − 1`; samples in
 * no segment are −1 (unlabelled; never guessed).
 *
 * @returns `[nSamples]` labels in −1 … 11.
 * @throws {DataFormatError} when a segment ends past the recording, overlaps
 *   another, or names another user for this experiment.
 */
export function haptSampleLabels(
  segments: readonly HaptLabelSegment[],
  experiment: number,
  user: number,
  nSamples: number,
  file = "labels.txt",
): Int32Array {
  const labels = new Int32Array(nSamples).fill(-1);
  for (const s of segments) {
    if (s.experiment !== experiment) continue;
    if (s.user !== user) {
      throw new DataFormatError(
        file,
        `line ${s.line} user`,
        `user ${user} for experiment ${experiment}`,
        String(s.user),
      );
    }
    if (s.end > nSamples) {
      throw new DataFormatError(
        file,
        `line ${s.line} end`,
        `≤ ${nSamples} (the recording's length)`,
        String(s.end),
      );
    }
    for (let i = s.start - 1; i < s.end; i++) {
      if (labels[i] !== -1) {
        throw new DataFormatError(
          file,
          `line ${s.line}`,
          "segments that do not overlap",
          `sample ${i + 1} labelled twice`,
        );
      }
      labels[i] = s.activityId - 1;
    }
  }
  return labels;
}

/**
 * Experiments present in `<dir>/RawData` (from `acc_expXX_userYY.txt` names),
 * sorted by experiment number.
 *
 * @throws {MissingDataError} when the folder is absent or holds no experiment.
 */
export function listHaptRecordings(dir: string): { experiment: number; user: number }[] {
  const raw = join(dir, "RawData");
  const found: { experiment: number; user: number }[] = [];
  try {
    for (const entry of Deno.readDirSync(raw)) {
      const m = /^acc_exp(\d+)_user(\d+)\.txt$/.exec(entry.name);
      if (m && entry.isFile) found.push({ experiment: Number(m[1]), user: Number(m[2]) });
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (found.length === 0) {
    throw new MissingDataError(
      `no HAPT recordings in ${raw}: expected RawData/acc_expXX_userYY.txt, gyro_expXX_userYY.txt and labels.txt ` +
        "(UCI HAPT, https://archive.ics.uci.edu/dataset/341; see `deno task data`).",
    );
  }
  return found.sort((a, b) => a.experiment - b.experiment);
}
