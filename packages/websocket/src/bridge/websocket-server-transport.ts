import type { Transport } from "@apop/core";
import { connectionClosedError } from "@apop/core/internal";
import type { WebSocket } from "ws";
import { CLOSE_CODES, closeReason } from "../protocol/close-codes.ts";
import { formatUpstreamHello } from "../protocol/upstream-hello.ts";

/**
 * Core's `Transport` over the server side of a `ws` WebSocket, for a POP3 server that
 * speaks WebSocket itself: binary frames both ways, `secure` when the socket is `wss://`.
 *
 * It speaks the bridge's framing, so one browser client works with both: the first write
 * (the greeting, which is what `serveConnection` writes first) is preceded by the text frame
 * that describes the hop. A text frame from the page closes the connection with 1003.
 * Input is bounded: past `highWaterMark` queued octets the socket is paused.
 */
export class WebSocketServerTransport implements Transport {
  readonly secure: boolean;
  /** `write` resolves on `ws`'s callback, once the socket is done with the frame. */
  get releasesWrittenBytes(): true {
    return true;
  }
  readonly #ws: WebSocket;
  readonly #highWaterMark: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #reader: ((chunk: Uint8Array | null) => void) | null = null;
  #ended = false;
  #greeted = false;
  #closing: Promise<void> | null = null;

  constructor(options: { ws: WebSocket; secure: boolean; highWaterMark?: number }) {
    this.#ws = options.ws;
    this.secure = options.secure;
    this.#highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.#ws.on("message", (data, isBinary) => {
      if (this.#ended) return;
      if (!isBinary) {
        this.#ws.close(
          CLOSE_CODES.unsupportedData,
          "text frames are not accepted: POP3 travels in binary frames",
        );
        this.#ws.resume();
        this.#end();
        return;
      }
      const chunk = data as Buffer;
      const reader = this.#reader;
      if (reader !== null) {
        this.#reader = null;
        reader(chunk);
        return;
      }
      this.#queue.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued >= this.#highWaterMark) this.#ws.pause();
    });
    this.#ws.on("close", () => this.#end());
    this.#ws.on("error", () => {});
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#queued -= chunk.length;
      if (this.#ws.isPaused && this.#queued < this.#highWaterMark) this.#ws.resume();
      return Promise.resolve(chunk);
    }
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#reader = resolve;
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const ws = this.#ws;
    if (this.#closing !== null || ws.readyState !== ws.OPEN) {
      return Promise.reject(connectionClosedError("the WebSocket is closed"));
    }
    if (!this.#greeted) {
      this.#greeted = true;
      const end = bytes.indexOf(0x0a);
      const line = bytes.subarray(0, end === -1 ? bytes.length : end);
      // Core's server session wrote it with formatStatusLine: one UTF-8 line ending in CRLF.
      const greeting = new TextDecoder().decode(line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
      ws.send(formatUpstreamHello({ target: null, secure: this.secure, tls: null, greeting }));
    }
    // Resolves on ws's callback, once the socket is done with the frame (the caller may reuse
    // the bytes): backpressure for the body stream.
    return new Promise((resolve, reject) => {
      ws.send(bytes, { binary: true }, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends a normal close frame after what was written, and waits (briefly) for the page's. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const ws = this.#ws;
      this.#end();
      if (ws.readyState === ws.CLOSED) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      timer.unref();
      ws.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === ws.OPEN) ws.close(CLOSE_CODES.normal, closeReason("POP3 session over"));
      // A paused socket would never read the page's answering close frame.
      ws.resume();
    });
    return this.#closing;
  }

  /** Drops the connection at once (server shutdown after its grace). */
  abort(): void {
    this.#ws.terminate();
    this.#end();
  }

  #end(): void {
    this.#ended = true;
    this.#queue = [];
    this.#queued = 0;
    const reader = this.#reader;
    this.#reader = null;
    reader?.(null);
  }
}
