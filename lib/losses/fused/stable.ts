/**
 * Fused emargin-stable (spec §3 variant 4): the same loss as
 * `stableMarginLoss` without the §6 options, with the N×N work done by
 * {@linkcode columnSums} (kind "stable") in row blocks and an analytic
 * gradient.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../../tf.ts";
import { OptionError } from "../../errors.ts";
import { checkEmbeddings, l2Normalize } from "../similarity.ts";
import { checkGamma, checkMargin, checkRawInputs, checkTemperature } from "../options.ts";
import { REFERENCE_GAMMA } from "../margin.ts";
import { simVector } from "../sim_vector.ts";
import { columnSums } from "./column_sums.ts";
import { stableShift } from "./column_terms.ts";
import type { ColumnTermOptions } from "./column_terms.ts";

/** Options of {@linkcode fusedStableMarginLoss}. */
export interface FusedStableMarginOptions {
  /** τ > 0. */
  temperature: number;
  /** m, the margin on the cosine distance. */
  margin: number;
  /** θ: anchors whose raw frame has `cos(x_n, x_{n+1}) < θ` get the margin. */
  threshold: number;
  /** γ (default 0.05, the reference's constant). */
  gamma?: number;
  /** "ls": two neighbours per centre; "single": one positive per anchor. */
  form: "ls" | "single";
  /** Rows of `S` per block (default: whole up to N = 2048, 512 above). */
  tileRows?: number;
}

/** `log(x) + shift`, elementwise. */
function shiftedLog(x: Tensor1D, shift: Tensor1D): Tensor1D {
  return tf.add(tf.log(x), shift) as Tensor1D;
}

/**
 * emargin-stable, fused. With `v = 1[cos(x_n, x_{n+1}) < θ]` (length N),
 * negative logits `a_ij = S_ij/τ + v_j·γ·½·max(0, S_ij + m − 1)²/τ`,
 * positive logits `b_k = S_{k+1,k}/τ`, and per column the shifted sums
 * `R_j = Σ_{i∉{j−1,j,j+1}} exp(a_ij − K_j)`, `K_j = 1/τ + v_j·γ·½·max(0,m)²/τ`
 * (the largest logit a column can hold):
 *
 * - single (`k = 0..N−2`, negatives `i ∉ {k, k+1}`):
 *   `ℓ_k = −b_k + LSE(b_k, K_k + log(R_k + e^{a_{k−1,k} − K_k}))`;
 * - ls (`c = 1..N−2`):
 *   `ℓ_c = −LSE(b_{c−1}, b_c) + LSE(b_{c−1}, b_c, K_{c−1} + log(R_{c−1} + e^{a_{c−2,c−1} − K_{c−1}}), K_c + log R_c)`;
 * - `L = mean ℓ`.
 *
 * Shapes: `z [N, D]`, `x [N, F]` or `[B, T, F]` with `B·T = N` → scalar.
 * Equal to `stableMarginLoss(z, x, {…, form})` (no `difficult`, no `vrns`)
 * up to float32 rounding, as long as each column's negative logits come
 * within ~80 of `K_j` (for |S| ≤ 1: whenever `2/τ ≲ 80`, e.g. τ ≥ 0.025).
 *
 * @throws {ShapeError} when `z` is not `[N ≥ 3, D]` ("ls": N ≥ 4) or `x` does not have N rows.
 * @throws {OptionError} on invalid τ, m, γ or form.
 */
export function fusedStableMarginLoss(
  z: Tensor2D,
  x: Tensor,
  options: FusedStableMarginOptions,
): Scalar {
  const { temperature, margin, threshold, gamma = REFERENCE_GAMMA, form } = options;
  // Every column keeps at least one negative (an empty one has no finite gradient).
  checkEmbeddings(z, form === "ls" ? 4 : 3);
  checkTemperature(temperature);
  checkMargin(margin);
  checkGamma(gamma);
  if (form !== "ls" && form !== "single") {
    throw new OptionError(`form: expected "ls" or "single", got ${form}`);
  }
  const n = z.shape[0];
  checkRawInputs(x, n);
  const o: ColumnTermOptions = { kind: "stable", temperature, margin, gamma };
  return tf.tidy(() => {
    const v = simVector(x, { threshold, variant: "intended", length: "double" });
    const stats = columnSums(l2Normalize(z), v, o, options.tileRows);
    const rest = tf.slice(stats, [0], [n]);
    const pairs = tf.slice(stats, [n], [n - 1]);
    const before = tf.slice(stats, [2 * n - 1], [n - 1]);
    const shift = tf.reshape(stableShift(tf.reshape(v, [n, 1]), o), [n]) as Tensor1D;
    // Column j without {j, j+1}: R_j plus its i = j−1 term (none for j = 0).
    const withoutNext = tf.add(rest, tf.pad(before, [[1, 0]])) as Tensor1D;
    const positive = tf.div(pairs, temperature) as Tensor1D;
    let loss: Tensor1D;
    if (form === "single") {
      const negatives = shiftedLog(
        tf.slice(withoutNext, [0], [n - 1]),
        tf.slice(shift, [0], [n - 1]),
      );
      loss = tf.sub(tf.logSumExp(tf.stack([positive, negatives]), 0), positive) as Tensor1D;
    } else {
      const left = tf.slice(positive, [0], [n - 2]);
      const right = tf.slice(positive, [1], [n - 2]);
      const first = shiftedLog(tf.slice(withoutNext, [0], [n - 2]), tf.slice(shift, [0], [n - 2]));
      const second = shiftedLog(tf.slice(rest, [1], [n - 2]), tf.slice(shift, [1], [n - 2]));
      loss = tf.sub(
        tf.logSumExp(tf.stack([left, right, first, second]), 0),
        tf.logSumExp(tf.stack([left, right]), 0),
      ) as Tensor1D;
    }
    return tf.mean(loss) as Scalar;
  });
}
