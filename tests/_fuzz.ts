/**
 * What the readers' fuzz tests share: a seeded pick from a list, and the
 * verdict on one damaged input (a typed error naming the file and the field,
 * or exactly the undamaged result).
 *
 * @module
 */
import assert from "node:assert/strict";
import { DataFormatError } from "../lib/errors.ts";
import type { Rng } from "../lib/random.ts";

/** One of `xs`, drawn with `rng`. */
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/**
 * Runs one damaged case: it must raise a DataFormatError whose message starts
 * with one of `files` (`"file: …"`) and names a non-blank field, or return a
 * result deep-equal to `reference`. Returns true when it raised; `label`
 * names the case in every failure.
 *
 * @example
 * ```ts
 * const raised = checkDamaged("case 3", "fuzz.edf", () => readEdf(bytes, "fuzz.edf"), reference);
 * ```
 */
export function checkDamaged(
  label: string,
  files: string | string[],
  run: () => unknown,
  reference: unknown,
): boolean {
  let result: unknown;
  try {
    result = run();
  } catch (e) {
    assert.ok(
      e instanceof DataFormatError,
      `${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : e}`,
    );
    const named = [files].flat().some((file) => e.message.startsWith(`${file}: `));
    assert.ok(named, `${label}: message does not name ${files}: ${e.message}`);
    assert.ok(e.field.trim() !== "", `${label}: no field in ${e.message}`);
    assert.ok(e.message.includes(e.field), `${label}: the message does not name ${e.field}`);
    return true;
  }
  assert.deepEqual(result, reference, `${label}: accepted with a different result`);
  return false;
}
