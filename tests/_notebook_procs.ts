/**
 * Test helpers for the notebook runner's process tests: notebooks written to
 * a temporary folder, a real `scripts/notebooks.ts` process, and a scan of
 * `/proc` for processes whose command line mentions a folder.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../lib/paths.ts";
import { type CodeCell, notebookOf } from "./_notebook.ts";

/** Writes an nbformat 4.5 notebook of `cells` to `path`. */
export async function writeNotebook(path: string, cells: CodeCell[]): Promise<void> {
  await Deno.writeTextFile(path, JSON.stringify(notebookOf(cells)));
}

/** Process ids (other than this one) whose command line contains `needle`. */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`);
      const state = (await Deno.readTextFile(`/proc/${entry.name}/stat`)).replace(/^.*\) /, "");
      if (cmdline.replaceAll("\0", " ").includes(needle) && !state.startsWith("Z")) {
        pids.push(Number(entry.name));
      }
    } catch {
      // The process ended while it was being read.
    }
  }
  return pids;
}

/** Polls `check` every 100 ms until it returns true or `ms` have passed; returns its last value. */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return await check();
}

/** Entries of a folder (empty when it does not exist). */
export async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

/**
 * Starts `deno run -A scripts/notebooks.ts ARGS…` with `TMPDIR=tmpDir`, so
 * that the kernel's connection folder is created there.
 */
export function spawnRunner(args: string[], tmpDir: string): Deno.ChildProcess {
  return spawnDeno(["run", "-A", join(repoRoot, "scripts", "notebooks.ts"), ...args], tmpDir);
}

/**
 * Starts `deno ARGS…` in the repository root with `TMPDIR=tmpDir`, no colour,
 * no stdin, and stdout and stderr piped.
 */
function spawnDeno(args: string[], tmpDir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: repoRoot,
    env: { TMPDIR: tmpDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Starts a script of this repository's configuration that calls `runNotebook`
 * on `notebook` itself, as `scripts/report.ts` does, with `TMPDIR=tmpDir`.
 */
export async function spawnLibraryCaller(
  dir: string,
  notebook: string,
  tmpDir: string,
): Promise<Deno.ChildProcess> {
  const script = join(dir, "caller.ts");
  const mod = pathToFileURL(join(repoRoot, "lib", "notebook", "mod.ts")).href;
  await Deno.writeTextFile(
    script,
    `import { runNotebook } from ${JSON.stringify(mod)};\n` +
      `await runNotebook(${JSON.stringify(notebook)});\n`,
  );
  return spawnDeno(["run", "-A", "--config", join(repoRoot, "deno.json"), script], tmpDir);
}

/** Sends SIGKILL to every process whose command line contains `needle` (test clean-up). */
export async function killMentioning(needle: string): Promise<void> {
  for (const pid of await processesMentioning(needle)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

/** Where {@linkcode withRunner} starts a runner. */
export interface RunnerPlace {
  /** The temporary folder (its real path), holding the notebook and `tmp/`. */
  dir: string;
  /** `dir/tmp`, the runner's `TMPDIR`. */
  tmp: string;
  /** The notebook's path in `dir`. */
  notebook: string;
}

/** A runner started on a notebook in a temporary folder, as {@linkcode withRunner} gives it. */
export interface RunnerRun extends RunnerPlace {
  /** The process; its stdout is discarded. */
  runner: Deno.ChildProcess;
  /** The process's whole stderr, once it has ended. */
  stderr: Promise<string>;
}

/**
 * Writes `cells` as `name` in a new temporary folder (`prefix…`) with an
 * empty `tmp/`, starts `start` on it and runs `fn`; after, pass or fail, it
 * kills every process that mentions `tmp`, waits for the runner and removes
 * the folder.
 *
 * @example
 * ```ts
 * await withRunner("emargin-x-", "x.ipynb", [codeCell("a", "1")], (r) =>
 *   spawnRunner([r.notebook, "--out", join(r.dir, "out")], r.tmp), async ({ runner }) => {
 *   assert.equal((await runner.status).code, 0);
 * });
 * ```
 */
export async function withRunner(
  prefix: string,
  name: string,
  cells: CodeCell[],
  start: (
    at: Omit<RunnerRun, "runner" | "stderr">,
  ) => Promise<Deno.ChildProcess> | Deno.ChildProcess,
  fn: (run: RunnerRun) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  const tmp = join(dir, "tmp");
  await Deno.mkdir(tmp);
  const notebook = join(dir, name);
  await writeNotebook(notebook, cells);
  const runner = await start({ dir, tmp, notebook });
  const stderr = new Response(runner.stderr).text();
  runner.stdout.cancel();
  try {
    await fn({ dir, tmp, notebook, runner, stderr });
  } finally {
    await killMentioning(tmp);
    await runner.status;
    await stderr;
    await Deno.remove(dir, { recursive: true });
  }
}
