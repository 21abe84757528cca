/**
 * The kernel's lifetime is the runner's: a real `scripts/notebooks.ts`
 * process is sent SIGINT, SIGTERM or SIGKILL while a cell runs, and afterwards
 * no process mentions its temporary folder (the kernel is started with
 * `--conn <TMPDIR>/emargin-kernel-…/connection.json`) and the folder is empty.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CodeCell, codeCell } from "./_notebook.ts";
import {
  entries,
  eventually,
  processesMentioning,
  type RunnerPlace,
  spawnLibraryCaller,
  spawnRunner,
  withRunner,
} from "./_notebook_procs.ts";

/** Cell 2 writes the kernel's pid to `kernel.pid` (in the notebook's folder), then runs long. */
function longCells(body: string): CodeCell[] {
  return [
    codeCell("first", 'console.log("first");'),
    codeCell("long", `Deno.writeTextFileSync("kernel.pid", String(Deno.pid));\n${body}`),
    codeCell("never", 'console.log("never printed");'),
  ];
}

const SLEEPING = "await new Promise((r) => setTimeout(r, 600_000));";
const SPINNING = "while (true) {\n  // ignores everything but V8's termination\n}";

/** The connection file named on the kernel's command line. */
async function connectionFile(kernelPid: number): Promise<string> {
  const argv = (await Deno.readTextFile(`/proc/${kernelPid}/cmdline`)).split("\0");
  const at = argv.indexOf("--conn");
  assert.ok(at >= 0, `no --conn in ${argv.join(" ")}`);
  return argv[at + 1];
}

/** `scripts/notebooks.ts` on the notebook, or (`library`) a script calling `runNotebook`. */
type Caller = "cli" | "library";

async function signalMidCell(
  signal: Deno.Signal,
  body: string,
  expectedCode: number | null,
  caller: Caller = "cli",
): Promise<void> {
  const start = ({ dir, tmp, notebook }: RunnerPlace) =>
    caller === "cli"
      ? spawnRunner([notebook, "--out", join(dir, "out")], tmp)
      : spawnLibraryCaller(dir, notebook, tmp);
  await withRunner(
    "emargin-life-",
    "long.ipynb",
    longCells(body),
    start,
    async ({ dir, tmp, runner, stderr }) => {
      const pidFile = join(dir, "kernel.pid");
      const started = await eventually(
        () => Deno.stat(pidFile).then(() => true, () => false),
        90_000,
      );
      assert.ok(started, "the long cell never started");
      const kernelPid = Number(await Deno.readTextFile(pidFile));
      const conn = await connectionFile(kernelPid);
      assert.ok(conn.startsWith(tmp), `${conn} is not under ${tmp}`);
      assert.equal((await Deno.stat(conn)).mode! & 0o777, 0o600, "connection file mode");
      assert.equal((await Deno.stat(join(conn, ".."))).mode! & 0o777, 0o700, "folder mode");
      await new Promise((r) => setTimeout(r, 300));

      runner.kill(signal);
      const status = await runner.status;
      if (expectedCode !== null) assert.equal(status.code, expectedCode, await stderr);
      const gone = await eventually(
        async () => (await processesMentioning(tmp)).length === 0,
        15_000,
      );
      assert.ok(
        gone,
        `processes left behind: ${
          (await processesMentioning(tmp)).join(", ")
        } (kernel ${kernelPid})`,
      );
      assert.deepEqual(await entries(tmp), [], "the connection folder is left behind");
      assert.deepEqual(await entries(join(dir, "out")), [], "an executed notebook was written");
    },
  );
}

Deno.test("lifetime: SIGINT to the runner mid-cell stops the kernel and removes its folder", async () => {
  await signalMidCell("SIGINT", SLEEPING, 130);
});

Deno.test("lifetime: SIGTERM to the runner mid-cell (a cell spinning) stops the kernel", async () => {
  await signalMidCell("SIGTERM", SPINNING, 143);
});

Deno.test("lifetime: SIGKILL of the runner mid-cell leaves no kernel and no folder", async () => {
  await signalMidCell("SIGKILL", SLEEPING, null);
});

Deno.test("lifetime: a script calling runNotebook (as the report does) gets the same clean-up", async () => {
  await signalMidCell("SIGTERM", SLEEPING, 143, "library");
});
