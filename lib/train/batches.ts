/**
 * Mini-batches of whole sequences, as the reference DataLoader draws them
 * (`batch_size = 8, shuffle = True, drop_last = True`, looping over epochs).
 *
 * @module
 */
import { OptionError, ShapeError } from "../errors.ts";
import { makeRng, permutation } from "../random.ts";

/** The sequences a batch iterator draws from: `x [nSequences, T, F]` row-major. */
export interface SequenceArray {
  x: Float32Array;
  nSequences: number;
  T: number;
  F: number;
}

/** One mini-batch of sequences. */
export interface SequenceBatch {
  /** Sequence indices in draw order, `[B]`. */
  indices: Int32Array;
  /** 0-based epoch the batch belongs to. */
  epoch: number;
  /** The frames `[B, T, F]` row-major. */
  x: Float32Array;
  /** `[B, T, F]`. */
  shape: [number, number, number];
}

/** Options of {@linkcode sequenceBatches}. */
export interface SequenceBatchesOptions {
  /** Sequences per batch `B` (default 8). */
  batchSize?: number;
  /** Seed of the per-epoch shuffles. */
  seed: number;
}

/**
 * Endless iterator of shuffled batches: each epoch is a fresh seeded
 * permutation of `0..nSequences−1` cut into `⌊nSequences/B⌋` batches; the
 * remainder is dropped (drop_last).
 */
export function* sequenceBatches(
  split: SequenceArray,
  options: SequenceBatchesOptions,
): Generator<SequenceBatch, never, void> {
  const { batchSize = 8, seed } = options;
  const { x, nSequences, T, F } = split;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new OptionError(
      `sequenceBatches: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  if (nSequences < batchSize) {
    throw new OptionError(
      `sequenceBatches: ${nSequences} sequences cannot fill one batch of ${batchSize} (drop_last)`,
    );
  }
  if (x.length !== nSequences * T * F) {
    throw new ShapeError(
      `sequenceBatches: x has ${x.length} values, expected nSequences·T·F = ${nSequences * T * F}`,
    );
  }
  const rng = makeRng(seed);
  const perSequence = T * F;
  for (let epoch = 0;; epoch++) {
    const order = permutation(nSequences, rng);
    for (let start = 0; start + batchSize <= nSequences; start += batchSize) {
      const indices = order.slice(start, start + batchSize);
      const out = new Float32Array(batchSize * perSequence);
      indices.forEach((s, b) =>
        out.set(x.subarray(s * perSequence, (s + 1) * perSequence), b * perSequence)
      );
      yield { indices, epoch, x: out, shape: [batchSize, T, F] };
    }
  }
}
