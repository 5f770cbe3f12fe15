import { createHash } from "node:crypto";
import { encodeFileName } from "./file-names.ts";

/** RFC 1939 section 7: a unique-id is 1 to 70 characters in 0x21-0x7E. */
export const MAX_UID_LENGTH = 70;

/** Length of a hashed UID: 40 hex digits, the first 160 bits of SHA-256. */
const HASH_LENGTH = 40;

/** True when `uid` can go on the wire as a POP3 unique-id as it is. */
export function isPop3Uid(uid: string): boolean {
  if (uid.length === 0 || uid.length > MAX_UID_LENGTH) return false;
  for (let i = 0; i < uid.length; i++) {
    const code = uid.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/**
 * Makes a POP3 unique-id (RFC 1939 section 7) from any candidate: the candidate itself when
 * it is 1 to 70 characters in 0x21-0x7E, otherwise the first 40 hex digits of the SHA-256 of
 * its UTF-8 bytes (of its raw bytes, for a file name that is not UTF-8: `decodeFileName`). The hash is stable, so the UID is too.
 */
export function pop3Uid(candidate: string): string {
  if (isPop3Uid(candidate)) return candidate;
  // The bytes of a file name that is not UTF-8 (`encodeFileName`); UTF-8 for any other string.
  return createHash("sha256").update(encodeFileName(candidate)).digest("hex").slice(0, HASH_LENGTH);
}

/**
 * Makes the UIDs of one snapshot unique (RFC 1939 section 7 requires it), in snapshot order:
 * the first holder of a UID keeps it; each later one gets `<uid>-2`, `<uid>-3`, ... (the first
 * free one; hashed by `pop3Uid` when that would exceed 70 characters). The same files in the
 * same order always get the same UIDs. Dovecot's `pop3_uidl_duplicates = rename` does the same.
 */
export function uniqueUids(uids: readonly string[]): string[] {
  const taken = new Set(uids);
  const given = new Set<string>();
  return uids.map((uid) => {
    if (!given.has(uid)) {
      given.add(uid);
      return uid;
    }
    for (let n = 2; ; n++) {
      const candidate = pop3Uid(`${uid}-${n}`);
      if (!given.has(candidate) && !taken.has(candidate)) {
        given.add(candidate);
        return candidate;
      }
    }
  });
}
