/**
 * Starts and stops the Deno Jupyter kernel process (`deno jupyter --kernel
 * --conn FILE`) with a connection file of free loopback ports and a fresh HMAC
 * key. No Python and no installed kernelspec are needed.
 *
 * @module
 */
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

/** A running kernel process. */
export interface KernelProcess {
  /** Operating-system process id. */
  readonly pid: number;
  readonly connection: ConnectionInfo;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Whether the process has not exited yet. */
  alive(): boolean;
  /** Sends a signal; does nothing once the process has exited. */
  signal(signal: Deno.Signal): void;
  /** The last few kilobytes the kernel wrote to stdout and stderr. */
  outputTail(): string;
  /**
   * Ends the process: waits up to `graceMs` for it to exit by itself, then
   * sends SIGTERM, and SIGKILL after another `graceMs`. Removes the connection
   * file. Resolves with the exit status once the process is gone.
   */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Options of {@link startKernelProcess}. */
export interface KernelProcessOptions {
  /** Working directory of the kernel (the notebook's folder). */
  cwd?: string;
  /** Extra environment variables; `NO_COLOR=1` is always set. */
  env?: Record<string, string>;
  /** The `deno` executable; defaults to `Deno.execPath()`. */
  denoPath?: string;
}

const TAIL_BYTES = 8192;

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

/** `deno jupyter --kernel --conn FILE` in `cwd`, with a new connection file. */
export async function startKernelProcess(
  options: KernelProcessOptions = {},
): Promise<KernelProcess> {
  const connection = makeConnectionInfo();
  const dir = await Deno.makeTempDir({ prefix: "emargin-kernel-" });
  const connectionFile = `${dir}/connection.json`;
  await Deno.writeTextFile(connectionFile, JSON.stringify(connection), { mode: 0o600 });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.denoPath ?? Deno.execPath(), {
      args: ["jupyter", "--kernel", "--conn", connectionFile],
      cwd: options.cwd,
      env: { ...options.env, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw new KernelError(`could not start the Deno kernel: ${(err as Error).message}`);
  }
  const tail = { bytes: new Uint8Array(0) };
  const drained = Promise.all([drainInto(child.stdout, tail), drainInto(child.stderr, tail)]);
  let running = true;
  const exited = child.status.then((status) => {
    running = false;
    return status;
  });
  const wait = async (ms: number): Promise<Deno.CommandStatus | null> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), ms));
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  let stopping: Promise<Deno.CommandStatus> | undefined;
  const signal = (sig: Deno.Signal) => {
    if (!running) return;
    try {
      child.kill(sig);
    } catch {
      // Exited between the check and the kill.
    }
  };
  return {
    pid: child.pid,
    connection,
    exited,
    alive: () => running,
    signal,
    outputTail: () => new TextDecoder().decode(tail.bytes),
    stop(graceMs = 1000) {
      stopping ??= (async () => {
        if (running && (await wait(graceMs)) === null) {
          signal("SIGTERM");
          if ((await wait(graceMs)) === null) signal("SIGKILL");
        }
        const status = await exited;
        await drained;
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        return status;
      })();
      return stopping;
    },
  };
}
