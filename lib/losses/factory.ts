/**
 * One uniform loss signature for the training loop, built from a
 * declarative spec.
 *
 * @module
 */
import type { Scalar, Tensor2D } from "../tf.ts";
import { OptionError } from "../errors.ts";
import { hatclLoss, lsHatclLoss } from "./hatcl.ts";
import { lsMarginLoss, marginLoss, REFERENCE_GAMMA } from "./margin.ts";
import { simVector } from "./sim_vector.ts";
import type { SimVariant } from "./sim_vector.ts";
import { infoNceLoss } from "./infonce.ts";
import { stableMarginLoss } from "./stable.ts";
import type { StableMarginOptions } from "./stable.ts";
import type { LossForm } from "./log_space.ts";
import type { DifficultOptions } from "./difficult.ts";
import type { VrnsCombination } from "./vrns.ts";
import {
  fusedHatclLoss,
  fusedInfoNceLoss,
  fusedLsHatclLoss,
  fusedLsMarginLoss,
  fusedMarginLoss,
  fusedStableMarginLoss,
} from "./fused/mod.ts";

/**
 * A per-frame contrastive loss: `z [N, D]` embeddings and `x [N, F]` raw
 * inputs, flattened in the same sequence-major row order → scalar.
 */
export type ContrastiveLoss = (z: Tensor2D, x: Tensor2D) => Scalar;

/** The reference InfoNCE losses (exp domain). */
export interface HatclSpec {
  kind: "hatcl" | "ls-hatcl";
  temperature: number;
}

/** The reference margin losses; the sim vector is computed from `x` (single for margin, double for ls-margin). */
export interface MarginSpec {
  kind: "margin" | "ls-margin";
  temperature: number;
  margin: number;
  threshold: number;
  simVariant: SimVariant;
  /** γ of LS_MARGIN_LOSS (default 0.05; MARGIN_LOSS has none). */
  gamma?: number;
}

/** Log-space decoupled InfoNCE (variant 1), with the §6 options. */
export interface InfoNceSpec {
  kind: "infonce";
  temperature: number;
  form: LossForm;
  difficult?: DifficultOptions;
  vrns?: VrnsCombination;
}

/** The corrected eMargin (variant 4), with the §6 options. */
export type StableSpec = { kind: "stable" } & StableMarginOptions;

/** Every loss the training loop can use. */
export type LossSpec = HatclSpec | MarginSpec | InfoNceSpec | StableSpec;

/** Options of {@linkcode makeContrastiveLoss}. */
export interface MakeLossOptions {
  /**
   * "fused" (default): the fused, tiled column-sum losses of `./fused/` with
   * analytic gradients, golden-tested to the same values; "reference": the
   * straightforward tfjs transcriptions.
   */
  implementation?: "fused" | "reference";
}

/**
 * Builds the {@linkcode ContrastiveLoss} a spec describes. Options are
 * validated on every call of the returned function (typed errors). The
 * stable loss with `difficult` or `vrns` always uses the direct
 * implementation; the fused log-space InfoNCE falls back to it where its
 * documentation says.
 *
 * @example Log-space InfoNCE on 16 frames of 8-dimensional embeddings
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend } from "../backend.ts";
 * import { tf } from "../tf.ts";
 * import { makeContrastiveLoss } from "./factory.ts";
 *
 * await initBackend({ prefer: "cpu" });
 * const loss = makeContrastiveLoss({ kind: "infonce", temperature: 0.1, form: "ls" });
 * const z = tf.randomNormal<tf.Rank.R2>([16, 8], 0, 1, "float32", 1);
 * const x = tf.randomNormal<tf.Rank.R2>([16, 4], 0, 1, "float32", 2); // raw frames
 * const value = loss(z, x);
 * assert.ok(Number.isFinite(value.dataSync()[0]));
 * tf.dispose([z, x, value]);
 * ```
 */
export function makeContrastiveLoss(
  spec: LossSpec,
  options: MakeLossOptions = {},
): SpecifiedLoss {
  const loss = buildLoss(spec, options);
  // "reference" asks for these very tfjs ops: no other way of running them
  return (options.implementation ?? "fused") === "fused" ? Object.assign(loss, { spec }) : loss;
}

/**
 * A loss built from a spec; the fused implementations carry the spec, so
 * that a training loop can run it another way where it has one (the fused
 * webgpu step of lib/webgpu).
 */
export type SpecifiedLoss = ContrastiveLoss & { readonly spec?: LossSpec };

function buildLoss(spec: LossSpec, options: MakeLossOptions): ContrastiveLoss {
  const fused = (options.implementation ?? "fused") === "fused";
  switch (spec.kind) {
    case "hatcl":
      return (z) => (fused ? fusedHatclLoss(z, spec) : hatclLoss(z, spec));
    case "ls-hatcl":
      return (z) => (fused ? fusedLsHatclLoss(z, spec) : lsHatclLoss(z, spec));
    case "margin":
    case "ls-margin": {
      const length = spec.kind === "margin" ? "single" : "double";
      return (z, x) => {
        const s = simVector(x, { threshold: spec.threshold, variant: spec.simVariant, length });
        try {
          if (spec.kind === "margin") {
            return fused ? fusedMarginLoss(z, s, spec) : marginLoss(z, s, spec);
          }
          return fused ? fusedLsMarginLoss(z, s, spec) : lsMarginLoss(z, s, spec);
        } finally {
          s.dispose();
        }
      };
    }
    case "infonce":
      return (z) => (fused ? fusedInfoNceLoss(z, spec) : infoNceLoss(z, spec));
    case "stable":
      return fused && !spec.difficult && !spec.vrns
        ? (z, x) => fusedStableMarginLoss(z, x, spec)
        : (z, x) => stableMarginLoss(z, x, spec);
    default:
      throw new OptionError(`loss kind: unknown ${(spec as { kind: string }).kind}`);
  }
}

/** A short human label, e.g. "LS_MARGIN (reference v, τ=0.05, m=5, θ=0.4)". */
export function lossSpecLabel(spec: LossSpec): string {
  const form = (f: LossForm) => (f === "ls" ? "LS " : "");
  const extras = (s: InfoNceSpec | StableSpec) =>
    [
      s.difficult ? "+difficult" : "",
      s.vrns ? `+VRN λ=${s.vrns.lambda ?? 30}` : "",
    ].filter(Boolean).map((e) => ` ${e}`).join("");
  switch (spec.kind) {
    case "hatcl":
      return `HATCL (τ=${spec.temperature})`;
    case "ls-hatcl":
      return `LS_HATCL (τ=${spec.temperature})`;
    case "margin":
    case "ls-margin": {
      const name = spec.kind === "margin" ? "MARGIN" : "LS_MARGIN";
      const gamma = spec.kind === "ls-margin" && (spec.gamma ?? REFERENCE_GAMMA) !== REFERENCE_GAMMA
        ? `, γ=${spec.gamma}`
        : "";
      return `${name} (${spec.simVariant} v, τ=${spec.temperature}, m=${spec.margin}, θ=${spec.threshold}${gamma})`;
    }
    case "infonce":
      return `${form(spec.form)}InfoNCE log-space (τ=${spec.temperature})${extras(spec)}`;
    case "stable":
      return `${
        form(spec.form)
      }eMargin-stable (τ=${spec.temperature}, m=${spec.margin}, θ=${spec.threshold})${
        extras(spec)
      }`;
  }
}
