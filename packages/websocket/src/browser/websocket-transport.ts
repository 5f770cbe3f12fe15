import type { Transport } from "@apop/core";
import { connectionClosedError, isLoopbackAddress } from "@apop/core/internal";
import { CLOSE_CODES } from "../protocol/close-codes.ts";
import { parseUpstreamHello, type UpstreamHello } from "../protocol/upstream-hello.ts";
import { BridgeError } from "./bridge-error.ts";

/** The standard `WebSocket` constructor, or one shaped like it (`ws` in Node tests). */
export type WebSocketConstructor = new (url: string) => WebSocket;

export interface WebSocketTransportOptions {
  /** `wss://bridge.example.org/pop3?target=name` (or `ws://` on loopback). */
  readonly url: string | URL;
  /** Default `globalThis.WebSocket`. */
  readonly WebSocket?: WebSocketConstructor;
  /** Longest wait for the upstream description, in ms. Default 45 s (the bridge allows 30). */
  readonly connectTimeoutMs?: number;
  /** Octets queued in the WebSocket before `write` waits. Default 1 MiB. */
  readonly highWaterMark?: number;
}

/**
 * Core's `Transport` over a browser `WebSocket` to a bridge (or a POP3 server's own
 * WebSocket listener): POP3 bytes in binary frames, after exactly one text frame that
 * describes the hop to the POP3 server.
 *
 * `secure` is true only when both hops are private: the server hop runs TLS (the bridge
 * says so) and the page's hop is `wss://` or loopback. Core's `login` reads it, so a password
 * is sent in clear (USER/PASS, PLAIN) only when no hop is clear.
 *
 * A second text frame, or a binary frame before the first, closes the connection (1003,
 * 1002); reads then return null, as after any close. `closeEvent` says how it ended. There is
 * no `upgrade`: a page cannot run TLS inside the socket (the bridge does it).
 *
 * Browsers give no backpressure on receive: the bridge's `maxBytesToBrowser` bounds what a
 * session can queue here.
 */
export class WebSocketTransport implements Transport {
  readonly #ws: WebSocket;
  readonly #highWaterMark: number;
  readonly #hopSecure: boolean;
  #upstream: UpstreamHello | null = null;
  #queue: Uint8Array[] = [];
  #reader: ((chunk: Uint8Array | null) => void) | null = null;
  #ended = false;
  #closeEvent: { readonly code: number; readonly reason: string } | null = null;
  #closing: Promise<void> | null = null;
  #onHello: ((error: BridgeError | null) => void) | null = null;

  private constructor(ws: WebSocket, url: URL, highWaterMark: number) {
    this.#ws = ws;
    this.#highWaterMark = highWaterMark;
    this.#hopSecure = url.protocol === "wss:" || isLoopbackAddress(url.hostname);
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (event) => this.#onMessage(event.data as unknown));
    ws.addEventListener("close", (event) => this.#onClose(event.code, event.reason));
    // The close event that follows says what happened. Without a listener, Node's `ws` (used
    // outside browsers) throws its error events, e.g. on close() before the handshake is done.
    ws.addEventListener("error", () => {});
  }

  /**
   * Opens the WebSocket and waits for the upstream description. Rejects with `BridgeError`
   * when the bridge closes first (its code and reason), sends something else first, or the
   * wait passes `connectTimeoutMs`.
   */
  static open(options: WebSocketTransportOptions): Promise<WebSocketTransport> {
    const url = new URL(String(options.url));
    const Constructor = options.WebSocket ?? globalThis.WebSocket;
    const transport = new WebSocketTransport(
      new Constructor(url.href),
      url,
      options.highWaterMark ?? 1024 * 1024,
    );
    const timeoutMs = options.connectTimeoutMs ?? 45_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        try {
          transport.#ws.close(CLOSE_CODES.normal, "no upstream description in time");
        } catch {
          // Still connecting: Node's `ws` throws there (browsers abort quietly); it is dropped.
        }
        transport.#hello(
          new BridgeError({
            message: `the bridge did not describe the POP3 server within ${timeoutMs} ms`,
            closeCode: null,
            closeReason: "",
          }),
        );
      }, timeoutMs);
      transport.#onHello = (error) => {
        clearTimeout(timer);
        if (error === null) resolve(transport);
        else reject(error);
      };
    });
  }

  /** What the bridge said about its hop to the POP3 server. */
  get upstream(): UpstreamHello {
    return this.#upstream as UpstreamHello;
  }

  /** Both hops private: TLS to the server, and `wss://` or loopback to the bridge. */
  get secure(): boolean {
    return this.#hopSecure && this.#upstream?.secure === true;
  }

  /** How the WebSocket closed, once it has. */
  get closeEvent(): { readonly code: number; readonly reason: string } | null {
    return this.#closeEvent;
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) return Promise.resolve(chunk);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#reader = resolve;
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const ws = this.#ws;
    // No drain event on a browser WebSocket: wait in small steps while much is queued.
    while (ws.readyState === 1 && ws.bufferedAmount > this.#highWaterMark) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (this.#closing !== null || this.#ended || ws.readyState !== 1) {
      const why = this.#closeEvent === null ? "" : `: ${describe(this.#closeEvent)}`;
      throw connectionClosedError(`the WebSocket is closed${why}`);
    }
    // A view on a SharedArrayBuffer is not sendable (DOM typing): such bytes are copied.
    ws.send(
      bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice(),
    );
  }

  /** Closes with 1000 after what was sent; resolves when closed (2 s at most). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const ws = this.#ws;
      this.#end();
      if (ws.readyState === 3) {
        resolve();
        return;
      }
      const timer = setTimeout(resolve, 2000);
      ws.addEventListener("close", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(CLOSE_CODES.normal, "");
    });
    return this.#closing;
  }

  #onMessage(data: unknown): void {
    if (this.#ended) return;
    if (this.#upstream === null) {
      const hello = typeof data === "string" ? parseUpstreamHello(data) : null;
      if (hello === null) {
        const reason =
          typeof data === "string"
            ? "the first frame is not an upstream description"
            : "a binary frame came before the upstream description";
        this.#ws.close(CLOSE_CODES.protocolError, reason);
        this.#end();
        this.#hello(new BridgeError({ message: reason, closeCode: null, closeReason: reason }));
        return;
      }
      this.#upstream = hello;
      this.#hello(null);
      return;
    }
    if (typeof data === "string") {
      this.#ws.close(CLOSE_CODES.unsupportedData, "a text frame after the upstream description");
      this.#end();
      return;
    }
    const chunk = toBytes(data);
    if (chunk === null) return;
    const reader = this.#reader;
    if (reader !== null) {
      this.#reader = null;
      reader(chunk);
    } else {
      this.#queue.push(chunk);
    }
  }

  #onClose(code: number, reason: string): void {
    this.#closeEvent ??= { code, reason };
    this.#end();
    if (this.#upstream === null) {
      this.#hello(
        new BridgeError({
          message: `the bridge closed the connection: ${describe({ code, reason })}`,
          closeCode: code,
          closeReason: reason,
        }),
      );
    }
  }

  #hello(error: BridgeError | null): void {
    const onHello = this.#onHello;
    this.#onHello = null;
    onHello?.(error);
  }

  /** Reads are over: a pending read returns null; queued bytes stay readable. */
  #end(): void {
    this.#ended = true;
    if (this.#queue.length > 0) return;
    const reader = this.#reader;
    this.#reader = null;
    reader?.(null);
  }
}

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

function describe(event: { code: number; reason: string }): string {
  return event.reason === "" ? `code ${event.code}` : `${event.reason} (code ${event.code})`;
}
