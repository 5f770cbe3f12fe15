/**
 * The SCRAM key schedule (RFC 5802 section 3) for SHA-256 (RFC 7677), on @noble/hashes: core
 * writes no SHA-256, HMAC or PBKDF2 of its own (it is bundled into core's build, so core's
 * published package still has no dependencies). MD5 stays core's own (`md5.ts`), for APOP.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { pbkdf2 } from "@noble/hashes/pbkdf2.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { encodeUtf8 } from "../../bytes/utf8.ts";

/** The keys a server stores for a SCRAM user (Dovecot's `{SCRAM-SHA-256}` scheme holds them). */
export interface ScramKeys {
  /** H(ClientKey) (RFC 5802 section 3). */
  readonly storedKey: Uint8Array;
  /** HMAC(SaltedPassword, "Server Key") (RFC 5802 section 3). */
  readonly serverKey: Uint8Array;
}

/** RFC 5802 section 5.1: "SHOULD be at least 4096"; Dovecot and `doveadm pw` use 4096. */
export const SCRAM_MIN_ITERATIONS = 4096;

/**
 * A ceiling on the iteration count a client accepts from a server (and a server from a
 * user file): each iteration is two SHA-256 blocks, so a hostile server asking for 2^31 would
 * hold the client for hours.
 */
export const SCRAM_MAX_ITERATIONS = 1_000_000;

/** HMAC-SHA-256 (RFC 2104). */
export function hmacSha256({ key, data }: { key: Uint8Array; data: Uint8Array }): Uint8Array {
  return hmac(sha256, key, data);
}

/** SHA-256 (FIPS 180-4). */
export function sha256Digest(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/**
 * `SaltedPassword := Hi(Normalize(password), salt, i)`: PBKDF2-HMAC-SHA-256 with one output
 * block (RFC 5802 section 2.2). `password` must already be SASLprep'd.
 */
export function saltPassword({
  password,
  salt,
  iterations,
}: {
  password: string;
  salt: Uint8Array;
  iterations: number;
}): Uint8Array {
  return pbkdf2(sha256, encodeUtf8(password), salt, { c: iterations, dkLen: 32 });
}

/** `ClientKey := HMAC(SaltedPassword, "Client Key")`. */
export function clientKeyOf(saltedPassword: Uint8Array): Uint8Array {
  return hmacSha256({ key: saltedPassword, data: encodeUtf8("Client Key") });
}

/** StoredKey and ServerKey from a salted password (RFC 5802 section 3). */
export function scramKeysOf(saltedPassword: Uint8Array): ScramKeys {
  return {
    storedKey: sha256Digest(clientKeyOf(saltedPassword)),
    serverKey: hmacSha256({ key: saltedPassword, data: encodeUtf8("Server Key") }),
  };
}

/** XOR of two equal-length byte strings (ClientProof, and recovering ClientKey from it). */
export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** Compares two byte strings without an early exit (their lengths are not secret). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] as number);
  return difference === 0;
}
