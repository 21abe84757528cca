/**
 * Kernels die with the process that runs them. While at least one kernel is
 * held, this module listens for SIGINT, SIGTERM and SIGHUP; on the first one it
 * stops every held kernel in order (each run's `stop`: interrupt, shutdown
 * request, SIGTERM, SIGKILL; the connection folder removed) and then exits the
 * process with status 128 + the signal's number (130, 143, 129), as the
 * default action would have. A second signal, or a stop that takes longer
 * than {@link STOP_LIMIT_MS}, kills the kernels at once (SIGKILL, folder
 * removed) and exits. An `unload` (the process exiting through `Deno.exit`
 * with a kernel still held) kills them the same way.
 *
 * SIGKILL of the process cannot be caught: the watchdog of
 * `kernel_watchdog.ts` covers it. When no kernel is held the listeners are
 * removed and the signals have their default effect again.
 *
 * @module
 */

/** A running kernel as the process-exit paths see it. */
export interface HeldKernel {
  /** Stops the kernel in order; resolves when it and its folder are gone. */
  stop(): Promise<void>;
  /** SIGKILL and folder removal, synchronously. */
  kill(): void;
}

/** Milliseconds an orderly stop may take on a signal before the kernels are killed. */
export const STOP_LIMIT_MS = 10_000;

const EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
type ExitSignal = keyof typeof EXIT_CODES;

const held = new Set<HeldKernel>();
let exiting = false;
const listeners = new Map<ExitSignal, () => void>();

function killAll(): void {
  for (const kernel of held) kernel.kill();
}

function onSignal(signal: ExitSignal): void {
  const code = EXIT_CODES[signal];
  if (exiting) {
    killAll();
    Deno.exit(code);
  }
  exiting = true;
  const limit = setTimeout(() => {
    killAll();
    Deno.exit(code);
  }, STOP_LIMIT_MS);
  Promise.allSettled([...held].map((kernel) => kernel.stop())).then(() => {
    clearTimeout(limit);
    Deno.exit(code);
  });
}

function install(): void {
  for (const signal of Object.keys(EXIT_CODES) as ExitSignal[]) {
    const listener = () => onSignal(signal);
    listeners.set(signal, listener);
    Deno.addSignalListener(signal, listener);
  }
  globalThis.addEventListener("unload", killAll);
}

function uninstall(): void {
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  listeners.clear();
  globalThis.removeEventListener("unload", killAll);
}

/** Whether a signal is ending the process (the held kernels are being stopped). */
export function exitingOnSignal(): boolean {
  return exiting;
}

/**
 * Holds `kernel` until the returned function is called: a SIGINT, SIGTERM or
 * SIGHUP meanwhile stops it and exits the process (see the module doc).
 *
 * @example
 * ```ts
 * const release = holdKernel({ stop: () => kernel.stop().then(() => {}), kill: kernel.kill });
 * try {
 *   // … run cells …
 * } finally {
 *   await kernel.stop();
 *   release();
 * }
 * ```
 */
export function holdKernel(kernel: HeldKernel): () => void {
  if (held.size === 0 && !exiting) install();
  held.add(kernel);
  return () => {
    if (!held.delete(kernel) || held.size > 0 || exiting) return;
    uninstall();
  };
}
