/**
 * Cosine-similarity building blocks shared by every loss: torch-exact row
 * normalisation, the similarity matrix, and index helpers for the
 * temporal-neighbour structure of a flattened batch.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor, Tensor1D, Tensor2D } from "../tf.ts";
import { ShapeError } from "../errors.ts";
import { gram } from "../ops/mod.ts";

/** torch `F.normalize` epsilon. */
export const NORMALIZE_EPS = 1e-12;

type Saver = (tensors: Tensor[]) => void;

// tfjs has no gradient for the comparison that guards the origin, so the
// backward pass is written out: torch's `F.normalize` gradient.
const normalizeWithGrad = tf.customGrad((...args: (Tensor | Saver)[]) => {
  const [z, save] = args as [Tensor2D, Saver];
  const norm = tf.sqrt(tf.sum(tf.square(z), 1, true));
  const denom = tf.maximum(norm, NORMALIZE_EPS);
  const u = tf.div(z, denom);
  save([u, norm, denom]);
  return {
    value: u,
    gradFunc: (dy: Tensor, saved: Tensor[]) => {
      const [su, sNorm, sDenom] = saved;
      const radial = tf.mul(su, tf.sum(tf.mul(su, dy), 1, true));
      // A 0/1 factor rather than tf.where: where broadcasts the [N, 1]
      // condition by tiling it, the slowest step of the pass on wasm.
      const inside = tf.cast(tf.greater(sNorm, NORMALIZE_EPS), "float32");
      return [tf.div(tf.sub(dy, tf.mul(radial, inside)), sDenom)];
    },
  };
}) as (z: Tensor2D) => Tensor2D;

/**
 * Row-wise L2 normalisation exactly as torch `F.normalize(z, dim=-1)`:
 * `u_n = z_n / max(‖z_n‖₂, 1e−12)`.
 *
 * Shapes: `z [N, D]` → `[N, D]`. Gradient as torch: `(g − u(u·g)) / ‖z‖` for
 * `‖z‖ > 1e−12`, `g / 1e−12` otherwise (an all-zero row stays zero).
 */
export function l2Normalize(z: Tensor2D): Tensor2D {
  return normalizeWithGrad(z);
}

/**
 * Cosine-similarity matrix `S = U·Uᵀ` with `U = l2Normalize(z)`.
 *
 * Shapes: `z [N, D]` → `S [N, N]`, `S_ij = cos(z_i, z_j)`.
 */
export function cosineSimilarity(z: Tensor2D): Tensor2D {
  return tf.tidy(() => gram(l2Normalize(z)));
}

/**
 * Entries `M_{k+offset, k}` of a square matrix (`offset = 1`: the
 * sub-diagonal, the positive pairs of the reference losses), gathered from the
 * flattened matrix so that values are bit-identical to the matrix entries.
 *
 * Shapes: `m [N, N]` → `[N − offset]`. The gradient is written out as a padded
 * diagonal matrix: tfjs' own gather gradient (an unsorted segment sum) costs
 * O(N⁴) on the cpu backend.
 */
export function subDiagonal(m: Tensor2D, offset = 1): Tensor1D {
  const n = m.shape[0];
  const count = Math.max(n - offset, 0);
  const extract = tf.customGrad((...args: (Tensor | Saver)[]) => {
    const [matrix] = args as [Tensor2D];
    const index = new Int32Array(count);
    for (let k = 0; k < count; k++) index[k] = (k + offset) * n + k;
    return {
      value: tf.gather(tf.reshape(matrix, [n * n]), tf.tensor1d(index, "int32")),
      gradFunc: (dy: Tensor) => [
        count === 0
          ? tf.zeros([n, n])
          : tf.pad(tf.diag(dy), [[offset, 0], [0, offset]] as Array<[number, number]>),
      ],
    };
  }) as (matrix: Tensor2D) => Tensor1D;
  return extract(m);
}

/**
 * Mean that follows torch on an empty input: `Σx / count`, NaN when empty
 * (tfjs' `mean` returns 0 there). Shapes: `x [K]` → scalar. On webgpu an
 * empty input cannot be reduced; use {@linkcode emptyMean} for that case.
 */
export function meanOrNaN(x: Tensor): Scalar {
  return tf.tidy(() => tf.div(tf.sum(x), x.size) as Scalar);
}

/**
 * torch's mean of an empty tensor: NaN. Kept connected to `connectedTo` with
 * a zero gradient (as torch's backward of an empty mean), and computed without
 * reducing an empty tensor, which the webgpu backend cannot dispatch.
 *
 * Shapes: `connectedTo` any non-empty tensor → scalar NaN.
 */
export function emptyMean(connectedTo: Tensor): Scalar {
  return tf.tidy(() => tf.add(NaN, tf.mul(0, tf.sum(connectedTo))) as Scalar);
}

/**
 * Columns `[start, end)` of a matrix. Shapes: `m [R, C]` → `[R, end − start]`.
 */
export function columns(m: Tensor2D, start: number, end: number): Tensor2D {
  return tf.slice(m, [0, start], [m.shape[0], Math.max(end - start, 0)]);
}

/**
 * `1 − I`, a mask that is 0 on the diagonal.
 *
 * Shapes: → `[N, N]` float32.
 */
export function offDiagonalMask(n: number): Tensor2D {
  return tf.tidy(() => tf.sub(1, tf.eye(n)) as Tensor2D);
}

/**
 * Validates the embedding matrix of a loss.
 *
 * @throws {ShapeError} when `z` is not `[N, D]` with `N ≥ minRows`.
 */
export function checkEmbeddings(z: Tensor, minRows = 2): asserts z is Tensor2D {
  if (z.rank !== 2) {
    throw new ShapeError(
      `z: expected a 2-D tensor [N, D] of embeddings, got shape [${z.shape.join(", ")}]`,
    );
  }
  if (z.shape[0] < minRows) {
    throw new ShapeError(
      `z: expected at least ${minRows} rows [N ≥ ${minRows}, D], got shape [${z.shape.join(", ")}]`,
    );
  }
}
