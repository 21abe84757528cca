/**
 * The VRN term of fused InfoNCE in closed form (spec §6b, p = 2): with unit
 * rows `u_i`, `S = U·Uᵀ` and `Neg` the pairs `|i − j| > 1`,
 * `Σ_{(i,j)∈Neg} (S_ij − δ)² = ‖UᵀU‖²_F − Σ_i S_ii² − 2Σ_k S_{k+1,k}²
 *  − 2δ(‖Σ_i u_i‖² − Σ_i S_ii − 2Σ_k S_{k+1,k}) + δ²·|Neg|`:
 * O(N·D²) instead of a pass over `S`, for where `S` is not kept.
 *
 * @module
 */
import { tf } from "../../tf.ts";
import type { Scalar, Tensor, Tensor2D } from "../../tf.ts";
import type { ResolvedVrns } from "../combine.ts";

type Saver = (tensors: Tensor[]) => void;

/**
 * `‖UᵀU‖²_F` with the gradient `4·U·(UᵀU)` as one `[N, D]·[D, D]` product:
 * autodiff of the plain expression differentiates `UᵀU` through both of its
 * operands, two products (and two transposes) that give the same matrix.
 * Shapes: `u [N, D]` → scalar.
 */
const gramSquaredNorm = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [u, save] = args as [Tensor2D, Saver];
  const m = tf.matMul(tf.transpose(u) as Tensor2D, u);
  save([u, m]);
  return {
    value: tf.sum(tf.square(m)),
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [su, sm] = saved as [Tensor2D, Tensor2D];
      return [tf.mul(tf.matMul(su, sm), tf.mul(dy, 4))];
    },
  };
}) as (u: Tensor2D) => Scalar;

/**
 * `λ·mean_{(i,j)∈Neg} (S_ij − δ)²` in O(N·D²) (module documentation).
 * Shapes: `u [N, D]` (unit rows) → scalar.
 */
export function vrnsClosedForm(u: Tensor2D, vrns: ResolvedVrns): Scalar {
  return tf.tidy(() => {
    const n = u.shape[0];
    const count = n * n - n - 2 * (n - 1);
    const { delta, lambda } = vrns;
    const diagonal = tf.sum(tf.square(u), 1);
    const lower = tf.sum(
      tf.mul(tf.slice(u, [1, 0], [n - 1, -1]), tf.slice(u, [0, 0], [n - 1, -1])),
      1,
    );
    const squares = tf.sub(
      gramSquaredNorm(u),
      tf.add(tf.sum(tf.square(diagonal)), tf.mul(2, tf.sum(tf.square(lower)))),
    );
    const sums = tf.sub(
      tf.sum(tf.square(tf.sum(u, 0))),
      tf.add(tf.sum(diagonal), tf.mul(2, tf.sum(lower))),
    );
    const total = tf.add(tf.sub(squares, tf.mul(2 * delta, sums)), delta * delta * count);
    return tf.mul(total, lambda / count) as Scalar;
  });
}
