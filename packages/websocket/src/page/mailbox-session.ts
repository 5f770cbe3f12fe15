/**
 * One signed-in mailbox, without the DOM: it lists the messages, fills in their headers,
 * reads, marks for deletion, keeps the session alive and signs out. Every POP3 exchange is
 * core's `Pop3Client`; this file only decides what to ask for and when.
 *
 * The list must stay usable while it fills in. Headers come from `topEach` (pipelined TOP
 * when the server offers PIPELINING), newest first. A user action (read, delete, sign out)
 * takes its place in the client's queue at once; the header loop then stops at its next
 * reply (the client drops the few replies still on the wire), the action runs, and the
 * loop goes on with the messages it has not seen.
 */
import { MIN_IDLE_TIMEOUT_MS, type Pop3Client, Pop3Error } from "../browser/index.ts";
import {
  type MessageSummary,
  parseMessage,
  parseSummary,
  type ReadableMessage,
} from "./parse-message.ts";

export interface MessageEntry {
  /** The message number of this session (RFC 1939 section 5). */
  readonly message: number;
  readonly size: number;
  readonly uid: string | null;
  /** Null until its TOP reply is in. */
  summary: MessageSummary | null;
  /** The server refused its TOP (the reason), or its headers could not be read. */
  problem: string | null;
  /** Marked with DELE: the server removes it when the session ends with QUIT. */
  deleted: boolean;
}

export interface MailboxEvents {
  /** The listing is in: every entry, newest first, summaries still to come. */
  readonly listed: (entries: readonly MessageEntry[]) => void;
  /** One entry's headers are in (or its problem is known). */
  readonly summarised: (entry: MessageEntry) => void;
  /** Every entry has its headers. */
  readonly loaded: () => void;
}

/**
 * NOOP this often while the page is open: half the shortest autologout a server may use
 * (RFC 1939 section 3: at least 10 minutes), so marked deletes survive a pause in reading.
 */
export const KEEP_ALIVE_MS = MIN_IDLE_TIMEOUT_MS / 2;

export class MailboxSession {
  readonly #client: Pop3Client;
  readonly #events: MailboxEvents;
  readonly #entries = new Map<number, MessageEntry>();
  /** User actions queued on the client and not finished: the header loop yields to them. */
  #waiting = 0;
  #signingOut = false;
  #keepAlive: ReturnType<typeof setInterval> | null = null;
  #lastCommand = Date.now();

  constructor(options: { client: Pop3Client; events: MailboxEvents }) {
    this.#client = options.client;
    this.#events = options.events;
  }

  /** The entry of a message number. */
  entry(message: number): MessageEntry | undefined {
    return this.#entries.get(message);
  }

  /** Messages marked for deletion. */
  get deletedCount(): number {
    let count = 0;
    for (const entry of this.#entries.values()) if (entry.deleted) count++;
    return count;
  }

  /**
   * LIST (and UIDL where the server has it), then every message's headers, newest first.
   * Resolves when all are in or the user signed out; rejects when the connection fails.
   */
  async load(): Promise<void> {
    this.#startKeepAlive();
    const listing = await this.#client.list();
    // UIDL is optional (RFC 1939 section 7): a server without it still lists.
    const uids = new Map<number, string>();
    try {
      for (const entry of await this.#client.uidl()) uids.set(entry.message, entry.uid);
    } catch (error) {
      if (!Pop3Error.isInstance(error)) throw error;
    }
    const entries = listing
      .map(
        (item): MessageEntry => ({
          message: item.message,
          size: item.size,
          uid: uids.get(item.message) ?? null,
          summary: null,
          problem: null,
          deleted: false,
        }),
      )
      // Message numbers follow arrival (RFC 1939 section 5 numbers the maildrop in order).
      .sort((a, b) => b.message - a.message);
    for (const entry of entries) this.#entries.set(entry.message, entry);
    this.#events.listed(entries);
    let next = 0;
    // Headers are parsed while the next replies are read: in Chromium each parse waits on a
    // Blob read (postal-mime's decoders), so one at a time would add that wait per row.
    const parsing: Promise<void>[] = [];
    while (next < entries.length && !this.#signingOut) {
      const messages = entries.slice(next).map((entry) => entry.message);
      this.#lastCommand = Date.now();
      for await (const result of this.#client.topEach({ messages, lines: 0 })) {
        next++;
        const entry = this.#entries.get(result.message) as MessageEntry;
        if (result.error !== undefined) {
          entry.problem = result.error.serverText;
          this.#events.summarised(entry);
        } else {
          parsing.push(this.#summarise(entry, result.data));
        }
        if (this.#waiting > 0 || this.#signingOut) break;
      }
    }
    await Promise.all(parsing);
    if (!this.#signingOut) this.#events.loaded();
  }

  /** Parses one header section into its entry, then says so. */
  async #summarise(entry: MessageEntry, headers: Uint8Array): Promise<void> {
    try {
      entry.summary = await parseSummary(headers);
    } catch {
      entry.problem = "the headers could not be read";
    }
    // After sign-out the list is gone: nothing to fill in.
    if (!this.#signingOut) this.#events.summarised(entry);
  }

  /** RETR, parsed. */
  read(message: number): Promise<ReadableMessage> {
    return this.#act(async () => parseMessage(await this.#client.retrBytes(message)));
  }

  /** DELE: the server removes the message at sign-out (RFC 1939 section 6). */
  delete(message: number): Promise<void> {
    return this.#act(async () => {
      await this.#client.dele(message);
      const entry = this.#entries.get(message);
      if (entry !== undefined) entry.deleted = true;
    });
  }

  /** RSET: every mark is undone (RFC 1939 section 5). */
  undeleteAll(): Promise<void> {
    return this.#act(async () => {
      await this.#client.rset();
      for (const entry of this.#entries.values()) entry.deleted = false;
    });
  }

  /** QUIT: the server applies the deletes and ends the session. */
  signOut(): Promise<void> {
    this.#signingOut = true;
    this.#stopKeepAlive();
    return this.#act(() => this.#client.quit());
  }

  /** Drops the connection without QUIT: nothing is deleted. */
  async abandon(): Promise<void> {
    this.#signingOut = true;
    this.#stopKeepAlive();
    await this.#client.close().catch(() => {});
  }

  /** Queues `task` on the client now (its first call takes a place in the client's queue). */
  async #act<T>(task: () => Promise<T>): Promise<T> {
    this.#waiting++;
    this.#lastCommand = Date.now();
    try {
      return await task();
    } finally {
      this.#waiting--;
    }
  }

  #startKeepAlive(): void {
    this.#keepAlive = setInterval(() => {
      if (Date.now() - this.#lastCommand < KEEP_ALIVE_MS / 2) return;
      // A failed NOOP means the connection is gone; the next action says so.
      void this.#act(() => this.#client.noop()).catch(() => {});
    }, KEEP_ALIVE_MS / 2);
  }

  #stopKeepAlive(): void {
    if (this.#keepAlive !== null) clearInterval(this.#keepAlive);
    this.#keepAlive = null;
  }
}
