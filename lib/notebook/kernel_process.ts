/**
 * Starts and stops the Deno Jupyter kernel process (`deno jupyter --kernel
 * --conn FILE`) with a connection file of free loopback ports and a fresh HMAC
 * key. No Python and no installed kernelspec are needed.
 *
 * The kernel runs under a watchdog process (`kernel_watchdog.ts`): this process
 * holds the watchdog's standard input, and when it ends — normally, by a
 * signal or by SIGKILL — the pipe closes and the watchdog stops the kernel
 * (SIGTERM, then SIGKILL) and removes the connection folder. Orderly stops
 * (interrupt, `shutdown_request`, then signals) are the runner's; see
 * `lifetime.ts` for SIGINT, SIGTERM and SIGHUP.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { KernelError } from "./errors.ts";
import { randomKey } from "./protocol.ts";

/** The connection file's content (Jupyter client spec). */
export interface ConnectionInfo {
  ip: string;
  transport: "tcp";
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: "hmac-sha256";
  kernel_name: string;
}

/** A running kernel process, started under its watchdog (`kernel_watchdog.ts`). */
export interface KernelProcess {
  /** Operating-system process id of the kernel. */
  readonly pid: number;
  /** Process id of the watchdog between this process and the kernel. */
  readonly watchdogPid: number;
  readonly connection: ConnectionInfo;
  /** The folder holding `connection.json` (mode 0700; the file is 0600). */
  readonly connectionDir: string;
  /** Resolves with the kernel's exit status when it has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Whether the kernel has not exited yet. */
  alive(): boolean;
  /** Sends a signal to the kernel (through the watchdog); does nothing once it has exited. */
  signal(signal: Deno.Signal): void;
  /** The last few kilobytes the kernel wrote to stdout and stderr. */
  outputTail(): string;
  /**
   * Ends the kernel: waits up to `graceMs` for it to exit by itself, then
   * sends SIGTERM, and SIGKILL after another `graceMs`. Removes the connection
   * folder. Resolves with the exit status once the kernel and its watchdog are gone.
   */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
  /**
   * Synchronously sends SIGKILL to the kernel and removes the connection
   * folder, for a process that exits now; the watchdog then exits by itself.
   */
  kill(): void;
}

/** Options of {@link startKernelProcess}. */
export interface KernelProcessOptions {
  /** Working directory of the kernel (the notebook's folder). */
  cwd?: string;
  /** Extra environment variables; `NO_COLOR=1` is always set. */
  env?: Record<string, string>;
  /** The `deno` executable that runs the kernel; defaults to `Deno.execPath()`. */
  denoPath?: string;
  /** Milliseconds to wait for the watchdog to report the kernel running (default 30 000). */
  spawnTimeoutMs?: number;
}

const TAIL_BYTES = 8192;

/** The watchdog script, run by `deno run` (see `kernel_watchdog.ts`). */
const WATCHDOG = fileURLToPath(new URL("./kernel_watchdog.ts", import.meta.url));

/** A free TCP port on 127.0.0.1, found by binding port 0 and closing the listener. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Connection info with five distinct free loopback ports and a fresh random key. */
export function makeConnectionInfo(kernelName = "deno"): ConnectionInfo {
  const ports = new Set<number>();
  while (ports.size < 5) ports.add(freePort());
  const [shell, iopub, stdin, control, hb] = [...ports];
  return {
    ip: "127.0.0.1",
    transport: "tcp",
    shell_port: shell,
    iopub_port: iopub,
    stdin_port: stdin,
    control_port: control,
    hb_port: hb,
    key: randomKey(),
    signature_scheme: "hmac-sha256",
    kernel_name: kernelName,
  };
}

async function drainInto(stream: ReadableStream<Uint8Array>, tail: { bytes: Uint8Array }) {
  try {
    for await (const chunk of stream) {
      const joined = new Uint8Array(tail.bytes.length + chunk.length);
      joined.set(tail.bytes);
      joined.set(chunk, tail.bytes.length);
      tail.bytes = joined.slice(Math.max(0, joined.length - TAIL_BYTES));
    }
  } catch {
    // The pipe closes when the process ends; nothing more to read.
  }
}

/** What the watchdog reports on its standard output, one JSON object a line. */
type WatchdogReport = { pid: number } | { exit: { code: number; signal: Deno.Signal | null } };

async function readReports(
  stream: ReadableStream<Uint8Array>,
  onReport: (report: WatchdogReport) => void,
): Promise<void> {
  let pending = "";
  try {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        try {
          onReport(JSON.parse(line) as WatchdogReport);
        } catch {
          // Not a report; the watchdog writes nothing else here.
        }
      }
    }
  } catch {
    // The pipe closes when the watchdog ends.
  }
}

/** Writes the connection file through a temporary name, readable by its owner only. */
async function writeConnectionFile(dir: string, connection: ConnectionInfo): Promise<string> {
  await Deno.chmod(dir, 0o700);
  const file = join(dir, "connection.json");
  const tmp = `${file}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(connection), { mode: 0o600 });
  await Deno.chmod(tmp, 0o600);
  await Deno.rename(tmp, file);
  return file;
}

/** Resolves with `promise`'s value, or `null` after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function removeDirSync(dir: string): void {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // Already removed (by the watchdog).
  }
}

/**
 * `deno jupyter --kernel --conn FILE` in `cwd`, with a new connection file in
 * a fresh `emargin-kernel-*` folder of the system temp directory, started
 * under the watchdog of `kernel_watchdog.ts` so that the kernel ends and the
 * folder goes when this process dies, however it dies.
 *
 * @example
 * ```ts
 * const kernel = await startKernelProcess({ cwd: "notebooks" });
 * // … connectKernel(kernel.connection) …
 * await kernel.stop();
 * ```
 * @throws KernelError when the watchdog or the kernel cannot be started.
 */
export async function startKernelProcess(
  options: KernelProcessOptions = {},
): Promise<KernelProcess> {
  const connection = makeConnectionInfo();
  const dir = await Deno.makeTempDir({ prefix: "emargin-kernel-" });
  let child: Deno.ChildProcess;
  try {
    const file = await writeConnectionFile(dir, connection);
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-config",
        "--no-lock",
        "--no-prompt",
        "--allow-run",
        `--allow-write=${dir}`,
        WATCHDOG,
        dir,
        options.denoPath ?? Deno.execPath(),
        ...["jupyter", "--kernel", "--conn", file],
      ],
      cwd: options.cwd,
      env: { ...options.env, NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new KernelError(`could not start the Deno kernel: ${(err as Error).message}`);
  }
  const tail = { bytes: new Uint8Array(0) };
  const drained = drainInto(child.stderr, tail);
  const stdin = child.stdin.getWriter();
  let kernelPid: number | undefined;
  let started: (pid: number) => void = () => {};
  const pidReported = new Promise<number>((r) => started = r);
  let reportExit: (status: Deno.CommandStatus) => void = () => {};
  const reportedExit = new Promise<Deno.CommandStatus>((r) => reportExit = r);
  const reports = readReports(child.stdout, (report) => {
    if ("pid" in report && typeof report.pid === "number") started(kernelPid = report.pid);
    else if ("exit" in report) {
      const { code, signal } = report.exit;
      reportExit({ success: code === 0 && signal === null, code, signal });
    }
  });
  let running = true;
  const exited = Promise.race([
    reportedExit,
    child.status.then(async (watchdog) => {
      await reports;
      return await within(reportedExit, 0) ?? watchdog;
    }),
  ]).then((status) => {
    if (running && kernelPid !== undefined) {
      // The watchdog died without reporting the kernel's end: end it here.
      try {
        Deno.kill(kernelPid, "SIGKILL");
      } catch {
        // Gone already.
      }
    }
    running = false;
    return status;
  });

  const pid = await within(Promise.race([pidReported, exited]), options.spawnTimeoutMs ?? 30_000);
  if (typeof pid !== "number") {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited already.
    }
    await child.status;
    await drained;
    removeDirSync(dir);
    throw new KernelError(
      `could not start the Deno kernel (${
        pid === null ? "no answer from its watchdog" : "the watchdog exited"
      }): ${new TextDecoder().decode(tail.bytes)}`,
    );
  }
  const signal = (sig: Deno.Signal) => {
    if (running) stdin.write(new TextEncoder().encode(`${sig}\n`)).catch(() => {});
  };
  let stopping: Promise<Deno.CommandStatus> | undefined;
  return {
    pid,
    watchdogPid: child.pid,
    connection,
    connectionDir: dir,
    exited,
    alive: () => running,
    signal,
    outputTail: () => new TextDecoder().decode(tail.bytes),
    stop(graceMs = 1000) {
      stopping ??= (async () => {
        if (running && (await within(exited, graceMs)) === null) {
          signal("SIGTERM");
          if ((await within(exited, graceMs)) === null) signal("SIGKILL");
        }
        const status = await exited;
        await stdin.close().catch(() => {});
        if ((await within(child.status, graceMs)) === null) child.kill("SIGKILL");
        await child.status;
        await drained;
        removeDirSync(dir);
        return status;
      })();
      return stopping;
    },
    kill() {
      if (running) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Gone already.
        }
      }
      removeDirSync(dir);
    },
  };
}
