/**
 * Cryptographically strong random bytes from Web Crypto, for the APOP timestamp and the
 * CRAM-MD5 challenge (core draws none itself). `getRandomValues` fills at most 65,536 octets
 * a call, so a longer request is filled in parts.
 */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65_536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65_536)));
  }
  return bytes;
}
