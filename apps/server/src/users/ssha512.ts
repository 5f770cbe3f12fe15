import { createHash, timingSafeEqual } from "node:crypto";

const DIGEST_OCTETS = 64;
const SALT_OCTETS = 16;

/**
 * Dovecot's `{SSHA512}`: base64(SHA512(password || salt) || salt), the salt after the 64-byte
 * digest (Dovecot `password-scheme.c`, `ssha512_verify`: "format: <SHA512 hash><salt>"). Any
 * salt length of at least one octet is read; new hashes get 16 random octets (Dovecot writes
 * 4). The password is hashed as UTF-8.
 */
export function ssha512Hash(options: {
  password: string;
  randomBytes: (length: number) => Uint8Array;
}): string {
  const salt = Buffer.from(options.randomBytes(SALT_OCTETS));
  return Buffer.concat([digest(options.password, salt), salt]).toString("base64");
}

/** Why a stored `{SSHA512}` value cannot be checked, or null when it is well formed. */
export function checkSsha512Hash(stored: string): string | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(stored) || stored.length % 4 !== 0) {
    return "expected base64 after {SSHA512}";
  }
  if (Buffer.from(stored, "base64").length <= DIGEST_OCTETS) {
    return "too short: expected a 64-byte SHA-512 digest followed by a salt";
  }
  return null;
}

/** Checks a password against a stored `{SSHA512}` value (without the prefix), in constant time. */
export function verifySsha512(options: { password: string; stored: string }): boolean {
  if (checkSsha512Hash(options.stored) !== null) return false;
  const raw = Buffer.from(options.stored, "base64");
  const expected = raw.subarray(0, DIGEST_OCTETS);
  return timingSafeEqual(digest(options.password, raw.subarray(DIGEST_OCTETS)), expected);
}

function digest(password: string, salt: Uint8Array): Buffer {
  return createHash("sha512").update(Buffer.from(password, "utf8")).update(salt).digest();
}
