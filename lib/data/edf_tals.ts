/**
 * EDF+ time-stamped annotation lists (TALs):
 * `+onset[\x15duration]\x14text\x14…\x14\0`, one or more per data record.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { FIXED_POINT, SIGNED_FIXED_POINT } from "./parse.ts";

/** One EDF+ annotation. */
export interface EdfAnnotation {
  /** Onset relative to the file start (s). */
  onset: number;
  /** Duration (s); 0 when the TAL gives none. */
  duration: number;
  text: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const latin1 = new TextDecoder("latin1");

/** A malformed TAL at byte `pos` of the signal (`part`: the TAL's onset, duration or text). */
type TalError = (pos: number, expected: string, got: string, part?: string) => DataFormatError;

/** {@linkcode TalError}s of one record's annotation signal: field `<where> byte <pos>[ part]`. */
function talErrors(file: string, where: string): TalError {
  return (pos, expected, got, part) =>
    new DataFormatError(file, `${where} byte ${pos}${part ? ` ${part}` : ""}`, expected, got);
}

/**
 * The annotations of one TAL (without its closing 0 byte) that starts at
 * byte `pos` of the record's annotation signal; empty texts are left out.
 */
function parseTal(tal: Uint8Array, pos: number, fail: TalError): EdfAnnotation[] {
  const sep = tal.indexOf(0x14);
  if (sep < 0) {
    throw fail(pos, "a TAL `+onset[\\x15duration]\\x14…`", "no 0x14 separator");
  }
  const timing = latin1.decode(tal.subarray(0, sep));
  const [onsetText, durationText, extra] = timing.split("\x15");
  if (!SIGNED_FIXED_POINT.test(onsetText) || extra !== undefined) {
    throw fail(pos, "`+seconds` or `-seconds`", JSON.stringify(timing), "onset");
  }
  if (durationText !== undefined && !FIXED_POINT.test(durationText)) {
    throw fail(pos, "seconds ≥ 0", JSON.stringify(durationText), "duration");
  }
  const onset = Number(onsetText);
  const duration = durationText === undefined ? 0 : Number(durationText);
  if (!Number.isFinite(onset) || !Number.isFinite(duration)) {
    throw fail(pos, "finite seconds", JSON.stringify(timing), "onset");
  }
  if (tal[tal.length - 1] !== 0x14) {
    throw fail(
      pos + tal.length - 1,
      "a TAL's last annotation closed by 0x14",
      `0x${tal[tal.length - 1].toString(16)}`,
    );
  }
  let texts: string[];
  try {
    texts = utf8.decode(tal.subarray(sep + 1, tal.length - 1)).split("\x14");
  } catch {
    throw fail(pos, "UTF-8 annotation text", "invalid bytes", "text");
  }
  const control = texts.findIndex((text) => [...text].some((c) => c.charCodeAt(0) < 32));
  if (control >= 0) {
    throw fail(
      pos,
      "annotation text without control characters",
      JSON.stringify(texts[control]),
      "text",
    );
  }
  // The first TAL of a record keeps time: its only annotation is empty.
  // Empty annotations carry nothing elsewhere either, so none is returned.
  return texts.filter((text) => text !== "").map((text) => ({ onset, duration, text }));
}

/**
 * Parses the time-stamped annotation lists of one data record's annotation
 * signal. Bytes after the last TAL must be zero padding.
 *
 * @param bytes the signal's bytes in one data record
 * @param file file name for errors
 * @param where the record and signal, for errors
 */
export function parseTals(bytes: Uint8Array, file: string, where: string): EdfAnnotation[] {
  const fail = talErrors(file, where);
  const out: EdfAnnotation[] = [];
  let pos = 0;
  while (pos < bytes.length && bytes[pos] !== 0) {
    const end = bytes.indexOf(0, pos);
    if (end < 0) {
      throw fail(pos, "a TAL ending in a 0 byte", "end of record");
    }
    const tal = bytes.subarray(pos, end);
    out.push(...parseTal(tal, pos, fail));
    pos = end + 1;
  }
  for (; pos < bytes.length; pos++) {
    if (bytes[pos] !== 0) {
      throw fail(pos, "zero padding after the last TAL", `0x${bytes[pos].toString(16)}`);
    }
  }
  return out;
}
