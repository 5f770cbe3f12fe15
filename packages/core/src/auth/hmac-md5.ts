import { Md5, md5 } from "./md5.ts";

/** MD5's block size in bytes: the HMAC key is padded or hashed to this (RFC 2104 section 2). */
const BLOCK = 64;
const IPAD = 0x36;
const OPAD = 0x5c;

/**
 * HMAC-MD5 (RFC 2104 section 2): `MD5((K ^ opad) || MD5((K ^ ipad) || message))`, for
 * CRAM-MD5 (RFC 2195 section 2), where the key is the shared secret and the message is the
 * server's challenge.
 *
 * A key longer than 64 bytes is first replaced by its MD5 digest; a shorter one is padded
 * with zeros. Any key length is accepted, the empty key included. Returns 16 bytes.
 */
export function hmacMd5({ key, message }: { key: Uint8Array; message: Uint8Array }): Uint8Array {
  const block = new Uint8Array(BLOCK);
  block.set(key.length > BLOCK ? md5(key) : key);
  for (let i = 0; i < BLOCK; i++) block[i] = (block[i] as number) ^ IPAD;
  const inner = new Md5().update(block).update(message).digest();
  // (K ^ ipad) ^ (ipad ^ opad) = K ^ opad: one pass turns the inner pad into the outer one.
  for (let i = 0; i < BLOCK; i++) block[i] = (block[i] as number) ^ IPAD ^ OPAD;
  return new Md5().update(block).update(inner).digest();
}
