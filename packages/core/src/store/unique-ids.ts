/**
 * The unique-id rule of RFC 1939 section 7, in one place for every store: a unique-id is 1 to
 * 70 characters in 0x21-0x7E, and no two messages of a maildrop share one. The server session
 * applies it to whatever the store reports at login (`uniqueIds`), so a store that repeats a
 * UID or reports one with spaces or 8-bit characters can never confuse a client: a client
 * that keeps messages by UID (fetchmail, apop) would otherwise take two messages for one and
 * delete the second unread.
 */
import { sha256 } from "../auth/sha256.ts";
import { toHex } from "../bytes/hex.ts";
import { encodeUtf8 } from "../bytes/utf8.ts";

/** RFC 1939 section 7: a unique-id is at most 70 characters. */
export const MAX_UNIQUE_ID_LENGTH = 70;

/** Length of a hashed unique-id: 40 hex digits, the first 160 bits of SHA-256. */
const HASH_LENGTH = 40;

/** True when `uid` can go on the wire as a POP3 unique-id as it is (RFC 1939 section 7). */
export function isUniqueId(uid: string): boolean {
  if (uid.length === 0 || uid.length > MAX_UNIQUE_ID_LENGTH) return false;
  for (let i = 0; i < uid.length; i++) {
    const code = uid.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/**
 * A valid unique-id from any candidate: the candidate itself when `isUniqueId` holds,
 * otherwise the first 40 hex digits of the SHA-256 of its bytes (`bytes` when given, e.g. a
 * file name that is not UTF-8; else the candidate's UTF-8). The hash is stable, so the
 * unique-id is too: the same message keeps it across sessions (RFC 1939 section 7).
 */
export function uniqueIdFrom(options: {
  readonly candidate: string;
  readonly bytes?: Uint8Array;
}): string {
  const { candidate } = options;
  if (isUniqueId(candidate)) return candidate;
  return toHex(sha256(options.bytes ?? encodeUtf8(candidate))).slice(0, HASH_LENGTH);
}

/**
 * Makes the unique-ids of one snapshot valid and unique, in snapshot order: each is first made
 * valid (`uniqueIdFrom`); the first holder of a unique-id keeps it; each later one gets
 * `<uid>-2`, `<uid>-3`, ... (the first free one, hashed when that would exceed 70 characters).
 * The same list always gets the same answer, so the repair is stable across sessions as long
 * as the store's order is. Dovecot's `pop3_uidl_duplicates = rename` does the same.
 */
export function uniqueIds(uids: readonly string[]): string[] {
  const valid = uids.map((candidate) => uniqueIdFrom({ candidate }));
  const taken = new Set(valid);
  const given = new Set<string>();
  // Per unique-id, the suffix its next duplicate tries first. Every suffix below it was given
  // already or was taken, and stays so (`given` only grows), so starting there answers what
  // trying `-2`, `-3`, ... from the start would, without making the k-th duplicate try k - 1
  // suffixes: names like `X,W=1,A=<n>` all have the unique name `X`, and 60,000 of them kept
  // the server's one thread busy for minutes (docs/security.md, "Quadratic work and memory a
  // mailbox owner controls").
  const nextSuffix = new Map<string, number>();
  return valid.map((uid) => {
    if (!given.has(uid)) {
      given.add(uid);
      return uid;
    }
    for (let n = nextSuffix.get(uid) ?? 2; ; n++) {
      const candidate = uniqueIdFrom({ candidate: `${uid}-${n}` });
      if (!given.has(candidate) && !taken.has(candidate)) {
        given.add(candidate);
        nextSuffix.set(uid, n + 1);
        return candidate;
      }
    }
  });
}
