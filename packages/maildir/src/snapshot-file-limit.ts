/**
 * The most octets the store reads of a Maildir file that lists the messages (Dovecot's
 * `dovecot-uidlist`, the size cache), whatever the snapshot: 64 MiB, about a million records.
 */
export const MAX_LISTING_OCTETS = 64 * 1024 * 1024;

/** What such a file may take however few messages the snapshot has. */
// 4 MiB: some 70,000 records of mail deleted since Dovecot last rewrote the uidlist (a Maildir
// apop serves alone after Dovecot appends and never removes), at some 0.3 s of parsing for a
// crafted file at worst.
const BASE_OCTETS = 4 * 1024 * 1024;

/**
 * The largest file listing the messages of a snapshot of `messageCount` messages that the
 * store reads: 4 MiB plus `octetsPerMessage` a message, at most `MAX_LISTING_OCTETS` (all of
 * it when the count is not known).
 *
 * Whoever owns the Maildir writes these files. Without a bound by the snapshot, a 64 MiB file
 * of 4-octet lines beside one message makes every login parse 16 million records (seconds of
 * the server's one thread, gigabytes of heap). A real file stays near the message count: the
 * store rewrites its size cache with the snapshot's entries only, and Dovecot rewrites its
 * uidlist once expunged records are a quarter of it (maildir-uidlist.c,
 * `UIDLIST_COMPRESS_PERCENTAGE`). See docs/security.md, "Quadratic work and memory a mailbox
 * owner controls".
 */
export function snapshotFileLimit(options: {
  readonly messageCount: number | undefined;
  readonly octetsPerMessage: number;
}): number {
  const { messageCount, octetsPerMessage } = options;
  if (messageCount === undefined) return MAX_LISTING_OCTETS;
  return Math.min(MAX_LISTING_OCTETS, BASE_OCTETS + messageCount * octetsPerMessage);
}
