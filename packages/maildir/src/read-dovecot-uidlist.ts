import { StoreError } from "@apop/core";
import { type MaildirFile, readMaildirFile } from "./read-maildir-file.ts";

/**
 * The largest `dovecot-uidlist` read: a record is some 60 octets, so about a million messages.
 * A larger file (or a sparse one, which costs its owner nothing) is refused, not read into
 * memory at every login.
 */
export const MAX_UIDLIST_OCTETS = 64 * 1024 * 1024;

/**
 * Reads Dovecot's uidlist at `file` (`readMaildirFile`), or answers `undefined` when there is
 * none. Throws `StoreError` `sys-perm` when the name holds something else than a regular file
 * of at most `MAX_UIDLIST_OCTETS` (a link, a FIFO): guessing the UIDLs without it would make
 * clients download everything again, as for any other read error.
 */
export function readDovecotUidlist(
  file: string,
): { readonly text: string; readonly found: MaildirFile } | undefined {
  const found = readMaildirFile(file, { maxOctets: MAX_UIDLIST_OCTETS });
  if (found === undefined) return undefined;
  if (found.content === undefined) {
    throw new StoreError({
      code: "sys-perm",
      message: "dovecot-uidlist is not a regular file of at most 64 MiB",
    });
  }
  return { text: found.content.toString("utf8"), found };
}
