/**
 * The kernel's parent-death watchdog, run as its own small process beside
 * the kernel:
 *
 *     deno run --allow-run --allow-read=/proc --allow-write=DIR kernel_watchdog.ts DIR PID
 *
 * PID is the kernel, DIR its connection folder (which holds the HMAC key).
 * The runner keeps the watchdog's standard input open and closes it once the
 * kernel has exited and been reaped. The watchdog acts when
 *
 * - standard input ends: the runner closed it, or died — even by SIGKILL, the
 *   pipe's end closes with the process;
 * - the watchdog's parent process changes (polled every {@link POLL_MS}), in
 *   case the pipe's write end outlived the runner in another process;
 * - the watchdog receives SIGTERM or SIGHUP.
 *
 * It then ends the kernel if it still runs — SIGTERM, SIGKILL after
 * {@link KILL_AFTER_MS} — removes DIR and exits. SIGINT is ignored: a
 * terminal's Ctrl-C reaches the whole process group, and the runner, which also
 * receives it, decides how the kernel ends.
 *
 * A process id can be reused once its process is reaped, so PID counts as the
 * kernel only while `/proc/PID/cmdline` names DIR (where `/proc` exists).
 *
 * Linux's `PR_SET_PDEATHSIG` is not reachable from Deno and would not remove
 * the folder, and no npm package supervises a process this way under Deno, so
 * this is written by hand. It imports nothing, so it starts quickly, and it
 * starts beside the kernel, so the kernel's start does not wait for it.
 *
 * @module
 */

/** Milliseconds between SIGTERM and SIGKILL when the watchdog ends the kernel. */
const KILL_AFTER_MS = 2000;
/** Milliseconds between two checks of the parent process id or of the kernel. */
const POLL_MS = 100;

/** Whether `pid` is a live process whose command line names `dir`. */
function isKernel(pid: number, dir: string): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    if (/^\d+ \(.*\) Z/s.test(stat)) return false; // exited, not yet reaped
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(dir);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    // No /proc here (or not readable): trust the pid while a signal reaches it.
    try {
      Deno.kill(pid, "SIGCONT");
      return true;
    } catch {
      return false;
    }
  }
}

function send(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(pid, signal);
  } catch {
    // Exited meanwhile.
  }
}

/** Ends the kernel if it still runs and removes its folder. */
async function endKernel(pid: number, dir: string): Promise<void> {
  if (isKernel(pid, dir)) {
    send(pid, "SIGTERM");
    const deadline = Date.now() + KILL_AFTER_MS;
    while (isKernel(pid, dir) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (isKernel(pid, dir)) send(pid, "SIGKILL");
  }
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already removed by the runner.
  }
}

async function main(dir: string, pid: number): Promise<void> {
  const parent = Deno.ppid;
  let wake: () => void = () => {};
  const triggered = new Promise<void>((r) => wake = r);
  const poll = setInterval(() => {
    if (Deno.ppid !== parent) wake();
  }, POLL_MS);
  Deno.addSignalListener("SIGINT", () => {});
  Deno.addSignalListener("SIGTERM", () => wake());
  Deno.addSignalListener("SIGHUP", () => wake());
  (async () => {
    try {
      for await (const _ of Deno.stdin.readable) {
        // Nothing is sent; only the end of input matters.
      }
    } catch {
      // A broken pipe is an end of input.
    }
    wake();
  })();
  await triggered;
  clearInterval(poll);
  await endKernel(pid, dir);
}

if (import.meta.main) {
  const [dir, pidText] = Deno.args;
  const pid = Number(pidText);
  if (!dir || !Number.isSafeInteger(pid) || pid <= 0) {
    console.error("usage: kernel_watchdog.ts DIR PID");
    Deno.exit(2);
  }
  await main(dir, pid);
  Deno.exit(0);
}
