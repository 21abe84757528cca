/**
 * FLAC-compressed WFDB signal files (formats 508, 516, 524: 8-, 16- and 24-bit
 * samples; one FLAC channel per sample of a frame).
 *
 * Decoded by `libflacjs` (npm), the reference libFLAC compiled to JavaScript:
 * it returns the exact integer samples. `@wasm-audio-decoders/flac` was tried
 * first and left out: it returns float PCM scaled by `2^(bits−1) − 1` and, on
 * a 65 536-sample test stream, dropped the last 4 096-sample FLAC frame.
 * libFLAC loads asynchronously, so FLAC records need `loadWfdbFlacDecoder()`
 * awaited once (or `readWfdbRecordAsync`); the loader is imported only then.
 *
 * @module
 */
import type * as FlacApi from "libflacjs/dist/libflac.js";
import { DataFormatError } from "../../errors.ts";

type Flac = typeof FlacApi;

let flac: Flac | undefined;

/** Whether `loadWfdbFlacDecoder` has completed. */
export function wfdbFlacDecoderLoaded(): boolean {
  return flac !== undefined;
}

/**
 * Loads libFLAC (once); afterwards `readWfdbRecord` reads formats 508/516/524.
 *
 * @example
 * ```ts
 * await loadWfdbFlacDecoder();
 * readWfdbRecord("data/rec", "r01");
 * ```
 */
export async function loadWfdbFlacDecoder(): Promise<void> {
  if (flac !== undefined) return;
  const module = await import("libflacjs/dist/libflac.js");
  const api = (module as unknown as { default: Flac }).default;
  if (!api.isReady()) await new Promise<void>((resolve) => api.on("ready", () => resolve()));
  flac = api;
}

/**
 * Decodes a FLAC stream into `channels` sample arrays.
 *
 * @param bytes the FLAC file (from its `fLaC` marker)
 * @param file path used in error messages
 * @param channels channels the header implies (samples per frame in the group)
 * @param bits the format's bits per sample (8, 16 or 24); the stream may use fewer
 * @returns `[channels][nFrames]` samples
 * @throws DataFormatError for a stream that is not FLAC, fails to decode, or has other channels/bits
 */
export function decodeWfdbFlac(
  bytes: Uint8Array,
  file: string,
  channels: number,
  bits: number,
): Int32Array[] {
  if (flac === undefined) {
    throw new DataFormatError(
      file,
      "format",
      "`await loadWfdbFlacDecoder()` before reading FLAC formats 508/516/524",
      "libFLAC not loaded",
    );
  }
  if (bytes.length < 4 || String.fromCharCode(...bytes.subarray(0, 4)) !== "fLaC") {
    throw new DataFormatError(
      file,
      "bytes 0–3",
      'the FLAC marker "fLaC"',
      bytes.length < 4 ? "a shorter file" : "other bytes",
    );
  }
  const { blocks, info } = runDecoder(flac, bytes, file);
  if (info.channels !== channels || info.bitsPerSample > bits) {
    throw new DataFormatError(
      file,
      "FLAC STREAMINFO",
      `${channels} channels of ≤ ${bits} bits`,
      `${info.channels} channels of ${info.bitsPerSample} bits`,
    );
  }
  const n = blocks.reduce((sum, block) => sum + block[0].length, 0);
  if (info.total_samples !== 0 && info.total_samples !== n) {
    throw new DataFormatError(
      file,
      "FLAC STREAMINFO total samples",
      `${n} (samples decoded)`,
      String(info.total_samples),
    );
  }
  if (blocks.some((block) => block.length !== channels)) {
    throw new DataFormatError(
      file,
      "FLAC frames",
      `${channels} channels in every frame`,
      "a frame with other channels",
    );
  }
  return Array.from({ length: channels }, (_, c) => {
    const out = new Int32Array(n);
    let at = 0;
    for (const block of blocks) {
      out.set(block[c], at);
      at += block[c].length;
    }
    return out;
  });
}

/** Runs libFLAC over `bytes`: the decoded blocks (`[block][channel][sample]`) and STREAMINFO. */
function runDecoder(
  api: Flac,
  bytes: Uint8Array,
  file: string,
): { blocks: Int32Array[][]; info: FlacApi.StreamMetadata } {
  const blocks: Int32Array[][] = [];
  const errors: string[] = [];
  let info: FlacApi.StreamMetadata | undefined;
  let pos = 0;
  const decoder = api.create_libflac_decoder(true);
  try {
    const read = (n: number) => {
      const buffer = bytes.slice(pos, Math.min(pos + n, bytes.length));
      pos += buffer.length;
      return { buffer, readDataLength: buffer.length, error: false };
    };
    const write = (data: Uint8Array[], frame: FlacApi.BlockMetadata) => {
      blocks.push(data.map((d) => toSamples(d, frame.blocksize)));
    };
    const status = api.init_decoder_stream(
      decoder,
      read,
      write,
      (code: number) => errors.push(`libFLAC error status ${code}`),
      (metadata: FlacApi.StreamMetadata | undefined) => info = metadata ?? info,
    );
    const ok = status === 0 && api.FLAC__stream_decoder_process_until_end_of_stream(decoder);
    // finish() is false when the decoded samples fail the stream's MD5 signature.
    if (!api.FLAC__stream_decoder_finish(decoder)) {
      errors.push("samples that fail the stream's MD5 signature");
    }
    if (!ok || errors.length > 0 || info === undefined) {
      const found = errors[0] ?? (info === undefined ? "no STREAMINFO" : "a decoding failure");
      throw new DataFormatError(file, "FLAC stream", "a stream libFLAC decodes", found);
    }
    return { blocks, info };
  } finally {
    api.FLAC__stream_decoder_delete(decoder);
  }
}

/** libflacjs hands each channel's block as little-endian PCM of 2 or 4 bytes per sample. */
function toSamples(data: Uint8Array, blockSize: number): Int32Array {
  const width = data.length / blockSize;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Int32Array(blockSize);
  for (let i = 0; i < blockSize; i++) {
    out[i] = width === 4
      ? view.getInt32(4 * i, true)
      : width === 2
      ? view.getInt16(2 * i, true)
      : view.getInt8(i);
  }
  return out;
}
