/**
 * Validation of the scalar options shared by the losses.
 *
 * @module
 */
import { OptionError } from "../errors.ts";

/** @throws {OptionError} unless `τ` is finite and > 0. */
export function checkTemperature(temperature: number): void {
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new OptionError(`temperature: expected a finite number > 0, got ${temperature}`);
  }
}

/** @throws {OptionError} unless `m` is finite. */
export function checkMargin(margin: number): void {
  if (!Number.isFinite(margin)) {
    throw new OptionError(`margin: expected a finite number, got ${margin}`);
  }
}

/** @throws {OptionError} unless `γ` is finite. */
export function checkGamma(gamma: number): void {
  if (!Number.isFinite(gamma)) {
    throw new OptionError(`gamma: expected a finite number, got ${gamma}`);
  }
}
