/**
 * The contract between the server driver and wherever mail lives (docs/design.md). Core defines it; `@apop/maildir` and the in-memory store implement it.
 *
 * The lifecycle follows RFC 1939 section 4 and section 6:
 * 1. After authentication the driver calls `MailStore.open(user)`. The store takes the
 *    maildrop lock and a snapshot. A busy lock is `StoreError` with code `in-use`.
 * 2. During TRANSACTION the snapshot never changes: numbers, sizes and UIDs are fixed
 *    (RFC 1939 section 5).
 * 3. QUIT in TRANSACTION (the UPDATE state) calls `commit(deleted)`, which removes exactly
 *    those messages and releases the lock. Any other end of the session calls `release()`,
 *    which deletes nothing (RFC 1939 section 6).
 */

/** One message of the snapshot taken at login. */
export interface MessageInfo {
  /**
   * The exact size in octets of the message as it goes on the wire before dot-stuffing:
   * lines end in CRLF; a last line without a line ending counts without one
   * (RFC 1939 section 11: sizes are as transmitted, not as stored).
   */
  readonly size: number;
  /** The unique-id of RFC 1939 section 7: 1 to 70 octets in 0x21-0x7E, stable across sessions. */
  readonly uid: string;
}

/** An open, locked maildrop: the snapshot plus the ways to read and to update it. */
export interface Maildrop {
  /** Messages in their POP3 order: index 0 is message number 1. */
  readonly messages: readonly MessageInfo[];
  /**
   * Streams the stored bytes of one message (0-based index), with whatever line endings the
   * store keeps (LF or CRLF). The server stuffs and normalises them on the way out.
   *
   * A chunk is the reader's until it asks for the next one: a store may then reuse its
   * memory for a later chunk (the Maildir store does). A reader that keeps chunks copies them.
   */
  read(index: number): AsyncIterable<Uint8Array>;
  /**
   * Applies the deletes of the UPDATE state (0-based indexes) and releases the lock. A message
   * that has already vanished is not an error. Throws `StoreError` when some could not be
   * removed; the lock is released either way.
   */
  commit(deleted: readonly number[]): Promise<void>;
  /** Releases the lock without deleting anything. Idempotent. */
  release(): Promise<void>;
  /**
   * When this maildrop was last logged in to (ms since the epoch), or null for never. Kept
   * with the mail on its storage, so every server process sees it and it survives restarts:
   * LOGIN-DELAY (RFC 2449 section 6.5) reads it, with the lock held. Present where the store
   * says `keepsLastLogin`; a maildrop without it (an empty stand-in) is not delayed.
   */
  lastLogin?(): Promise<number | null>;
  /** Records a login at `at` (ms since the epoch), with the lock held. */
  recordLogin?(at: number): Promise<void>;
}

/** Where maildrops come from. */
export interface MailStore {
  /**
   * Locks and snapshots the maildrop of an authenticated user. Throws `StoreError`:
   * `in-use` when another session holds it, `sys-temp` or `sys-perm` for faults.
   */
  open(user: string): Promise<Maildrop>;
  /**
   * The maildrops keep the time of the last login (`Maildrop.lastLogin`), so a server can
   * enforce LOGIN-DELAY. Without it, setting a login delay is refused at start-up.
   */
  readonly keepsLastLogin?: boolean;
}
