import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { StoreError } from "../errors/store-error.ts";
import { wireSize } from "../grammar/wire-size.ts";
import type { Maildrop, MailStore, MessageInfo } from "./mail-store.ts";

/** Options of `MemoryStore`. */
export interface MemoryStoreOptions {
  /** Messages per user, delivered in this order (each is copied). */
  readonly mailboxes?: Readonly<Record<string, readonly Uint8Array[]>>;
  /**
   * When set, `read` yields each message in chunks of at most this many octets (default: the
   * whole message as one chunk). Lets tests exercise code that must survive any chunking.
   */
  readonly chunkSize?: number;
}

interface StoredMessage {
  readonly uid: string;
  readonly size: number;
  readonly bytes: Uint8Array;
}

interface Mailbox {
  /** The next UID number; never goes back, so a UID is never reused (RFC 1939 section 7). */
  nextUid: number;
  messages: StoredMessage[];
  locked: boolean;
}

/**
 * A `MailStore` held in memory, for tests and the demo server. Pure: no I/O, no clock.
 *
 * - UIDs are decimal numbers counted per mailbox from 1 and never reused, so a message keeps
 *   its UID for the life of the store.
 * - Sizes are `wireSize` of the stored bytes, counted once at delivery.
 * - The lock works like the Maildir lock within one process: while a session holds a user, a
 *   second `open` of that user throws `StoreError` `in-use`; `commit` and `release` free it.
 * - `open` takes a snapshot: messages delivered during the session are not in it and are
 *   never touched by its `commit`.
 * - A user without a mailbox opens as an empty maildrop (the demo server authenticates users
 *   that have never received mail). Nothing is created for them until `deliver`.
 */
export class MemoryStore implements MailStore {
  /** Last logins are kept per user, beside the mail (LOGIN-DELAY, RFC 2449 section 6.5). */
  readonly keepsLastLogin = true;
  readonly #mailboxes = new Map<string, Mailbox>();
  readonly #lastLogins = new Map<string, number>();
  readonly #chunkSize: number | undefined;

  constructor(options: MemoryStoreOptions = {}) {
    const { chunkSize } = options;
    if (chunkSize !== undefined && !(Number.isSafeInteger(chunkSize) && chunkSize > 0)) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `chunkSize must be a positive integer, got ${chunkSize}`,
      });
    }
    this.#chunkSize = chunkSize;
    for (const [user, messages] of Object.entries(options.mailboxes ?? {})) {
      for (const message of messages) this.deliver(user, message);
    }
  }

  /** Adds a copy of `message` to the end of `user`'s mailbox and returns its UID. */
  deliver(user: string, message: Uint8Array): string {
    const mailbox = this.#mailbox(user);
    const uid = String(mailbox.nextUid++);
    const bytes = message.slice();
    mailbox.messages.push({ uid, size: wireSize(bytes), bytes });
    return uid;
  }

  /** The messages now in `user`'s mailbox (copies), in delivery order. */
  messages(user: string): Uint8Array[] {
    return (this.#mailboxes.get(user)?.messages ?? []).map((message) => message.bytes.slice());
  }

  /** True while a session holds `user`'s maildrop. */
  isLocked(user: string): boolean {
    return this.#mailboxes.get(user)?.locked ?? false;
  }

  async open(user: string): Promise<Maildrop> {
    let mailbox = this.#mailboxes.get(user);
    if (mailbox?.locked) {
      throw new StoreError({ code: "in-use", message: `maildrop of ${user} is locked` });
    }
    if (mailbox === undefined) {
      mailbox = { nextUid: 1, messages: [], locked: false };
      this.#mailboxes.set(user, mailbox);
    }
    mailbox.locked = true;
    const held = mailbox;
    const unlock = (): void => {
      held.locked = false;
      // A user who never had mail is forgotten again, so `open` creates nothing.
      if (held.nextUid === 1) this.#mailboxes.delete(user);
    };
    const maildrop = new MemoryMaildrop(held, unlock, this.#chunkSize);
    return Object.assign(maildrop, {
      lastLogin: async () => this.#lastLogins.get(user) ?? null,
      recordLogin: async (at: number) => {
        this.#lastLogins.set(user, at);
      },
    });
  }

  #mailbox(user: string): Mailbox {
    let mailbox = this.#mailboxes.get(user);
    if (mailbox === undefined) {
      mailbox = { nextUid: 1, messages: [], locked: false };
      this.#mailboxes.set(user, mailbox);
    }
    return mailbox;
  }
}

class MemoryMaildrop implements Maildrop {
  readonly messages: readonly MessageInfo[];
  readonly #mailbox: Mailbox;
  readonly #unlock: () => void;
  readonly #snapshot: readonly StoredMessage[];
  readonly #chunkSize: number | undefined;
  #open = true;

  constructor(mailbox: Mailbox, unlock: () => void, chunkSize: number | undefined) {
    this.#mailbox = mailbox;
    this.#unlock = unlock;
    this.#snapshot = [...mailbox.messages];
    this.messages = this.#snapshot.map(({ uid, size }) => ({ uid, size }));
    this.#chunkSize = chunkSize;
  }

  read(index: number): AsyncIterable<Uint8Array> {
    this.#checkOpen("read");
    const message = this.#snapshot[index];
    if (message === undefined) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `no message at index ${index}`,
      });
    }
    const { bytes } = message;
    const step = this.#chunkSize ?? Math.max(bytes.length, 1);
    return {
      async *[Symbol.asyncIterator]() {
        for (let start = 0; start < bytes.length; start += step) {
          yield bytes.slice(start, start + step);
        }
      },
    };
  }

  async commit(deleted: readonly number[]): Promise<void> {
    this.#checkOpen("commit");
    this.#open = false;
    try {
      const uids = new Set<string>();
      for (const index of deleted) {
        const message = this.#snapshot[index];
        if (message === undefined) {
          throw new LocalProtocolError({
            code: "invalid-argument",
            message: `no message at index ${index}`,
          });
        }
        uids.add(message.uid);
      }
      // Removed by UID, so messages delivered during the session stay.
      this.#mailbox.messages = this.#mailbox.messages.filter((message) => !uids.has(message.uid));
    } finally {
      this.#unlock();
    }
  }

  async release(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    this.#unlock();
  }

  #checkOpen(what: string): void {
    if (!this.#open) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: `${what} after the maildrop was committed or released`,
      });
    }
  }
}
