/**
 * Base64 of bytes (for data URIs), via the runtime's `btoa` over chunks.
 *
 * @module
 */

/** Standard base64 (RFC 4648) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}
