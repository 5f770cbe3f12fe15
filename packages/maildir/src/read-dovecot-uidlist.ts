import { StoreError } from "@apop/core";
import { type MaildirFile, readMaildirFile } from "./read-maildir-file.ts";
import { snapshotFileLimit } from "./snapshot-file-limit.ts";

/**
 * What each message of the snapshot lets `dovecot-uidlist` grow by: a record of Dovecot's with
 * a GUID, sizes and a long file name is under 200 octets (`snapshotFileLimit`).
 */
const UIDLIST_OCTETS_PER_MESSAGE = 1024;

/**
 * Reads Dovecot's uidlist at `file` (`readMaildirFile`), or answers `undefined` when there is
 * none. Throws `StoreError` `sys-perm` when the name holds something else than a regular file
 * of at most `snapshotFileLimit` for `messageCount` messages (a link, a FIFO, a sparse file, a
 * file far larger than the snapshot explains): guessing the UIDLs without it would make
 * clients download everything again, as for any other read error.
 */
export function readDovecotUidlist(options: {
  readonly file: string;
  /** The messages of the snapshot; `undefined` (64 MiB) when not known. */
  readonly messageCount: number | undefined;
}): { readonly text: string; readonly found: MaildirFile } | undefined {
  const maxOctets = snapshotFileLimit({
    messageCount: options.messageCount,
    octetsPerMessage: UIDLIST_OCTETS_PER_MESSAGE,
  });
  const found = readMaildirFile(options.file, { maxOctets });
  if (found === undefined) return undefined;
  if (found.content === undefined) {
    throw new StoreError({
      code: "sys-perm",
      message: `dovecot-uidlist is not a regular file of at most ${maxOctets} octets`,
    });
  }
  return { text: found.content.toString("utf8"), found };
}
