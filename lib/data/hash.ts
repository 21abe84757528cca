/**
 * SHA-256 in one place: of bytes or text, of a file streamed from disk, and
 * an incremental hash for data arriving in chunks (downloads).
 *
 * @module
 */
import { createHash, type Hash } from "node:crypto";

/** An incremental SHA-256: `update` with chunks, then `digest("hex")`. */
export type Sha256 = Hash;

/** A fresh incremental SHA-256. */
export function sha256(): Sha256 {
  return createHash("sha256");
}

/** Hex SHA-256 of bytes, or of a string's UTF-8 encoding. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * Feeds a file's bytes into `hash` in 64-KiB chunks.
 *
 * @returns the number of bytes read.
 */
export async function hashFileInto(hash: Sha256, path: string): Promise<number> {
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(1 << 16);
  let bytes = 0;
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    hash.update(buffer.subarray(0, n));
    bytes += n;
  }
  return bytes;
}

/** SHA-256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = sha256();
  await hashFileInto(hash, path);
  return hash.digest("hex");
}
