import { createHash } from "node:crypto";

/** Longest escaped UID kept readable in a file name; longer ones are hashed. */
const MAX_ESCAPED = 120;

/**
 * A server's UIDL unique-id as a string that is safe inside a Maildir file name, and from
 * which the same UID always gives the same key (so the Maildir itself says which messages
 * are already here).
 *
 * The unique-id is opaque (RFC 1939 section 7): 1 to 70 characters of 0x21-0x7E, but servers
 * send longer ones and other bytes too, and file names must not hold `/`, must not hold `:`
 * or `,` (Maildir uses them for flags and `,S=` fields), nor `.` (it separates the fields of
 * the name). So:
 * - `U` + the UID with every byte outside `[A-Za-z0-9_-]` written `=XX` (upper-case hex of
 *   its UTF-8 bytes), when that is at most 120 characters;
 * - else `H` + the first 40 hex digits of the SHA-256 of the UID's UTF-8 bytes, which keeps
 *   the name under the 255-byte limit of file systems whatever the server sends.
 */
export function uidKey(uid: string): string {
  // Most servers' UIDs are all safe characters (Dovecot's are hex): one regex test, no loop.
  if (ALL_SAFE.test(uid)) return `U${uid}`;
  const bytes = Buffer.from(uid, "utf8");
  let escaped = "U";
  for (const byte of bytes) {
    escaped += SAFE.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (escaped.length > MAX_ESCAPED + 1) break;
  }
  if (escaped.length <= MAX_ESCAPED + 1) return escaped;
  return `H${createHash("sha256").update(bytes).digest("hex").slice(0, 40)}`;
}

const SAFE = /^[A-Za-z0-9_-]$/;
const ALL_SAFE = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_ESCAPED}}$`);
