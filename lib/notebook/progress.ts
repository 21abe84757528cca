/**
 * Progress of notebook runs: events from the runner and a reporter writing
 * them to a stream — one line per cell when the stream is not a terminal, one
 * live line with the running cell's elapsed time when it is. Cells are
 * numbered from 1, as in the runner's error messages.
 *
 * @module
 */

/** The outcome of a run or a cell. */
export type RunStatus = "ok" | "error" | "timeout" | "dead";

/**
 * What the runner reports while it works. `cellIndex` is the cell's index in
 * the notebook, from 0; the reporter shows it from 1 (`cell 3/4`), the number
 * every runner message uses for the same cell.
 */
export type ProgressEvent =
  | { kind: "start"; notebook: string; cellCount: number }
  | { kind: "cell-start"; notebook: string; cellIndex: number; cellCount: number }
  | {
    kind: "cell-end";
    notebook: string;
    cellIndex: number;
    cellCount: number;
    seconds: number;
    status: RunStatus;
  }
  | { kind: "end"; notebook: string; status: RunStatus; seconds: number };

/** A progress sink with a `close` to stop its timer. */
export interface ProgressReporter {
  onProgress(event: ProgressEvent): void;
  close(): void;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Writes text (default: standard error). */
  write?: (text: string) => void;
  /** Live updating line (default: `Deno.stderr.isTerminal()`). */
  live?: boolean;
  /** Refresh period of the live line in milliseconds (default 200). */
  refreshMs?: number;
}

const encoder = new TextEncoder();

function cellLine(e: { notebook: string; cellIndex: number; cellCount: number }): string {
  return `${e.notebook} cell ${e.cellIndex + 1}/${e.cellCount}`;
}

/** A reporter for {@link ProgressEvent}s. */
export function createProgressReporter(options: ProgressOptions = {}): ProgressReporter {
  const write = options.write ?? ((text: string) => Deno.stderr.writeSync(encoder.encode(text)));
  const live = options.live ?? Deno.stderr.isTerminal();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopTimer = () => {
    clearInterval(timer);
    timer = undefined;
  };
  return {
    onProgress(event) {
      switch (event.kind) {
        case "cell-start":
          if (live) {
            const started = performance.now();
            const draw = () =>
              write(
                `\r\x1b[2K${cellLine(event)}  ${
                  ((performance.now() - started) / 1000).toFixed(1)
                } s`,
              );
            stopTimer();
            draw();
            timer = setInterval(draw, options.refreshMs ?? 200);
          }
          break;
        case "cell-end": {
          stopTimer();
          const status = event.status === "ok" ? "" : `  ${event.status}`;
          const line = `${cellLine(event)}  ${event.seconds.toFixed(2)} s${status}`;
          write(live ? `\r\x1b[2K${line}` : `${line}\n`);
          break;
        }
        case "end":
          stopTimer();
          write(
            `${live ? "\r\x1b[2K" : ""}${event.notebook}: ${event.status} in ${
              event.seconds.toFixed(2)
            } s\n`,
          );
          break;
      }
    },
    close: stopTimer,
  };
}
