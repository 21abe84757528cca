/**
 * Test helpers: golden loading, tolerance checks and temporary folders.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { goldenDir } from "../lib/paths.ts";

/** A golden number: finite values, or "NaN" / "Infinity" / "-Infinity" strings. */
export type GoldenNumber = number | "NaN" | "Infinity" | "-Infinity";

/** Converts golden JSON numbers (non-finite as strings) to numbers. */
export function num(v: GoldenNumber): number {
  if (typeof v === "number") return v;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  throw new TypeError(`not a golden number: ${v}`);
}

/** Reads `../shared/golden/<name>` as JSON. */
export function readGolden<T>(name: string): T {
  return JSON.parse(Deno.readTextFileSync(join(goldenDir(), name))) as T;
}

/** Flattens nested arrays of golden numbers into a Float64Array. */
export function flat(v: unknown): Float64Array {
  const out: number[] = [];
  const walk = (x: unknown) => {
    if (Array.isArray(x)) x.forEach(walk);
    else out.push(num(x as GoldenNumber));
  };
  walk(v);
  return Float64Array.from(out);
}

/**
 * Asserts |a−e| ≤ max(rtol·|e|, atol) elementwise; non-finite values must match
 * in kind (NaN ↔ NaN, +Inf ↔ +Inf).
 */
export function assertClose(
  actual: ArrayLike<number> | number,
  expected: ArrayLike<number> | number,
  { rtol = 1e-5, atol = 1e-6, label = "" }: {
    rtol?: number;
    atol?: number;
    label?: string;
  } = {},
): void {
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  assert.equal(
    a.length,
    e.length,
    `${label}: length ${a.length} ≠ ${e.length}`,
  );
  let worst = 0, worstAt = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i], y = e[i];
    if (!Number.isFinite(y)) {
      assert.ok(
        Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)),
        `${label}[${i}]: ${x} vs ${y}`,
      );
      continue;
    }
    assert.ok(Number.isFinite(x), `${label}[${i}]: got ${x}, expected ${y}`);
    const excess = Math.abs(x - y) - Math.max(rtol * Math.abs(y), atol);
    if (excess > worst) (worst = excess), (worstAt = i);
  }
  assert.ok(
    worstAt < 0,
    `${label}[${worstAt}]: ${a[worstAt]} vs ${e[worstAt]} (rtol ${rtol}, atol ${atol})`,
  );
}

/** Runs `fn` in a new temporary folder named `<prefix>…`, removed afterwards even when `fn` throws. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
