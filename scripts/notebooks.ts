/**
 * `deno task notebooks <files…> [--out DIR] [--param k=v]… [--timeout S] [--max-output SIZE]`:
 * executes notebooks headlessly on the Deno Jupyter kernel.
 *
 * Each executed notebook is written to `DIR/<name>.ipynb` with `--out`, else
 * beside its source as `<name>.executed.ipynb` (the source is never
 * overwritten). `--param` values are typed (number, boolean, null, JSON, else
 * string) and injected after the cell tagged `parameters`. `--timeout` is the
 * per-cell timeout in seconds (a cell's `metadata.emargin.timeout` still wins).
 * `--max-output` is the output kept per cell (`4MiB` by default; `512KiB`,
 * `16M`, or bytes); the rest is dropped as it arrives and the cell says so.
 * Progress lines and messages number cells from 1. SIGINT or SIGTERM stops
 * the running kernel and removes its connection folder before exiting.
 * Exits 1 when any notebook fails, times out, kills its kernel, or is invalid;
 * exits 2, before running anything, on a missing notebook file, an `--out`
 * that is an existing file, a bad `--timeout`, `--max-output` or `--param`, or an
 * unknown option.
 *
 * @module
 */
import { basename, extname, join, resolve } from "node:path";
import {
  createProgressReporter,
  parseByteSize,
  parseParameterArgs,
  runNotebook,
  type RunResult,
} from "../lib/notebook/mod.ts";
import {
  existingFile,
  outputDirectory,
  parseCommandLine,
  secondsOption,
  USAGE_EXIT_CODE,
  UsageError,
} from "./_cli.ts";

/** Where the executed copy of `file` goes. */
export function executedPath(file: string, outDir?: string): string {
  const name = basename(file, extname(file));
  return outDir
    ? join(resolve(outDir), `${name}.ipynb`)
    : join(resolve(file, ".."), `${name}.executed.ipynb`);
}

/**
 * Parses and checks the command line: the notebooks exist as files, `--out`
 * is not a file, `--timeout` and `--param` are well-formed.
 *
 * @throws UsageError naming the argument and what was expected
 */
function parseNotebookArgs(args: string[]) {
  const parsed = parseCommandLine({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      param: { type: "string", multiple: true },
      timeout: { type: "string" },
      "max-output": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const { values, positionals } = parsed;
  if (values.help) return parsed;
  const maxOutput = values["max-output"];
  if (maxOutput !== undefined && Number.isNaN(parseByteSize(maxOutput))) {
    throw new UsageError(
      `--max-output ${
        JSON.stringify(maxOutput)
      }: expected a size such as 4MiB, 512KiB or a number of bytes`,
    );
  }
  for (const file of positionals) existingFile("notebook", file);
  if (values.out !== undefined) outputDirectory("--out", values.out);
  if (values.timeout !== undefined) secondsOption("--timeout", values.timeout);
  try {
    parseParameterArgs(values.param ?? []);
  } catch (err) {
    throw new UsageError(`--param: ${(err as Error).message}`);
  }
  return parsed;
}

/** Runs the CLI on `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  // Every argument is checked before any notebook runs: misuse is one line on stderr, exit 2.
  let parsed: ReturnType<typeof parseNotebookArgs>;
  try {
    parsed = parseNotebookArgs(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(err.message);
    return USAGE_EXIT_CODE;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    console.error(
      "usage: deno task notebooks <files…> [--out DIR] [--param key=value]… [--timeout SECONDS] [--max-output SIZE]",
    );
    return values.help ? 0 : USAGE_EXIT_CODE;
  }
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  const maxOutputBytes = values["max-output"] === undefined
    ? undefined
    : parseByteSize(values["max-output"]);
  const reporter = createProgressReporter();
  let failed = 0;
  try {
    const params = parseParameterArgs(values.param ?? []);
    for (const file of positionals) {
      const outPath = executedPath(file, values.out);
      let result: RunResult;
      try {
        result = await runNotebook(file, {
          outPath,
          params,
          timeoutSeconds,
          maxOutputBytes,
          onProgress: reporter.onProgress,
        });
      } catch (err) {
        failed++;
        console.error(`${file}: ${(err as Error).message}`);
        continue;
      }
      if (result.status !== "ok") {
        failed++;
        console.error(`${file}: ${result.status}: ${result.message ?? ""}`);
      }
      console.error(`${file} → ${outPath}`);
    }
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  } finally {
    reporter.close();
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
