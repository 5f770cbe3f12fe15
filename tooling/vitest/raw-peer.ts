/**
 * A POP3 peer with no protocol code at all, for the tests that must misbehave on purpose:
 * it writes exactly the bytes it is given and reads lines as they arrive.
 */
import * as net from "node:net";
import * as tls from "node:tls";

export class RawPeer {
  socket: net.Socket;
  /** Everything received and not yet consumed, as latin1 text. */
  #text = "";
  #closed = false;
  #wake: (() => void) | null = null;
  readonly closed: Promise<void>;

  constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("error", () => {});
    this.#listen(socket);
    this.closed = new Promise((resolve) => {
      socket.once("close", () => resolve());
    });
  }

  static connect(port: number, host = "127.0.0.1", localAddress?: string): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const options = { port, host, ...(localAddress === undefined ? {} : { localAddress }) };
      const socket = net.connect(options, () => resolve(new RawPeer(socket)));
      socket.once("error", reject);
    });
  }

  /** Bytes received and not yet read by `readLine`. */
  get pending(): string {
    return this.#text;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** The next line without its CRLF; null once the peer closed with no full line left. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const end = this.#text.indexOf("\r\n");
      if (end !== -1) {
        const line = this.#text.slice(0, end);
        this.#text = this.#text.slice(end + 2);
        return line;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** Everything until the peer closes. */
  async readToEnd(): Promise<string> {
    while (!this.#closed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    const rest = this.#text;
    this.#text = "";
    return rest;
  }

  /**
   * Runs a TLS handshake over this connection (as client or server) and reads inside it from
   * then on. Bytes received in clear and not read stay in `pending`, for assertions.
   */
  async startTls(
    options: { side: "client"; ca: string } | { side: "server"; key: string; cert: string },
  ): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners("data");
    raw.removeAllListeners("end");
    const secured =
      options.side === "client"
        ? tls.connect({ socket: raw, ca: options.ca, host: "127.0.0.1" })
        : new tls.TLSSocket(raw, {
            isServer: true,
            secureContext: tls.createSecureContext({ key: options.key, cert: options.cert }),
          });
    await new Promise<void>((resolve, reject) => {
      secured.once(options.side === "client" ? "secureConnect" : "secure", () => resolve());
      secured.once("error", reject);
    });
    secured.on("error", () => {});
    this.socket = secured;
    this.#listen(secured);
  }

  close(): void {
    this.socket.destroy();
  }

  #listen(socket: net.Socket): void {
    socket.on("data", (chunk: Buffer) => {
      this.#text += chunk.toString("latin1");
      this.#notify();
    });
    socket.on("end", () => {
      this.#closed = true;
      this.#notify();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#notify();
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

/** A TCP server on an ephemeral port that hands each connection to `handler` as a RawPeer. */
export async function rawServer(
  handler: (peer: RawPeer) => Promise<void> | void,
): Promise<{ port: number; peers: RawPeer[]; close(): Promise<void> }> {
  const peers: RawPeer[] = [];
  const server = net.createServer((socket) => {
    const peer = new RawPeer(socket);
    peers.push(peer);
    void Promise.resolve(handler(peer)).catch(() => peer.close());
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    peers,
    close: async () => {
      for (const peer of peers) peer.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
