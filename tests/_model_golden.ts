/**
 * The three-step training golden (`../shared/golden/model.json`) as the
 * training tests read it: its entries, the state dict they make, and the
 * tolerances for the state after a step.
 */
import type { StateDict } from "../lib/encoders/mod.ts";
import { assertClose, flat } from "./_util.ts";

/** One tensor of the golden. */
export interface GoldenEntry {
  shape: number[];
  values: unknown;
}

/** The golden's fields the tests use. */
export interface ModelGolden {
  about: { config: { temperature: number; margin: number; margin_thresh: number } };
  init_state: Record<string, GoldenEntry>;
  x: number[][][];
  simVector: number[];
  featuresStep0: number[][];
  loss: number[];
  gradsStep0: Record<string, GoldenEntry>;
  paramsAfterStep: Record<string, GoldenEntry>[];
  xEval: number[][][];
  evalFeatures: number[][][];
}

/** The conv biases, whose gradient is float32 noise around 0 (BatchNorm removes them). */
export const CONV_BIAS = /^conv\d\.bias$/;

/** A state dict of golden entries. */
export function toState(entries: Record<string, GoldenEntry>): StateDict {
  const out: StateDict = {};
  for (const [name, e] of Object.entries(entries)) {
    out[name] = { shape: e.shape, values: Float32Array.from(flat(e.values)) };
  }
  return out;
}

/**
 * Asserts one tensor of the state after step `s` (0-based) against the
 * golden: conv biases within 2·lr per step (the noise gradient moves each
 * entry by ±lr per step on either side, golden precisionNotes), running means
 * within the momentum-scaled share of that drift, everything else 1e-5
 * relative.
 */
export function assertStateEntry(
  key: string,
  actual: ArrayLike<number>,
  entry: GoldenEntry,
  s: number,
): void {
  const want = flat(entry.values);
  const label = `step ${s + 1} ${key}`;
  if (CONV_BIAS.test(key)) {
    assertClose(actual, want, { rtol: 0, atol: 2e-3 * (s + 1) + 1e-6, label });
  } else if (key.endsWith("running_mean")) {
    // sees the conv-bias drift of earlier steps through the batch mean, scaled by the momentum 0.1
    assertClose(actual, want, { rtol: 1e-5, atol: 2e-4 * (s + 1), label });
  } else {
    assertClose(actual, want, { rtol: 1e-5, atol: 1e-6, label });
  }
}
