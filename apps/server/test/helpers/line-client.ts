import * as net from "node:net";

/**
 * A bare POP3 client over one socket, bound to a chosen local address (the "real client"
 * address a balancer relays), that sends lines and reads reply lines. No protocol logic:
 * the tests say what to send and check what comes back.
 */
export class LineClient {
  readonly #socket: net.Socket;
  #buffer = "";
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      this.#buffer += chunk;
      this.#wake?.();
    });
    socket.on("close", () => {
      this.#closed = true;
      this.#wake?.();
    });
    socket.on("error", () => {});
  }

  static connect(options: { port: number; localAddress?: string }): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: "127.0.0.1",
        port: options.port,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      });
      socket.once("connect", () => resolve(new LineClient(socket)));
      socket.once("error", reject);
    });
  }

  /** The next line without its CRLF, or null once the connection closed. */
  async line(): Promise<string | null> {
    for (;;) {
      const end = this.#buffer.indexOf("\r\n");
      if (end !== -1) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      if (this.#closed) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }

  /** Sends `command` and returns the status line. */
  async command(command: string): Promise<string | null> {
    this.#socket.write(`${command}\r\n`);
    return this.line();
  }

  /** Sends `command` and returns a multi-line reply's lines (status first, without the dot). */
  async multiline(command: string): Promise<string[]> {
    const status = await this.command(command);
    if (status === null || !status.startsWith("+OK")) return status === null ? [] : [status];
    const lines = [status];
    for (let line = await this.line(); line !== "." && line !== null; line = await this.line()) {
      lines.push(line.startsWith(".") ? line.slice(1) : line);
    }
    return lines;
  }

  get closed(): boolean {
    return this.#closed;
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
