/**
 * Two in-memory transports joined back to back, for driving `serveConnection` and
 * `Pop3Client` without sockets. `upgrade` models STLS without cryptography (the handshake
 * itself is tested for real in @apop/node): each chunk remembers whether its writer had
 * upgraded; once a reader has upgraded it drops every chunk written in clear, as a TLS layer
 * would fail on them, and so clear bytes sent before the handshake never reach it.
 */
import type { Transport } from "../../src/index.ts";

class Pipe {
  #queue: { chunk: Uint8Array; secure: boolean }[] = [];
  #waiting: ((chunk: Uint8Array | null) => void) | null = null;
  #closed = false;
  /** Set once the reading end has upgraded. */
  secureReader = false;

  push(chunk: Uint8Array, secureWriter: boolean): void {
    if (this.#closed) return;
    if (this.secureReader && !secureWriter) return;
    const copy = chunk.slice();
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve(copy);
    } else {
      this.#queue.push({ chunk: copy, secure: secureWriter });
    }
  }

  read(): Promise<Uint8Array | null> {
    const next = this.#queue.shift();
    if (next !== undefined) return Promise.resolve(next.chunk);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** The reader upgrades: what was queued in clear is dropped; what the upgraded writer sent stays. */
  upgradeReader(): void {
    this.secureReader = true;
    this.#queue = this.#queue.filter((entry) => entry.secure);
  }

  close(): void {
    this.#closed = true;
    this.#queue = [];
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      resolve(null);
    }
  }
}

export interface MemoryTransport extends Transport {
  secure: boolean;
  /** Every byte written by this end, for assertions. */
  readonly written: Uint8Array[];
  readonly closed: boolean;
}

export function createMemoryLink(options: { secure?: boolean; upgradable?: boolean } = {}): {
  client: MemoryTransport;
  server: MemoryTransport;
} {
  const toServer = new Pipe();
  const toClient = new Pipe();
  // With implicit TLS both ends start secure.
  toServer.secureReader = toClient.secureReader = options.secure ?? false;
  const make = (incoming: Pipe, outgoing: Pipe): MemoryTransport => {
    let closed = false;
    const transport: MemoryTransport = {
      secure: options.secure ?? false,
      written: [],
      get closed() {
        return closed;
      },
      read: () => incoming.read(),
      write: async (bytes) => {
        if (closed) throw new Error("write after close");
        transport.written.push(bytes.slice());
        outgoing.push(bytes, transport.secure);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        outgoing.close();
        incoming.close();
      },
      ...(options.upgradable === false
        ? {}
        : {
            upgrade: async () => {
              incoming.upgradeReader();
              transport.secure = true;
            },
          }),
    };
    return transport;
  };
  const client = make(toClient, toServer);
  const server = make(toServer, toClient);
  return { client, server };
}
