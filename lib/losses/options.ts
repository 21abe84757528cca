/**
 * Validation of the options and input shapes shared by the losses.
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";
import type { Tensor } from "../tf.ts";

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

/**
 * Checks that raw inputs `x` (`[N, F]` or `[B, T, F]`) hold `n` frames, the
 * rows of the embeddings they belong to.
 */
export function checkRawInputs(x: Tensor, n: number): void {
  const rows = x.rank >= 1 ? x.size / Math.max(x.shape[x.rank - 1], 1) : 0;
  if (rows !== n) {
    throw new ShapeError(
      `x: expected raw inputs with N = ${n} rows ([N, F] or [B, T, F] with B·T = N), got shape [${
        x.shape.join(", ")
      }]`,
    );
  }
}
