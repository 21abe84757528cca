/**
 * Headless Chromium for the report: screenshots and the DOM after load, at a
 * given window size. Chromium's own command-line modes (`--screenshot`,
 * `--dump-dom`) do all that is needed, so no DevTools-protocol client is
 * involved.
 *
 * @module
 */
import { delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";
import { OptionError } from "../errors.ts";
import { ReportError } from "./errors.ts";

/** `chromium` or `chromium-browser` from `PATH` (or `$CHROMIUM`), or null. */
export function findChromium(): string | null {
  const explicit = Deno.env.get("CHROMIUM");
  if (explicit) return explicit;
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter).filter(Boolean);
  for (const name of ["chromium", "chromium-browser"]) {
    for (const dir of dirs) {
      try {
        const info = Deno.statSync(join(dir, name));
        if (info.isFile && (info.mode ?? 0o111) & 0o111) return join(dir, name);
      } catch {
        // not in this directory
      }
    }
  }
  return null;
}

/** Options of {@linkcode screenshot} and {@linkcode dumpDom}. */
export interface BrowserOptions {
  /** The Chromium executable; default {@linkcode findChromium}. */
  chromium?: string;
  /** Window size in CSS pixels. Default 1400 × 900. */
  width?: number;
  height?: number;
  /** Give up after this many seconds. Default 120. */
  timeoutSeconds?: number;
}

async function runChromium(args: string[], options: BrowserOptions): Promise<string> {
  const chromium = options.chromium ?? findChromium();
  if (!chromium) {
    throw new OptionError(
      "chromium: expected chromium or chromium-browser on PATH (Debian: apt-get install chromium)",
    );
  }
  const { width = 1400, height = 900, timeoutSeconds = 120 } = options;
  const profile = await Deno.makeTempDir({ prefix: "emargin-chromium-" });
  try {
    const { code, stdout, stderr } = await new Deno.Command(chromium, {
      args: [
        "--headless",
        "--disable-gpu",
        "--no-sandbox",
        "--no-first-run",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        ...args,
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    }).output();
    if (code !== 0) {
      throw new ReportError(
        null,
        `chromium ${args.join(" ")}: expected exit status 0, found ${code}: ${
          new TextDecoder().decode(stderr).slice(-1500)
        }`,
      );
    }
    return new TextDecoder().decode(stdout);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/**
 * Writes a PNG screenshot of the window's first screen (`width` × `height`)
 * of the HTML file `htmlFile` to `pngFile`.
 *
 * @example
 * ```ts ignore
 * import { screenshot } from "./browser.ts";
 * await screenshot("reports/index.html", "shot-800.png", { width: 800, height: 900 });
 * ```
 */
export async function screenshot(
  htmlFile: string,
  pngFile: string,
  options: BrowserOptions = {},
): Promise<void> {
  await runChromium([`--screenshot=${pngFile}`, pathToFileURL(htmlFile).href], options);
}

/**
 * The serialised DOM of `htmlFile` once it has loaded and its scripts have
 * run (virtual time lets `load` handlers finish before the dump).
 */
export function dumpDom(htmlFile: string, options: BrowserOptions = {}): Promise<string> {
  return runChromium(
    ["--virtual-time-budget=10000", "--dump-dom", pathToFileURL(htmlFile).href],
    options,
  );
}
