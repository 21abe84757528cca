/**
 * File helpers. Atomic writes: write to a temporary file in the same
 * directory, then rename, so a reader never sees a half-written file and a
 * failure leaves the previous file untouched. JSON reads that turn a syntax
 * error into the caller's typed error naming the file.
 *
 * @module
 */
import { dirname } from "node:path";

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

/** Writes `value` as pretty JSON to `path` atomically. */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
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
