/**
 * `deno task notebooks <files…> [--out DIR] [--param k=v]… [--timeout S]`:
 * executes notebooks headlessly on the Deno Jupyter kernel.
 *
 * Each executed notebook is written to `DIR/<name>.ipynb` with `--out`, else
 * beside its source as `<name>.executed.ipynb` (the source is never
 * overwritten). `--param` values are typed (number, boolean, null, JSON, else
 * string) and injected after the cell tagged `parameters`. `--timeout` is the
 * per-cell timeout in seconds (a cell's `metadata.emargin.timeout` still wins).
 * Exits 1 when any notebook fails, times out, kills its kernel, or is invalid.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename, extname, join, resolve } from "node:path";
import {
  createProgressReporter,
  parseParameterArgs,
  runNotebook,
  type RunResult,
} from "../lib/notebook/mod.ts";

/** Where the executed copy of `file` goes. */
export function executedPath(file: string, outDir?: string): string {
  const name = basename(file, extname(file));
  return outDir
    ? join(resolve(outDir), `${name}.ipynb`)
    : join(resolve(file, ".."), `${name}.executed.ipynb`);
}

/** Runs the CLI on `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      param: { type: "string", multiple: true },
      timeout: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length === 0) {
    console.error(
      "usage: deno task notebooks <files…> [--out DIR] [--param key=value]… [--timeout SECONDS]",
    );
    return values.help ? 0 : 2;
  }
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
    console.error(`--timeout: expected a positive number of seconds, found ${values.timeout}`);
    return 2;
  }
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
