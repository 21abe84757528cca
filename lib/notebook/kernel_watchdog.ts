/**
 * The kernel's parent-death watchdog, run as its own small process between
 * the runner and the kernel:
 *
 *     deno run --allow-run --allow-write=DIR kernel_watchdog.ts DIR COMMAND ARGS…
 *
 * It starts COMMAND (the Deno kernel) and writes one JSON line on standard
 * output when the kernel runs, `{"pid":N}`, and one when it has exited,
 * `{"exit":{"code":C,"signal":S}}`. The kernel's own standard output and error
 * are copied to the watchdog's standard error.
 *
 * Standard input carries the runner's requests, one signal name a line
 * (`SIGINT`, `SIGTERM`, `SIGKILL`), delivered to the kernel. The kernel is
 * stopped (SIGTERM, then SIGKILL after {@link KILL_AFTER_MS}) when
 *
 * - standard input ends: the runner closed it, or died — even by SIGKILL, the
 *   kernel's pipe end closes with the process;
 * - the watchdog's parent process changes (polled every {@link POLL_MS}), in
 *   case the pipe's write end outlived the runner in another process;
 * - the watchdog receives SIGTERM or SIGHUP.
 *
 * SIGINT is ignored: a terminal's Ctrl-C reaches the whole process group, and
 * the runner, which also receives it, decides how the kernel ends. Once the
 * kernel has exited, the watchdog removes DIR (the connection folder, which
 * holds the HMAC key) and exits.
 *
 * Linux's `PR_SET_PDEATHSIG` is not reachable from Deno and would not remove
 * the folder, and no npm package supervises a child this way under Deno, so
 * this is written by hand. It imports nothing, so it starts in milliseconds.
 *
 * @module
 */

/** Milliseconds between SIGTERM and SIGKILL when the watchdog stops the kernel. */
const KILL_AFTER_MS = 2000;
/** Milliseconds between two checks of the parent process id. */
const POLL_MS = 250;

const encoder = new TextEncoder();

/** Milliseconds to wait for the kernel's pipes to close after it exited (a grandchild may hold them). */
const DRAIN_MS = 1000;

async function writeAll(
  writer: { write(bytes: Uint8Array): Promise<number> },
  bytes: Uint8Array,
): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await writer.write(bytes.subarray(at));
}

/** Copies a stream to standard error; keeps draining (so the kernel never blocks) once that fails. */
async function forward(stream: ReadableStream<Uint8Array>): Promise<void> {
  let open = true;
  for await (const chunk of stream) {
    if (!open) continue;
    try {
      await writeAll(Deno.stderr, chunk);
    } catch {
      open = false; // the runner is gone
    }
  }
}

async function report(value: unknown): Promise<void> {
  try {
    await writeAll(Deno.stdout, encoder.encode(`${JSON.stringify(value)}\n`));
  } catch {
    // Nobody reads any more; the clean-up goes on.
  }
}

async function main(dir: string, command: string, args: string[]): Promise<number> {
  const parent = Deno.ppid;
  const kernel = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const drained = Promise.all([forward(kernel.stdout), forward(kernel.stderr)]);
  const send = (signal: Deno.Signal) => {
    try {
      kernel.kill(signal);
    } catch {
      // Already exited, or not a signal this platform knows.
    }
  };
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = () => {
    if (killTimer !== undefined) return;
    send("SIGTERM");
    killTimer = setTimeout(() => send("SIGKILL"), KILL_AFTER_MS);
  };
  const poll = setInterval(() => {
    if (Deno.ppid !== parent) stop();
  }, POLL_MS);
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGHUP", stop);
  await report({ pid: kernel.pid });

  (async () => {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of Deno.stdin.readable) {
        const lines = (pending + decoder.decode(chunk, { stream: true })).split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          if (/^SIG[A-Z0-9]+$/.test(line.trim())) send(line.trim() as Deno.Signal);
        }
      }
    } catch {
      // A broken pipe is an end of input.
    }
    stop();
  })();

  const status = await kernel.status;
  clearTimeout(killTimer);
  clearInterval(poll);
  await Promise.race([drained, new Promise((r) => setTimeout(r, DRAIN_MS))]);
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already removed by the runner.
  }
  await report({ exit: { code: status.code, signal: status.signal } });
  return 0;
}

if (import.meta.main) {
  const [dir, command, ...args] = Deno.args;
  if (!dir || !command) {
    console.error("usage: kernel_watchdog.ts DIR COMMAND [ARGS…]");
    Deno.exit(2);
  }
  Deno.exit(await main(dir, command, args));
}
