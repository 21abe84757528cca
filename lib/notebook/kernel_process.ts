/**
 * Starts and stops the Deno Jupyter kernel process (`deno jupyter --kernel
 * --conn FILE`) with a connection file of free loopback ports and a fresh HMAC
 * key. No Python and no installed kernelspec are needed.
 *
 * A watchdog process (`kernel_watchdog.ts`) starts beside the kernel: this
 * process holds the watchdog's standard input, and when it ends — normally,
 * by a signal or by SIGKILL — the pipe closes and the watchdog ends the kernel
 * if it still runs (SIGTERM, then SIGKILL) and removes the connection folder.
 * Orderly stops (interrupt, `shutdown_request`, then signals) are the
 * runner's; see `lifetime.ts` for SIGINT, SIGTERM and SIGHUP.
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

/** A running kernel process, watched by its watchdog (`kernel_watchdog.ts`). */
export interface KernelProcess {
  /** Operating-system process id of the kernel. */
  readonly pid: number;
  /** Process id of the kernel's watchdog. */
  readonly watchdogPid: number;
  readonly connection: ConnectionInfo;
  /** The folder holding `connection.json` (mode 0700; the file is 0600). */
  readonly connectionDir: string;
  /** Resolves with the kernel's exit status when it has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Whether the kernel has not exited yet. */
  alive(): boolean;
  /** Sends a signal to the kernel; does nothing once it has exited. */
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
   * folder, for a process that exits now; the watchdog exits with it.
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

/** Starts the watchdog of `kernel_watchdog.ts` for the kernel `pid`. */
function startWatchdog(dir: string, pid: number): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-prompt",
      "--allow-run",
      "--allow-read=/proc",
      `--allow-write=${dir}`,
      WATCHDOG,
      dir,
      String(pid),
    ],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function spawnKernel(file: string, options: KernelProcessOptions): Deno.ChildProcess {
  return new Deno.Command(options.denoPath ?? Deno.execPath(), {
    args: ["jupyter", "--kernel", "--conn", file],
    cwd: options.cwd,
    env: { ...options.env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * `deno jupyter --kernel --conn FILE` in `cwd`, with a new connection file in
 * a fresh `emargin-kernel-*` folder of the system temp directory, and its
 * watchdog, so that the kernel ends and the folder goes when this process
 * dies, however it dies.
 *
 * @example
 * ```ts
 * const kernel = await startKernelProcess({ cwd: "notebooks" });
 * // … connectKernel(kernel.connection) …
 * await kernel.stop();
 * ```
 * @throws KernelError when the kernel or its watchdog cannot be started.
 */
export async function startKernelProcess(
  options: KernelProcessOptions = {},
): Promise<KernelProcess> {
  const connection = makeConnectionInfo();
  const dir = await Deno.makeTempDir({ prefix: "emargin-kernel-" });
  let child: Deno.ChildProcess | undefined;
  let watchdog: Deno.ChildProcess;
  try {
    child = spawnKernel(await writeConnectionFile(dir, connection), options);
    watchdog = startWatchdog(dir, child.pid);
  } catch (err) {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
    }
    removeDirSync(dir);
    throw new KernelError(`could not start the Deno kernel: ${(err as Error).message}`);
  }
  const guard = watchdog.stdin.getWriter();
  const tail = { bytes: new Uint8Array(0) };
  const drained = Promise.all([drainInto(child.stdout, tail), drainInto(child.stderr, tail)]);
  let running = true;
  const exited = child.status.then((status) => {
    running = false;
    return status;
  });
  const signal = (sig: Deno.Signal) => {
    if (!running) return;
    try {
      child.kill(sig);
    } catch {
      // Exited between the check and the kill.
    }
  };
  let stopping: Promise<Deno.CommandStatus> | undefined;
  return {
    pid: child.pid,
    watchdogPid: watchdog.pid,
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
        await drained;
        removeDirSync(dir);
        // The kernel is reaped: the watchdog may go.
        await guard.close().catch(() => {});
        if ((await within(watchdog.status, graceMs)) === null) watchdog.kill("SIGKILL");
        await watchdog.status;
        return status;
      })();
      return stopping;
    },
    kill() {
      signal("SIGKILL");
      removeDirSync(dir);
    },
  };
}
