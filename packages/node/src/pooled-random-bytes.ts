import { randomFillSync } from "node:crypto";

/** How many random octets one call to the system's generator fetches ahead. */
const POOL_OCTETS = 4096;

let pool = new Uint8Array(0);
let used = 0;

/**
 * `crypto.randomBytes(length)` for the many small draws of a server (16 octets for each
 * connection's APOP timestamp, RFC 1939 section 7): each call to the system's generator costs
 * some microseconds however few octets it gives, so 4 KiB are fetched at once and handed out
 * in copies, never twice (as Node's own `randomUUID` does). A draw larger than the pool is
 * fetched on its own.
 */
export function pooledRandomBytes(length: number): Uint8Array {
  if (!(Number.isSafeInteger(length) && length >= 0)) {
    throw new RangeError(`length must be a non-negative integer, got ${String(length)}`);
  }
  if (length > POOL_OCTETS) return randomFillSync(new Uint8Array(length));
  if (used + length > pool.length) {
    pool = randomFillSync(new Uint8Array(POOL_OCTETS));
    used = 0;
  }
  const bytes = pool.slice(used, used + length);
  // Not left in the pool once handed out: a secret drawn here (SCRAM's key) lives only in its copy.
  pool.fill(0, used, used + length);
  used += length;
  return bytes;
}
