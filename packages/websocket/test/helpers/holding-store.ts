/**
 * A MemoryStore whose reads of chosen messages wait until the test lets them go: a server
 * that holds back later replies, so a test can see what the page does before they come,
 * by order rather than by time.
 */
import { type Maildrop, type MailStore, MemoryStore } from "@apop/core";

export class HoldingStore implements MailStore {
  readonly memory: MemoryStore;
  /** Message indexes (0-based) whose reads wait for `release()`. */
  readonly held = new Set<number>();
  /** Indexes whose read has started, in order. */
  readonly reads: number[] = [];
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};

  constructor(mailboxes: Record<string, Uint8Array[]>) {
    this.memory = new MemoryStore({ mailboxes, chunkSize: 16 * 1024 });
  }

  /** From now on, reads of these messages (1-based numbers) wait. */
  hold(...messages: number[]): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
    for (const message of messages) this.held.add(message - 1);
  }

  /** Lets every held read go on. */
  release(): void {
    this.held.clear();
    this.#open();
  }

  /** True once the server has started reading a held message: its reply is being held. */
  holding(message: number): boolean {
    return this.held.has(message - 1) && this.reads.includes(message - 1);
  }

  async open(user: string): Promise<Maildrop> {
    const drop = await this.memory.open(user);
    const store = this;
    return {
      messages: drop.messages,
      commit: (deleted) => drop.commit(deleted),
      release: () => drop.release(),
      async *read(index: number): AsyncIterable<Uint8Array> {
        store.reads.push(index);
        if (store.held.has(index)) await store.#gate;
        yield* drop.read(index);
      },
    };
  }
}
