/**
 * State-dict plumbing shared by the encoders: uniform initialisation, copying
 * variables out in torch layout and loading them back with shape checks.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Variable } from "../tf.ts";
import { ShapeError } from "../errors.ts";
import type { Rng } from "../random.ts";
import type { StateDict } from "./types.ts";
import { dataSyncOrThrow } from "../backend.ts";

/**
 * A float32 variable filled with `U(−bound, bound)` draws from `rng`
 * (torch's default Conv1d/Linear init has `bound = 1/√fan_in`).
 */
export function uniformVariable(
  shape: number[],
  bound: number,
  rng: Rng,
  name: string,
): Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * bound;
  return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, uniqueName(name)));
}

/** A float32 variable filled with `value`. */
export function constantVariable(
  shape: number[],
  value: number,
  trainable: boolean,
  name: string,
): Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value), trainable, uniqueName(name)));
}

let counter = 0;
// tfjs keeps a global registry of variable names; two encoders alive at once
// must not collide, so every variable gets a process-unique suffix.
function uniqueName(name: string): string {
  return `${name}#${counter++}`;
}

/** Number of trainable scalars in `vars` (the sum of their sizes). */
export function countParameters(vars: Record<string, Variable>): number {
  return Object.values(vars).reduce((n, v) => n + v.size, 0);
}

/**
 * Copies variables out. `torchShapes` gives the torch shape per name where it
 * differs from the variable's (e.g. `[out, in, 1]` for a `[out, in]` weight).
 */
export function readState(
  vars: Record<string, Variable>,
  torchShapes: Record<string, number[]> = {},
): StateDict {
  const out: StateDict = {};
  for (const [name, v] of Object.entries(vars)) {
    out[name] = {
      shape: torchShapes[name] ?? v.shape.slice(),
      values: Float32Array.from(dataSyncOrThrow(v, `stateDict "${name}"`)),
    };
  }
  return out;
}

/**
 * Assigns `state[name]` to every variable in `vars`. Throws `ShapeError` when
 * an entry is missing or its size differs from the variable's.
 */
export function writeState(
  vars: Record<string, Variable>,
  state: StateDict,
): void {
  for (const [name, v] of Object.entries(vars)) {
    const entry = state[name];
    if (!entry) {
      throw new ShapeError(`state dict: missing entry "${name}" (shape [${v.shape}])`);
    }
    if (entry.values.length !== v.size) {
      throw new ShapeError(
        `state dict: "${name}" has ${entry.values.length} values (shape [${entry.shape}]), ` +
          `expected ${v.size} (shape [${v.shape}])`,
      );
    }
    tf.tidy(() => v.assign(tf.tensor(entry.values, v.shape)));
  }
}
