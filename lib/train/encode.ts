/**
 * Batched eval-mode encoding of whole sequences (reference `encode()`:
 * `net.eval()`, then the forward pass with BatchNorm running statistics).
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor3D } from "../tf.ts";
import type { Encoder } from "../encoders/mod.ts";
import { OptionError, ShapeError } from "../errors.ts";

/** Options of {@linkcode encode}. */
export interface EncodeOptions {
  /** Frames per sequence `T`. */
  T: number;
  /** Sequences per forward pass (default 32). */
  batchSize?: number;
}

/**
 * Encodes `x [n, T, F]` (row-major, `F = encoder.inFeatures`) to
 * `[n, T, D]` in eval mode, `batchSize` sequences at a time.
 */
export async function encode(
  encoder: Encoder,
  x: Float32Array,
  options: EncodeOptions,
): Promise<Float32Array> {
  const { T, batchSize = 32 } = options;
  const F = encoder.inFeatures, D = encoder.outFeatures;
  if (!Number.isInteger(T) || T < 1) {
    throw new OptionError(`encode: T must be a positive integer, got ${T}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new OptionError(`encode: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (x.length % (T * F) !== 0) {
    throw new ShapeError(`encode: x has ${x.length} values, not a multiple of T·F = ${T * F}`);
  }
  const n = x.length / (T * F);
  const out = new Float32Array(n * T * D);
  for (let start = 0; start < n; start += batchSize) {
    const b = Math.min(batchSize, n - start);
    const z = tf.tidy(() => {
      const xb = tf.tensor3d(x.subarray(start * T * F, (start + b) * T * F), [b, T, F]);
      return encoder.apply(xb, { training: false }) as Tensor3D;
    });
    out.set((await z.data()) as Float32Array, start * T * D);
    z.dispose();
  }
  return out;
}
