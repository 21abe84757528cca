/**
 * The VRN combination `L = L_CL + λ·L_VRN` shared by the log-space losses.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import { OptionError } from "../errors.ts";
import { vrnsFromSimilarity, vrnsTarget } from "./vrns.ts";
import type { VrnsCombination } from "./vrns.ts";

/** A validated VRN combination. */
export interface ResolvedVrns {
  lambda: number;
  delta: number;
  p: number;
}

/**
 * Fills in λ = 30 and p = 2 and resolves δ.
 *
 * @throws {OptionError} on λ < 0, p ≤ 0, or both δ and k.
 */
export function resolveVrns(options: VrnsCombination): ResolvedVrns {
  const lambda = options.lambda ?? 30;
  const p = options.p ?? 2;
  if (!(Number.isFinite(lambda) && lambda >= 0)) {
    throw new OptionError(`vrns.lambda: expected a finite number ≥ 0, got ${lambda}`);
  }
  if (!(Number.isFinite(p) && p > 0)) {
    throw new OptionError(`vrns.p: expected a finite number > 0, got ${p}`);
  }
  return { lambda, p, delta: vrnsTarget(options) };
}

/** `contrastive + λ·L_VRN(S)`, or `contrastive` when no combination is given. */
export function addVrns(
  contrastive: Scalar,
  similarity: Tensor2D,
  vrns: ResolvedVrns | undefined,
): Scalar {
  if (!vrns) return contrastive;
  return tf.add(
    contrastive,
    tf.mul(vrns.lambda, vrnsFromSimilarity(similarity, vrns.delta, vrns.p)),
  ) as Scalar;
}
