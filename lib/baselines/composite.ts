/**
 * Encoders made of a core frame encoder plus extra variables that the
 * official optimiser updates (TimeDRL's heads, CoST's query head), with
 * the core's parameters exposed as trainable or kept frozen.
 *
 * @module
 */
import type { Tensor3D, Variable } from "../tf.ts";
import { countParameters, readState, writeState } from "../encoders/mod.ts";
import type { ApplyOptions, Encoder, StateDict } from "../encoders/mod.ts";
import { OptionError } from "../errors.ts";

/** An {@linkcode Encoder} with its core and its extra variables reachable. */
export interface CompositeEncoder extends Encoder {
  /** The frame encoder `apply` runs. */
  readonly core: Encoder;
  /** Extra variables by state-dict name (trainable ones are in `params`). */
  readonly extras: Record<string, Variable>;
}

/** Options of {@linkcode compositeEncoder}. */
export interface CompositeOptions {
  name: string;
  core: Encoder;
  /** State-dict prefix of the core's entries, e.g. `"encoder."`. */
  corePrefix: string;
  /** Trainable extras (in `params`). */
  extras: Record<string, Variable>;
  /** Non-trainable extras (in `buffers`). */
  extraBuffers?: Record<string, Variable>;
  /** Whether the core's parameters are in `params` (false: frozen). */
  trainCore: boolean;
  /** Eval/train forward; the core's `apply` by default. */
  apply?: (x: Tensor3D, options: ApplyOptions) => Tensor3D;
}

function prefixed<T>(record: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [prefix + k, v]));
}

/** A core encoder plus extra variables, as one {@linkcode Encoder}. */
export function compositeEncoder(o: CompositeOptions): CompositeEncoder {
  const extraBuffers = o.extraBuffers ?? {};
  const params = { ...(o.trainCore ? prefixed(o.core.params, o.corePrefix) : {}), ...o.extras };
  const buffers = { ...prefixed(o.core.buffers, o.corePrefix), ...extraBuffers };
  return {
    name: o.name,
    inFeatures: o.core.inFeatures,
    outFeatures: o.core.outFeatures,
    params,
    buffers,
    core: o.core,
    extras: { ...o.extras, ...extraBuffers },
    apply: o.apply ?? ((x, options) => o.core.apply(x, options)),
    parameterCount: () => countParameters(params),
    stateDict(): StateDict {
      return {
        ...prefixed(o.core.stateDict(), o.corePrefix),
        ...readState(o.extras),
        ...readState(extraBuffers),
      };
    },
    loadStateDict(state: StateDict): void {
      const core: StateDict = {};
      for (const [k, v] of Object.entries(state)) {
        if (k.startsWith(o.corePrefix)) core[k.slice(o.corePrefix.length)] = v;
      }
      o.core.loadStateDict(core);
      writeState(o.extras, state);
      writeState(extraBuffers, state);
    },
    dispose(): void {
      o.core.dispose();
      for (const v of [...Object.values(o.extras), ...Object.values(extraBuffers)]) v.dispose();
    },
  };
}

/** `encoder` as a composite of architecture `name`, or an `OptionError`. */
export function asComposite(encoder: Encoder, name: string): CompositeEncoder {
  if (encoder.name !== name || !("core" in encoder)) {
    throw new OptionError(
      `${name} objective: expected the encoder of ${name}'s createEncoder, got "${encoder.name}"`,
    );
  }
  return encoder as CompositeEncoder;
}
