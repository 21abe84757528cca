/**
 * Command-line helpers shared by the scripts: option values checked before
 * any work starts, and one exit path for misuse — a one-line message on
 * stderr and exit code 2.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { resolve } from "node:path";
import { OptionError } from "../lib/errors.ts";

/** A command line that cannot be run as given (exit code 2). */
export class UsageError extends OptionError {}

/** Exit code of a misused command line. */
export const USAGE_EXIT_CODE = 2;

/**
 * `parseArgs` (strict unless `config.strict` is false): unknown options,
 * missing values and stray positionals become a UsageError instead of node's
 * coded TypeError.
 *
 * @example
 * ```ts
 * const { values } = parseCommandLine({ args: ["--out", "x"], options: { out: { type: "string" } } });
 * ```
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  config: T,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    if (e instanceof TypeError && "code" in e) throw new UsageError(oneLine(e.message));
    throw e;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** `text` as an integer ≥ `min` (e.g. `--workers 2`). */
export function integerOption(option: string, text: string, min: number): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`${option} ${JSON.stringify(text)}: expected an integer ≥ ${min}`);
  }
  return value;
}

/** `text` as a positive finite number of seconds (e.g. `--timeout 1.5`). */
export function secondsOption(option: string, text: string): number {
  const value = /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(
      `${option} ${JSON.stringify(text)}: expected a positive number of seconds`,
    );
  }
  return value;
}

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** An existing directory (absolute), else a UsageError naming the option. */
export function existingDirectory(option: string, path: string): string {
  const abs = resolve(path);
  const info = statOrNull(abs);
  if (info === null) throw new UsageError(`${option} ${path}: no such directory`);
  if (!info.isDirectory) throw new UsageError(`${option} ${path}: not a directory`);
  return abs;
}

/** An existing regular file (absolute), else a UsageError naming the option. */
export function existingFile(option: string, path: string): string {
  const abs = resolve(path);
  const info = statOrNull(abs);
  if (info === null) throw new UsageError(`${option} ${path}: no such file`);
  if (!info.isFile) throw new UsageError(`${option} ${path}: not a regular file`);
  return abs;
}

/** A directory to write into (absolute): absent (it will be created) or a directory. */
export function outputDirectory(option: string, path: string): string {
  const abs = resolve(path);
  const info = statOrNull(abs);
  if (info !== null && !info.isDirectory) {
    throw new UsageError(`${option} ${path}: exists and is not a directory`);
  }
  return abs;
}

/**
 * Runs a script's `main`: exits with its code, or with 2 and the message on
 * one stderr line when it throws a UsageError.
 */
export async function runMain(main: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main();
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(oneLine(e.message));
    code = USAGE_EXIT_CODE;
  }
  Deno.exit(code);
}
