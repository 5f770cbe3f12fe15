/**
 * Dovecot's POP3 session lock, taken beside apop's own (`apop.lock`) so that neither server
 * serves a maildrop the other holds. Dovecot 2.3 takes `dovecot-pop3-session.lock` in the
 * mailbox's index directory (the Maildir itself for `maildir:~/Maildir`) when
 * `pop3_lock_session = yes`, as a dotlock (`dovecot-dotlock.ts`); it waits up to 10 s for it,
 * then answers `-ERR [IN-USE]`.
 *
 * Kept in its own file (not in `maildrop-lock.ts`): it is a second lock with Dovecot's rules.
 */
import { acquireDovecotDotlock } from "./dovecot-dotlock.ts";
import type { MaildropLock } from "./maildrop-lock.ts";

/** Dovecot's file name, relative to the Maildir. */
export const DOVECOT_SESSION_LOCK = "dovecot-pop3-session.lock";

/**
 * Dovecot's POP3_SESSION_DOTLOCK_STALE_TIMEOUT_SECS: 5 minutes, which is also how often a
 * Dovecot session refreshes its lock. A lock from another host is never taken over sooner.
 */
const DOVECOT_SESSION_STALE_MS = 300_000;

/** A `dovecot-pop3-session.lock` we hold. */
export interface DovecotSessionLock {
  /** Removes the lock, if it is still ours (not taken over as stale meanwhile). */
  release(): Promise<void>;
}

/**
 * Takes the dotlock at `file` (`<maildir>/dovecot-pop3-session.lock` unless configured).
 * Throws `StoreError` `in-use` when a live holder has it, the file-system error otherwise.
 * `staleAfterMs` applies to holders on other hosts, and is at least Dovecot's 5 minutes.
 */
export function acquireDovecotSessionLock(options: {
  readonly file: string;
  readonly staleAfterMs: number;
  readonly refreshMs: number;
  /** The apop process whose stale `apop.lock` was just taken over (`MaildropLock.tookOverFrom`). */
  readonly staleHolder?: string | undefined;
}): Promise<DovecotSessionLock> {
  return acquireDovecotDotlock({
    ...options,
    staleAfterMs: Math.max(options.staleAfterMs, DOVECOT_SESSION_STALE_MS),
    busy: "the maildrop is in use by a Dovecot session",
  });
}

/**
 * apop's maildrop lock and Dovecot's session lock as one `MaildropLock`: held while apop's is
 * (the one that guards deletes), released together.
 */
export function withDovecotSessionLock(
  lock: MaildropLock,
  dovecot: DovecotSessionLock,
): MaildropLock {
  return new BothLocks(lock, dovecot);
}

/** A class, not an object of closures: an idle session holds one for as long as it lasts. */
class BothLocks implements MaildropLock {
  readonly #lock: MaildropLock;
  readonly #dovecot: DovecotSessionLock;

  constructor(lock: MaildropLock, dovecot: DovecotSessionLock) {
    this.#lock = lock;
    this.#dovecot = dovecot;
  }

  get file(): string {
    return this.#lock.file;
  }

  get tookOverFrom(): string | undefined {
    return this.#lock.tookOverFrom;
  }

  isHeld(): Promise<boolean> {
    return this.#lock.isHeld();
  }

  async release(): Promise<void> {
    await this.#dovecot.release();
    await this.#lock.release();
  }
}
