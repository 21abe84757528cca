/**
 * The element-wise part of the reference losses, written per anchor column.
 *
 * Every reference loss reduces the similarity matrix `S [N, N]` to column
 * sums `c_j = Σ_{i≠j} f_j(S_ij)` of one element-wise function whose
 * parameters depend on the column `j` only (through the sim vector `v_j`).
 * `S` is symmetric, so column `j` of `S` is row `j` of a row block
 * `S_R = U_R·Uᵀ`: the column sums become row sums of contiguous rows, and the
 * per-column parameters broadcast as `[B, 1]` vectors.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Tensor, Tensor2D } from "../../tf.ts";

/**
 * Which reference column function `f_j` a loss sums:
 * - "exp": HATCL / LS_HATCL, `f(s) = exp(s/τ)`;
 * - "margin": MARGIN_LOSS, `f_j(s) = exp((1−v_j)·½s² + v_j·½·max(0, m − s)²)`;
 * - "lsMargin": LS_MARGIN_LOSS, `f_j(s) = exp(γ/τ·(−(1−v_j)·½s² + v_j·½·max(0, m − s)²))`;
 * - "stable": emargin-stable's negatives, shifted by the column's largest
 *   possible logit `K_j = 1/τ + v_j·γ·½·max(0, m)²/τ` (the logit at `s = 1`):
 *   `f_j(s) = exp(s/τ + v_j·γ·½·max(0, s + m − 1)²/τ − K_j)`.
 */
export type ColumnTermKind = "exp" | "margin" | "lsMargin" | "stable";

/** Scalars of a column function. */
export interface ColumnTermOptions {
  kind: ColumnTermKind;
  /** τ > 0. */
  temperature: number;
  /** m ("margin" and "lsMargin"). */
  margin: number;
  /** γ ("lsMargin"). */
  gamma: number;
}

/**
 * Per-column coefficients `[a_j, b_j]` of the exponent
 * `t_j(s) = a_j·s² + b_j·max(0, m − s)²` ("margin", "lsMargin").
 *
 * Shapes: `v [B, 1]` → two `[B, 1]` tensors.
 */
export function hingeCoefficients(v: Tensor, o: ColumnTermOptions): [Tensor, Tensor] {
  const scale = o.kind === "lsMargin" ? o.gamma / o.temperature : 1;
  const sign = o.kind === "lsMargin" ? -1 : 1;
  return [tf.mul(tf.sub(1, v), 0.5 * sign * scale), tf.mul(v, 0.5 * scale)];
}

/** The values of a column function and what its derivative reuses. */
export interface ColumnValues {
  /** `f_j(s)`, the shape of `s`. */
  value: Tensor;
  /** `max(0, m − s)` (hinge kinds only). */
  hinge: Tensor | null;
}

/**
 * `f_j(s)` element-wise.
 *
 * Shapes: `s [B, K]` (row `r` belongs to column `j = r0 + r`), `v [B, 1]` →
 * `[B, K]`. Also works on `[B, 1]` diagonals.
 */
export function columnValues(s: Tensor, v: Tensor, o: ColumnTermOptions): ColumnValues {
  if (o.kind === "exp") return { value: tf.exp(tf.mul(s, 1 / o.temperature)), hinge: null };
  if (o.kind === "stable") {
    const c = stableCoefficient(v, o);
    const hinge = tf.relu(tf.add(s, o.margin - 1));
    const exponent = tf.add(tf.mul(s, 1 / o.temperature), tf.mul(c, tf.square(hinge)));
    return { value: tf.exp(tf.sub(exponent, stableShift(v, o))), hinge };
  }
  const [a, b] = hingeCoefficients(v, o);
  const hinge = tf.relu(tf.sub(o.margin, s));
  const exponent = tf.add(tf.mul(a, tf.square(s)), tf.mul(b, tf.square(hinge)));
  return { value: tf.exp(exponent), hinge };
}

/**
 * `w_j·f'_j(s)` element-wise, the gradient of `Σ_j w_j·c_j` with respect to
 * each similarity, from the values computed by {@linkcode columnValues}:
 * - "exp": `w_j·f/τ`;
 * - "margin", "lsMargin": `f · (2a_j·w_j·s − 2b_j·w_j·max(0, m − s))`;
 * - "stable": `f · w_j·(1/τ + 2c_j·max(0, s + m − 1))`.
 *
 * Shapes: `s, values.value [B, K]`, `v, w [B, 1]` → `[B, K]`.
 */
export function columnGradients(
  s: Tensor,
  values: ColumnValues,
  v: Tensor,
  w: Tensor,
  o: ColumnTermOptions,
): Tensor2D {
  if (o.kind === "exp") return tf.mul(values.value, tf.mul(w, 1 / o.temperature)) as Tensor2D;
  if (o.kind === "stable") {
    const c = stableCoefficient(v, o);
    const slope = tf.add(
      tf.mul(w, 1 / o.temperature),
      tf.mul(tf.mul(tf.mul(c, 2), w), values.hinge as Tensor),
    );
    return tf.mul(values.value, slope) as Tensor2D;
  }
  const [a, b] = hingeCoefficients(v, o);
  const slope = tf.sub(
    tf.mul(tf.mul(a, tf.mul(w, 2)), s),
    tf.mul(tf.mul(b, tf.mul(w, 2)), values.hinge as Tensor),
  );
  return tf.mul(values.value, slope) as Tensor2D;
}

/** `c_j = v_j·γ/(2τ)`, the margin weight of the "stable" kind. Shapes: `v [B, 1]` → `[B, 1]`. */
export function stableCoefficient(v: Tensor, o: ColumnTermOptions): Tensor {
  return tf.mul(v, o.gamma / (2 * o.temperature));
}

/** `K_j = 1/τ + c_j·max(0, m)²`, the "stable" column shift. Shapes: `v [B, 1]` → `[B, 1]`. */
export function stableShift(v: Tensor, o: ColumnTermOptions): Tensor {
  const m = Math.max(0, o.margin);
  return tf.add(tf.mul(stableCoefficient(v, o), m * m), 1 / o.temperature);
}
