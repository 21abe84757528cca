/**
 * WFDB signal-file formats: how many bytes `n` samples take, and how the
 * bytes decode to integer samples (signal(5) of the WFDB Applications Guide;
 * the reading rules follow WFDB's own `r8`…`r311` in `lib/signal.c`).
 *
 * | format | sample                                   | bytes for `n` samples                |
 * | ------ | ---------------------------------------- | ------------------------------------ |
 * | 8      | 8-bit first difference (signed)          | `n`                                  |
 * | 16     | 16-bit two's complement, little-endian   | `2n`                                 |
 * | 24     | 24-bit two's complement, little-endian   | `3n`                                 |
 * | 32     | 32-bit two's complement, little-endian   | `4n`                                 |
 * | 61     | 16-bit two's complement, big-endian      | `2n`                                 |
 * | 80     | 8-bit offset binary (`byte − 128`)       | `n`                                  |
 * | 160    | 16-bit offset binary (`word − 32768`)    | `2n`                                 |
 * | 212    | two 12-bit samples in 3 bytes            | `3⌊n/2⌋ + 2(n mod 2)`                |
 * | 310    | three 10-bit samples in two 16-bit words | `4⌊n/3⌋ + 2(n mod 3)` (+2 for 2 left)|
 * | 311    | three 10-bit samples in one 32-bit word  | `4⌊n/3⌋ + 2(n mod 3)` (+2 for 2 left)|
 *
 * The packed formats are written by hand: they are a few lines each and no
 * npm package reads them. FLAC formats (508/516/524) are in `flac.ts`.
 *
 * @module
 */

/** Formats whose bytes this module decodes. */
export const WFDB_PLAIN_FORMATS: readonly number[] = [8, 16, 24, 32, 61, 80, 160, 212, 310, 311];
/** FLAC-compressed formats and their bits per sample. */
export const WFDB_FLAC_BITS: Readonly<Record<number, number>> = { 508: 8, 516: 16, 524: 24 };
/** Every format a signal line may name (0: a null signal, no file data). */
export const WFDB_FORMATS: readonly number[] = [0, ...WFDB_PLAIN_FORMATS, 508, 516, 524];

/** WFDB's code for a missing or invalid sample, in every format (`WFDB_INVALID_SAMPLE`). */
export const WFDB_INVALID_SAMPLE = -32768;

/**
 * The stored value that marks an invalid sample in `format` (the most negative
 * value of its width), or `undefined` for format 8, which has none.
 *
 * @example
 * ```ts
 * wfdbInvalidValue(212); // −2048
 * ```
 */
export function wfdbInvalidValue(format: number): number | undefined {
  const bits: Record<number, number> = {
    16: 16,
    61: 16,
    160: 16,
    80: 8,
    212: 12,
    310: 10,
    311: 10,
    24: 24,
    32: 32,
    508: 8,
    516: 16,
    524: 24,
  };
  return bits[format] === undefined ? undefined : -(2 ** (bits[format] - 1));
}

/** Default ADC resolution (bits) of a format, as WFDB assumes when the header omits it. */
export function defaultAdcResolution(format: number): number {
  if (format === 80 || format === 8 || format === 508) return 8;
  if (format === 212) return 12;
  if (format === 310 || format === 311) return 10;
  if (format === 24 || format === 524) return 24;
  if (format === 32) return 32;
  return 16;
}

/** Bytes taken by `n` samples of a plain `format` (see the table above). */
export function wfdbByteLength(format: number, n: number): number {
  switch (format) {
    case 8:
    case 80:
      return n;
    case 16:
    case 61:
    case 160:
      return 2 * n;
    case 24:
      return 3 * n;
    case 32:
      return 4 * n;
    case 212:
      return 3 * Math.floor(n / 2) + 2 * (n % 2);
    case 310:
    case 311:
      // WFDB writes one leftover sample as 2 bytes, two as 4 bytes.
      return 4 * Math.floor(n / 3) + (n % 3 === 0 ? 0 : n % 3 === 1 ? 2 : 4);
    default:
      throw new RangeError(`wfdbByteLength: format ${format} has no fixed byte length`);
  }
}

/**
 * The byte lengths that hold exactly `n` samples: `wfdbByteLength`, and for
 * 212 with an odd count also one padding byte more (three bytes for the last pair).
 */
export function wfdbAcceptedLengths(format: number, n: number): number[] {
  const exact = wfdbByteLength(format, n);
  return format === 212 && n % 2 === 1 ? [exact, exact + 1] : [exact];
}

/** Samples that `bytes` bytes of `format` hold (the inverse of `wfdbByteLength`, rounded down). */
export function wfdbSamplesHeld(format: number, bytes: number): number {
  switch (format) {
    case 8:
    case 80:
      return bytes;
    case 16:
    case 61:
    case 160:
      return Math.floor(bytes / 2);
    case 24:
      return Math.floor(bytes / 3);
    case 32:
      return Math.floor(bytes / 4);
    case 212:
      return 2 * Math.floor(bytes / 3) + (bytes % 3 >= 2 ? 1 : 0);
    case 310:
    case 311:
      return 3 * Math.floor(bytes / 4) + (bytes % 4 >= 2 ? 1 : 0);
    default:
      throw new RangeError(`wfdbSamplesHeld: format ${format} has no fixed byte length`);
  }
}

const signExtend = (v: number, bits: number): number => (v << (32 - bits)) >> (32 - bits);

/**
 * Decodes the first `n` interleaved samples of `bytes` in a plain `format`.
 * Format 8 samples are returned as the stored differences; `undifference`
 * turns them into values.
 *
 * - 212: `s0 = b0 | (b1 & 0x0f) << 8`, `s1 = b2 | (b1 & 0xf0) << 4` (12-bit two's complement).
 * - 310: words `w0, w1` (LE): `s0 = w0 >> 1`, `s1 = w1 >> 1`, `s2 = (w0 >> 11) | (w1 >> 11) << 5`.
 * - 311: word `w` (LE 32-bit): `s0 = w & 0x3ff`, `s1 = (w >> 10) & 0x3ff`, `s2 = (w >> 20) & 0x3ff`.
 *
 * @param bytes at least `wfdbByteLength(format, n)` bytes
 * @returns `[n]` samples
 * @example
 * ```ts
 * decodeWfdbSamples(Uint8Array.of(0xe4, 0x3f, 0x12), 212, 2); // Int32Array [−28, 786]
 * ```
 */
export function decodeWfdbSamples(bytes: Uint8Array, format: number, n: number): Int32Array {
  if (bytes.length < wfdbByteLength(format, n)) {
    throw new RangeError(`decodeWfdbSamples: ${bytes.length} bytes hold fewer than ${n} samples`);
  }
  const out = new Int32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (format) {
    case 8:
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 80:
      for (let i = 0; i < n; i++) out[i] = bytes[i] - 128;
      break;
    case 16:
    case 61:
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, format === 16);
      break;
    case 160:
      for (let i = 0; i < n; i++) out[i] = view.getUint16(2 * i, true) - 32768;
      break;
    case 24:
      for (let i = 0; i < n; i++) {
        out[i] = signExtend(bytes[3 * i] | bytes[3 * i + 1] << 8 | bytes[3 * i + 2] << 16, 24);
      }
      break;
    case 32:
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 212:
      decode212(bytes, out);
      break;
    case 310:
    case 311:
      decode31x(view, format, out);
      break;
    default:
      throw new RangeError(`decodeWfdbSamples: format ${format} is not a plain WFDB format`);
  }
  return out;
}

function decode212(bytes: Uint8Array, out: Int32Array): void {
  for (let i = 0, b = 0; i < out.length; i += 2, b += 3) {
    const b1 = bytes[b + 1];
    out[i] = signExtend(bytes[b] | (b1 & 0x0f) << 8, 12);
    if (i + 1 < out.length) out[i + 1] = signExtend(bytes[b + 2] | (b1 & 0xf0) << 4, 12);
  }
}

function decode31x(view: DataView, format: number, out: Int32Array): void {
  for (let i = 0, b = 0; i < out.length; i += 3, b += 4) {
    const left = out.length - i;
    const w0 = view.getUint16(b, true);
    // A lone last sample is stored in 2 bytes; the second word is then absent.
    const w1 = left > 1 ? view.getUint16(b + 2, true) : 0;
    const w = w0 | w1 << 16;
    if (format === 310) {
      out[i] = signExtend(w0 >> 1, 10);
      if (left > 1) out[i + 1] = signExtend(w1 >> 1, 10);
      if (left > 2) out[i + 2] = signExtend((w0 >> 11) | (w1 >> 11) << 5, 10);
    } else {
      out[i] = signExtend(w & 0x3ff, 10);
      if (left > 1) out[i + 1] = signExtend((w >>> 10) & 0x3ff, 10);
      if (left > 2) out[i + 2] = signExtend((w >>> 20) & 0x3ff, 10);
    }
  }
}
