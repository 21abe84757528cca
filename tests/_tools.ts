/**
 * Test helpers for external programs (Chromium, Jupyter): finding them on
 * `PATH`, and whether a missing one is a failure (under `CI=true`) or a
 * reason to ignore the test with a message. (Chromium itself is found by
 * `findChromium` of `lib/report/mod.ts`.)
 *
 * @module
 */
import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { findChromium } from "../lib/report/mod.ts";

/** The first of `names` found as an executable file on `PATH`, or null. */
export function findExecutable(names: readonly string[]): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(delimiter).filter(Boolean);
  for (const name of names) {
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

/** Under `CI=true` a missing program fails its test instead of ignoring it. */
export const REQUIRE_TOOLS: boolean = Deno.env.get("CI") === "true";

/**
 * Whether a test needing `tool` is ignored: true when it is absent and CI
 * does not require it, after printing why (`test: what is missing, how to get it`).
 */
export function ignoreWithout(
  tool: string | null,
  test: string,
  missing: string,
): boolean {
  if (tool || REQUIRE_TOOLS) return false;
  console.warn(`${test}: ${missing}; the test is ignored (with CI=true it fails).`);
  return true;
}

/** A test that needs an external program: see {@linkcode toolTest}. */
export interface ToolTest {
  /** The test's name. */
  name: string;
  /** The test file, named in the message when the test is ignored. */
  file: string;
  /** The program's path, or null where it was not found. */
  tool: string | null;
  /** What is missing and how to get it (the message when the test is ignored). */
  missing: string;
  /** What CI=true requires (the failure when the program is missing there). */
  required: string;
  /** The test, given the program's path and a new temporary folder. */
  fn: (tool: string, dir: string) => Promise<void>;
}

/**
 * Registers a test that runs an external program: ignored, with a message,
 * where the program is missing and CI does not require it (see
 * {@linkcode ignoreWithout}); otherwise `fn` runs with a temporary folder
 * that is removed after, pass or fail. The program may leave resources
 * open, so they are not checked.
 *
 * @example
 * ```ts
 * toolTest({
 *   name: "jupyter runs a notebook",
 *   file: "jupyter_test",
 *   tool: findExecutable(["jupyter"]),
 *   missing: "no jupyter on PATH",
 *   required: "jupyter on PATH",
 *   fn: async (jupyter, dir) => {},
 * });
 * ```
 */
export function toolTest(t: ToolTest): void {
  Deno.test({
    name: t.name,
    ignore: ignoreWithout(t.tool, t.file, t.missing),
    sanitizeResources: false,
    async fn() {
      assert.ok(t.tool, `CI=true requires ${t.required}`);
      const dir = await Deno.makeTempDir();
      try {
        await t.fn(t.tool, dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** A {@linkcode toolTest} on headless Chromium, as `findChromium` of lib/report finds it. */
export function chromiumTest(
  file: string,
  name: string,
  fn: (chromium: string, dir: string) => Promise<void>,
): void {
  toolTest({
    name,
    file,
    tool: findChromium(),
    missing: "no chromium or chromium-browser on PATH (Debian: apt-get install chromium)",
    required: "chromium or chromium-browser on PATH",
    fn,
  });
}
