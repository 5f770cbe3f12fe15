import { type Clock, DEFAULTS, LocalProtocolError, type Transport } from "@apop/core";
import {
  connectionClosedError as closedError,
  SerialWrites,
  settleWithin,
  withTimeLimit,
} from "@apop/core/internal";
import { workersClock } from "./workers-clock.ts";

/**
 * The part of a `Socket` from `cloudflare:sockets` that the transport uses (and the shape a
 * test can fake): two byte streams, the promises that tell when it is open and closed, and
 * `startTls`, which exists on a socket opened with `secureTransport: "starttls"`.
 */
export interface WorkersSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the connection is up; rejects when it could not be made. */
  readonly opened: Promise<unknown>;
  readonly closed: Promise<void>;
  close(): Promise<void>;
  /**
   * Starts TLS on this connection and returns the socket to use from then on; this one's
   * streams are unusable afterwards. Only once, and only with `secureTransport: "starttls"`.
   */
  startTls(): WorkersSocket;
}

export interface WorkersSocketTransportOptions {
  /** A socket from `connect()`, opened or still opening. */
  readonly socket: WorkersSocket;
  /** The socket already runs TLS (`secureTransport: "on"`, RFC 8314). Default false. */
  readonly secure?: boolean;
  /**
   * The socket was opened with `secureTransport: "starttls"`, so `upgrade()` (STLS) can run
   * `socket.startTls()`. Default false: the transport has no `upgrade`.
   */
  readonly startTls?: boolean;
  /** Longest wait for the TLS socket to open after STLS, in ms. Default `DEFAULTS.tlsHandshakeTimeoutMs` (30 s). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Times that wait. Default `workersClock`. */
  readonly clock?: Clock;
  /** How long `close()` waits for the socket to close before it gives up waiting. Default 2 s. */
  readonly closeGraceMs?: number;
}

/**
 * A core `Transport` over a Cloudflare Workers socket (`connect()` from `cloudflare:sockets`).
 *
 * - Reads are pulled: one `reader.read()` runs only while core waits in `read()`, so nothing
 *   is read ahead of core.
 * - Writes run one after another through the stream's writer; each resolves once the runtime
 *   took the bytes, so core's backpressure is the stream's.
 * - `upgrade()` (STLS) refuses while a read is pending (its bytes would have come in clear),
 *   waits for the writes, lets go of both streams and calls `socket.startTls()`. Whatever the
 *   clear socket had received and core had not read stays behind in the old stream, which
 *   `startTls` makes unusable, and bytes still on the wire go to the TLS layer, where they
 *   fail the handshake: nothing sent in clear after the `+OK` is ever read as a reply
 *   (RFC 2595 section 4, the response injection flaw). Core drops the rest of the chunk that
 *   carried the `+OK` itself.
 */
export class WorkersSocketTransport implements Transport {
  readonly upgrade?: () => Promise<void>;
  #socket: WorkersSocket;
  #secure: boolean;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #clock: Clock;
  readonly #closeGraceMs: number;
  readonly #handshakeTimeoutMs: number;
  /** Core's pending `read()`, settled by the `reader.read()` in flight. */
  #reading = false;
  readonly #writes = new SerialWrites();
  #ended = false;
  #upgrading = false;
  #closing: Promise<void> | null = null;
  #error: unknown = null;
  #bytesRead = 0;
  #bytesWritten = 0;

  constructor(options: WorkersSocketTransportOptions) {
    this.#socket = options.socket;
    this.#secure = options.secure ?? false;
    this.#clock = options.clock ?? workersClock;
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
    this.#handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? DEFAULTS.tlsHandshakeTimeoutMs;
    this.#reader = this.#socket.readable.getReader();
    this.#writer = this.#socket.writable.getWriter();
    if (options.startTls === true && !this.#secure) this.upgrade = () => this.#startTls();
  }

  /** `write` hands the writer a copy: the caller may reuse the bytes once it resolves. */
  get releasesWrittenBytes(): true {
    return true;
  }

  /** True when the bytes travel inside TLS. */
  get secure(): boolean {
    return this.#secure;
  }

  /** The socket underneath (the TLS one after `upgrade`). */
  get socket(): WorkersSocket {
    return this.#socket;
  }

  /** The error that ended the connection, if any (a reset, a failed handshake), for logs. */
  get lastError(): unknown {
    return this.#error;
  }

  /** Octets received and sent, counted above TLS. */
  get stats(): { readonly bytesRead: number; readonly bytesWritten: number } {
    return { bytesRead: this.#bytesRead, bytesWritten: this.#bytesWritten };
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#ended || this.#closing !== null) return null;
    if (this.#reading || this.#upgrading) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: this.#upgrading ? "TLS is starting" : "a read is already pending",
      });
    }
    this.#reading = true;
    try {
      for (;;) {
        const { done, value } = await this.#reader.read();
        if (done || this.#closing !== null) {
          this.#ended = true;
          return null;
        }
        if (value.length === 0) continue;
        this.#bytesRead += value.length;
        return value;
      }
    } catch (error) {
      // Our own close cancels the read: that is no error of the connection's.
      if (this.#closing === null) this.#error ??= error;
      this.#ended = true;
      return null;
    } finally {
      this.#reading = false;
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closing !== null || this.#upgrading || this.#ended) {
      return Promise.reject(closedError("write after the connection closed"));
    }
    return this.#writes.enqueue(() => this.#writeOnce(bytes));
  }

  /**
   * Ends the connection: waits for the writes, then closes the socket (TLS sends its
   * close_notify). Resolves once it is closed, or after `closeGraceMs`. Idempotent; a pending
   * `read()` returns null.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeGracefully();
    return this.#closing;
  }

  // ---------------------------------------------------------------------------------------

  async #writeOnce(bytes: Uint8Array): Promise<void> {
    try {
      // The stream may hold on to the bytes after the call: hand it a copy core cannot reuse.
      await this.#writer.write(bytes.slice());
    } catch (error) {
      if (this.#closing === null) this.#error ??= error;
      throw closedError("the connection failed while writing", error);
    }
    this.#bytesWritten += bytes.length;
  }

  async #startTls(): Promise<void> {
    if (this.#secure || this.#upgrading) {
      throw new LocalProtocolError({ code: "invalid-state", message: "TLS is already active" });
    }
    if (this.#closing !== null || this.#ended) {
      throw closedError("cannot start TLS on a closed connection");
    }
    if (this.#reading) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: "cannot start TLS while a read is pending",
      });
    }
    this.#upgrading = true;
    try {
      await this.#writes.settled();
      // startTls takes the streams over; our locks on them must go first.
      this.#reader.releaseLock();
      this.#writer.releaseLock();
      const secured = this.#socket.startTls();
      this.#socket = secured;
      this.#reader = secured.readable.getReader();
      this.#writer = secured.writable.getWriter();
      await withTimeLimit({
        ms: this.#handshakeTimeoutMs,
        clock: this.#clock,
        what: "the TLS handshake",
        promise: secured.opened,
      });
    } catch (error) {
      if (this.#closing === null) this.#error ??= error;
      this.#ended = true;
      await this.#socket.close().catch(() => {});
      throw error;
    } finally {
      this.#upgrading = false;
    }
    this.#secure = true;
  }

  async #closeGracefully(): Promise<void> {
    await this.#writes.settled();
    try {
      // A read in flight ends with `done` once the socket closes.
      await settleWithin({
        ms: this.#closeGraceMs,
        clock: workersClock,
        promise: this.#socket.close(),
      });
    } finally {
      this.#ended = true;
    }
  }
}
