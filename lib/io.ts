/**
 * File helpers. Atomic writes: write to a temporary file in the same
 * directory, then rename, so a reader never sees a half-written file and a
 * failure leaves the previous file untouched. JSON reads that turn a syntax
 * error into the caller's typed error naming the file. Guarded reads that
 * refuse anything but a regular file of bounded size before opening it.
 *
 * @module
 */
import { dirname } from "node:path";
import { NotRegularFileError, SizeLimitError } from "./errors.ts";

/** Writes bytes or text to `path` atomically (temp file + rename). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const tmp = await Deno.makeTempFile({ dir, prefix: ".tmp-", suffix: ".part" });
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    // temp files are created private (0600); the result is an ordinary file
    await Deno.chmod(tmp, 0o644);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/**
 * Writes `value` as JSON to `path` atomically: pretty (2-space indent), or,
 * with `depth`, indented for the first `depth` levels and compact below them
 * (see {@linkcode stringifyToDepth}).
 */
export function writeJsonAtomic(
  path: string,
  value: unknown,
  options: { depth?: number } = {},
): Promise<void> {
  const text = options.depth === undefined
    ? JSON.stringify(value, null, 2)
    : stringifyToDepth(value, options.depth);
  return writeFileAtomic(path, text + "\n");
}

/**
 * JSON with the outer `depth` levels of objects and arrays indented by two
 * spaces a level and everything deeper written compactly: `depth = 2` puts a
 * top-level object's keys on their own lines and each element of its arrays
 * on one line. Parses back to the same value as `JSON.stringify(value)`.
 *
 * @example
 * ```ts
 * stringifyToDepth({ a: [{ x: 1 }, { x: 2 }] }, 2);
 * // '{\n  "a": [\n    {"x":1},\n    {"x":2}\n  ]\n}'
 * ```
 */
export function stringifyToDepth(value: unknown, depth: number, indent = ""): string {
  // through toJSON and the undefined/function rules exactly as JSON.stringify applies them
  const plain = JSON.parse(JSON.stringify(value) ?? "null") as unknown;
  return layout(plain, depth, indent);
}

function layout(value: unknown, depth: number, indent: string): string {
  if (depth <= 0 || value === null || typeof value !== "object") return JSON.stringify(value);
  const inner = indent + "  ";
  const parts = Array.isArray(value)
    ? value.map((v) => inner + layout(v, depth - 1, inner))
    : Object.entries(value).map(([k, v]) =>
      `${inner}${JSON.stringify(k)}: ${layout(v, depth - 1, inner)}`
    );
  if (parts.length === 0) return Array.isArray(value) ? "[]" : "{}";
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${parts.join(",\n")}\n${indent}${close}`;
}

/**
 * Reads `path` and parses it as JSON. A syntax error is replaced by the error
 * `invalid` builds from the parser's message; errors reading the file are
 * thrown as they are.
 */
export async function readJsonFile(
  path: string,
  invalid: (message: string) => Error,
): Promise<unknown> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid((err as Error).message);
  }
}

/** Options of the guarded reads ({@linkcode statRegularFileSync} and friends). */
export interface RegularFileOptions {
  /** Largest accepted size in bytes (default: no limit). */
  maxBytes?: number;
  /** The option a caller sets to raise `maxBytes`, named in the error. */
  limitOption?: string;
}

/** What a non-regular file is, in words. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** Checks a `stat` result: a regular file no larger than `maxBytes`. */
function checkRegular(
  path: string,
  info: Deno.FileInfo,
  { maxBytes = Infinity, limitOption = "maxBytes" }: RegularFileOptions,
): Deno.FileInfo {
  if (!info.isFile) {
    throw new NotRegularFileError(path, "file type", "a regular file", kindOf(info));
  }
  if (info.size > maxBytes) {
    throw new SizeLimitError(
      path,
      "size",
      `at most ${maxBytes} bytes (raise ${limitOption} to read larger files)`,
      `${info.size} bytes`,
    );
  }
  return info;
}

/**
 * Stats `path`, following links, without opening it, and refuses anything
 * but a regular file of at most `maxBytes`: a FIFO would block a read forever
 * and a link to `/dev/zero` would never end. A missing path throws
 * `Deno.errors.NotFound` as `Deno.statSync` does, for the caller to turn into
 * its own MissingDataError.
 *
 * @throws NotRegularFileError naming the path and what it is
 * @throws SizeLimitError when the file is larger than `maxBytes`
 * @example
 * ```ts
 * const { size } = statRegularFileSync("data/dreams/excerpt1.txt", { maxBytes: 64 << 20 });
 * ```
 */
export function statRegularFileSync(path: string, options: RegularFileOptions = {}): Deno.FileInfo {
  return checkRegular(path, Deno.statSync(path), options);
}

/** {@linkcode statRegularFileSync}, asynchronously. */
export async function statRegularFile(
  path: string,
  options: RegularFileOptions = {},
): Promise<Deno.FileInfo> {
  return checkRegular(path, await Deno.stat(path), options);
}

/**
 * Reads a regular file of at most `maxBytes` (see
 * {@linkcode statRegularFileSync}); the opened handle is checked again, so a
 * file swapped for a device after the first check is refused too.
 */
export function readRegularFileSync(path: string, options: RegularFileOptions = {}): Uint8Array {
  statRegularFileSync(path, options);
  using file = Deno.openSync(path, { read: true });
  const { size } = checkRegular(path, file.statSync(), options);
  const bytes = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = file.readSync(bytes.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === size ? bytes : bytes.subarray(0, got);
}

/** {@linkcode readRegularFileSync}, asynchronously. */
export async function readRegularFile(
  path: string,
  options: RegularFileOptions = {},
): Promise<Uint8Array> {
  await statRegularFile(path, options);
  using file = await Deno.open(path, { read: true });
  const { size } = checkRegular(path, await file.stat(), options);
  const bytes = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await file.read(bytes.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === size ? bytes : bytes.subarray(0, got);
}
