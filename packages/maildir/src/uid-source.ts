import type { MaildirName } from "./parse-maildir-name.ts";

/**
 * Answers the UID of one message of a snapshot, or `undefined` to use the default: the
 * Maildir unique name. Whatever it answers is made a valid POP3 unique-id (hashed when it is
 * not 1-70 characters in 0x21-0x7E) and unique within the snapshot by the store.
 */
export type UidLookup = (message: MaildirName) => string | undefined;

/**
 * Where UIDs come from, besides the Maildir unique name. `load` runs once per `open`, with
 * the maildrop lock held, before the snapshot is numbered, and is given the snapshot's
 * messages. It may read and write files of the Maildir (Dovecot's `dovecot-uidlist`, see
 * `dovecotUidlistSource`). A thrown error fails the `open`.
 */
export interface UidSource {
  load(options: {
    readonly maildir: string;
    /** The messages of the snapshot, in order (absent from callers older than this field). */
    readonly messages?: readonly MaildirName[];
  }): Promise<UidLookup>;
}
