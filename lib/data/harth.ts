/**
 * Reader of HARTH CSV files (one per subject, `S006.csv` …; 50 Hz back and
 * thigh tri-axial accelerometers, in g), parsed with `d3-dsv`.
 *
 * Required columns: `back_x, back_y, back_z, thigh_x, thigh_y, thigh_z, label`
 * (others, e.g. `timestamp` or an index column, are ignored). Rows with a
 * missing or NaN value in a required column are dropped, as the reference
 * does (`dropna`); any other non-numeric value or ±Infinity is an error.
 * Labels are mapped to classes in the config order of spec §4.
 *
 * @module
 */
import { csvParseRows } from "d3-dsv";
import { DataFormatError, MissingDataError } from "../errors.ts";
import { FINITE_DECIMAL, parseNumber } from "./parse.ts";

/** Signal columns in feature order. */
export const HARTH_CHANNEL_NAMES: readonly string[] = [
  "back_x",
  "back_y",
  "back_z",
  "thigh_x",
  "thigh_y",
  "thigh_z",
];

/** HARTH sampling rate (Hz). */
export const HARTH_FS = 50;

/** HARTH label code → class id (spec §4; 12 classes, none excluded). */
export const HARTH_LABEL_MAP: Readonly<Record<number, number>> = {
  1: 0,
  2: 1,
  3: 2,
  4: 3,
  5: 4,
  6: 5,
  7: 6,
  8: 7,
  13: 8,
  14: 9,
  130: 10,
  140: 11,
};

/** Class names; class `c` is `HARTH_CLASS_NAMES[c]`. */
export const HARTH_CLASS_NAMES: readonly string[] = [
  "walking",
  "running",
  "shuffling",
  "stairs (ascending)",
  "stairs (descending)",
  "standing",
  "sitting",
  "lying",
  "cycling (sit)",
  "cycling (stand)",
  "cycling (sit, inactive)",
  "cycling (stand, inactive)",
];

/** One subject's recording. */
export interface HarthRecording {
  /** `[6][nSamples]` in the order of {@linkcode HARTH_CHANNEL_NAMES}. */
  channels: Float64Array[];
  /** `[nSamples]` class ids 0–11. */
  labels: Int32Array;
  nSamples: number;
  /** Rows dropped because a required value was missing or NaN. */
  droppedRows: number;
}

const MISSING = new Set(["", "nan", "NaN", "NAN"]);

/**
 * Parses one HARTH CSV text.
 *
 * @param file name used in errors.
 * @throws {DataFormatError} naming the file, line and column of a missing
 *   column, bad number, non-finite value or unknown label.
 */
export function parseHarthCsv(text: string, file: string): HarthRecording {
  const [header = [], ...rows] = csvParseRows(text);
  const required = [...HARTH_CHANNEL_NAMES, "label"];
  const index = required.map((column) => header.indexOf(column));
  if (index.some((i) => i < 0)) {
    throw new DataFormatError(
      file,
      "header (line 1)",
      `columns ${required.join(", ")}`,
      header.join(", ") || "no columns",
    );
  }
  const n = rows.length;
  const channels = HARTH_CHANNEL_NAMES.map(() => new Float64Array(n));
  const labels = new Int32Array(n);
  let kept = 0;
  const values = new Float64Array(required.length);
  rowLoop: for (let r = 0; r < n; r++) {
    const row = rows[r];
    if (row.length !== header.length) {
      throw new DataFormatError(
        file,
        `line ${r + 2}`,
        `${header.length} fields`,
        `${row.length} fields`,
      );
    }
    for (let c = 0; c < required.length; c++) {
      const token = row[index[c]].trim();
      if (MISSING.has(token)) continue rowLoop;
      values[c] = parseNumber(token, FINITE_DECIMAL, file, r + 2, required[c]);
    }
    const code = values[required.length - 1];
    const label = HARTH_LABEL_MAP[code];
    if (label === undefined) {
      throw new DataFormatError(
        file,
        `line ${r + 2} label`,
        `one of ${Object.keys(HARTH_LABEL_MAP).join(", ")}`,
        String(code),
      );
    }
    for (let c = 0; c < channels.length; c++) channels[c][kept] = values[c];
    labels[kept] = label;
    kept++;
  }
  if (kept === 0) throw new DataFormatError(file, "rows", "at least one complete data row", "none");
  return {
    channels: channels.map((c) => c.slice(0, kept)),
    labels: labels.slice(0, kept),
    nSamples: kept,
    droppedRows: n - kept,
  };
}

/** Reads and parses one HARTH CSV file (see {@linkcode parseHarthCsv}). */
export function readHarthCsv(path: string): HarthRecording {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new MissingDataError(
        `${path} not found (a HARTH CSV file was expected; see \`deno task data\`)`,
      );
    }
    throw err;
  }
  return parseHarthCsv(text, path);
}

/**
 * HARTH CSV files in `dir`, sorted by name (the reference's unsorted
 * directory listing is not reproducible; D5).
 *
 * @throws {MissingDataError} when there are none.
 */
export function listHarthFiles(dir: string): string[] {
  const names: string[] = [];
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (entry.isFile && entry.name.toLowerCase().endsWith(".csv")) names.push(entry.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (names.length === 0) {
    throw new MissingDataError(
      `no HARTH CSV files in ${dir}: expected S006.csv … (columns timestamp, back_x … thigh_z, label; ` +
        "UCI HARTH, https://archive.ics.uci.edu/dataset/779; fetch with `deno task data`).",
    );
  }
  return names.sort();
}
