/**
 * Test helpers for external programs (Chromium, Jupyter): finding them on
 * `PATH`, and whether a missing one is a failure (under `CI=true`) or a
 * reason to ignore the test with a message. (Chromium itself is found by
 * `findChromium` of `lib/report/mod.ts`.)
 *
 * @module
 */
import { delimiter, join } from "node:path";

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
