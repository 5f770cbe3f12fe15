import {
  type ChannelBinding,
  type Clock,
  DEFAULTS,
  LocalProtocolError,
  type Transport,
} from "@apop/core";
import {
  connectionClosedError as closedError,
  SerialWrites,
  settleWithin,
} from "@apop/core/internal";
import { denoClock } from "./deno-clock.ts";
import { handshakeTls } from "./handshake-tls.ts";

/**
 * The part of a connection the transport uses. `Deno.Conn`, `Deno.TcpConn` and
 * `Deno.TlsConn` have this shape; so has the server side of STLS (`startTlsServer`), and
 * the fakes of the tests.
 */
export interface ByteConn {
  /** Reads into `buffer`; the count, or null at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes`; the count written, which may be fewer. */
  write(bytes: Uint8Array): Promise<number>;
  /** Sends our end of the stream (after TLS's close_notify) and keeps reading possible. */
  closeWrite(): Promise<void>;
  /** Closes both directions at once and releases the connection. */
  close(): void;
  /** TLS connections: resolves once the handshake is done. */
  handshake?(): Promise<unknown>;
  /**
   * TLS connections whose runtime exposes it: the channel binding data of the finished
   * handshake (RFC 5929, RFC 9266), else null.
   */
  channelBinding?(): ChannelBinding | null;
}

/** What `new DenoConnTransport()` takes: the connection and how it upgrades to TLS. */
export interface DenoConnTransportOptions {
  /** A connected `Deno.Conn`; a `Deno.TlsConn` (handshake done) for implicit TLS. */
  readonly conn: ByteConn;
  /** The connection already runs TLS (implicit TLS, RFC 8314). Default false. */
  readonly secure?: boolean;
  /**
   * How `upgrade()` starts TLS on the clear connection (STLS): for a client
   * `() => Deno.startTls(conn, { hostname, caCerts })`, for a server `startTlsServer(...)`.
   * Absent (or `secure`): the transport has no `upgrade`, and a server does not offer STLS.
   */
  readonly startTls?: (conn: ByteConn) => Promise<ByteConn>;
  /** Longest TLS handshake after STLS, in ms. Default 30 s. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Times the handshake. Default `denoClock`. */
  readonly clock?: Clock;
  /** The most octets one `read()` returns. Default 16 KiB. */
  readonly readSize?: number;
  /** How long `close()` waits for the peer to finish the close before closing hard. Default 2 s. */
  readonly closeGraceMs?: number;
}

/**
 * A core `Transport` over a Deno connection.
 *
 * - Reads are pulled: one `conn.read` runs only while core waits in `read()`, so nothing is
 *   read ahead and TCP flow control holds a fast peer back; each chunk is a fresh copy.
 * - `write` loops until `conn.write` has taken every octet (it may take fewer), and writes
 *   run one after another, so core's backpressure is the kernel's.
 * - `upgrade()` exists only with `startTls` and no TLS yet. The transport holds no received
 *   byte that core has not taken (nothing is read ahead), so nothing sent in clear before the
 *   handshake can be read as if it came inside TLS (RFC 2595 section 4: the response
 *   injection flaw on a client, CVE-2011-0411 on a server); core drops the rest of the chunk
 *   that carried the STLS exchange, and bytes still in the kernel go to the TLS layer, where
 *   they fail the handshake. It refuses while a read is pending, which could return clear
 *   bytes (and Deno cannot start TLS under a pending read).
 * - `close()` waits for writes, sends our end (TLS close_notify, then FIN), reads and drops
 *   until the peer's end (so unread input does not turn the close into a reset that could
 *   cost the peer our last reply), then closes; after `closeGraceMs` it closes regardless.
 */
export class DenoConnTransport implements Transport {
  readonly upgrade?: () => Promise<void>;
  #conn: ByteConn;
  #secure: boolean;
  readonly #clock: Clock;
  readonly #buffer: Uint8Array;
  readonly #closeGraceMs: number;
  readonly #handshakeTimeoutMs: number;
  /** The driver's pending `read()`. */
  #reader: ((chunk: Uint8Array | null) => void) | null = null;
  /** The `conn.read` in flight, settled once its result is handled. */
  #pulling: Promise<void> | null = null;
  readonly #writes = new SerialWrites();
  #ended = false;
  #upgrading = false;
  #connClosed = false;
  #closing: Promise<void> | null = null;
  #error: unknown = null;
  #bytesRead = 0;
  #bytesWritten = 0;

  /** Wraps a connected `Deno.Conn`; nothing is read until core's driver calls `read()`. */
  constructor(options: DenoConnTransportOptions) {
    this.#conn = options.conn;
    this.#secure = options.secure ?? false;
    this.#clock = options.clock ?? denoClock;
    this.#buffer = new Uint8Array(options.readSize ?? 16 * 1024);
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
    this.#handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? DEFAULTS.tlsHandshakeTimeoutMs;
    const startTls = options.startTls;
    if (startTls !== undefined && !this.#secure) this.upgrade = () => this.#startTls(startTls);
  }

  /** `write` resolves once every octet is written: the caller may reuse the bytes once it resolves. */
  get releasesWrittenBytes(): true {
    return true;
  }

  /** True when the bytes travel inside TLS. */
  get secure(): boolean {
    return this.#secure;
  }

  /**
   * SCRAM-SHA-256-PLUS's binding data, where the connection has it: the server side of TLS
   * (through `node:tls`) on TLS 1.2 (`tls-server-end-point`). Deno's own TLS (the client side)
   * exposes neither an exporter nor the peer certificate: null there.
   */
  channelBinding(): ChannelBinding | null {
    return this.#secure ? (this.#conn.channelBinding?.() ?? null) : null;
  }

  /** The connection underneath (the TLS one after `upgrade`). */
  get conn(): ByteConn {
    return this.#conn;
  }

  /** The error that ended the connection, if any (a reset, a failed handshake), for logs. */
  get lastError(): unknown {
    return this.#error;
  }

  /** Octets received and sent, counted above TLS. */
  get stats(): { readonly bytesRead: number; readonly bytesWritten: number } {
    return { bytesRead: this.#bytesRead, bytesWritten: this.#bytesWritten };
  }

  read(): Promise<Uint8Array | null> {
    if (this.#ended || this.#closing !== null) return Promise.resolve(null);
    if (this.#reader !== null || this.#upgrading) {
      return Promise.reject(
        new LocalProtocolError({
          code: "invalid-state",
          message: this.#upgrading ? "TLS is starting" : "a read is already pending",
        }),
      );
    }
    return new Promise((resolve) => {
      this.#reader = resolve;
      this.#pull();
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closing !== null || this.#upgrading || this.#connClosed) {
      return Promise.reject(closedError("write after the connection closed"));
    }
    return this.#writes.enqueue(() => this.#writeAll(bytes));
  }

  /**
   * Ends the connection gracefully (see the class comment). Resolves once it is closed, at
   * most `closeGraceMs` after the writes finished. Idempotent; a pending `read()` returns
   * null at once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeGracefully();
    return this.#closing;
  }

  /** Drops the connection at once: pending writes reject, reads return null. */
  abort(): void {
    this.#closing ??= this.#writes.settled();
    this.#wakeReader(null);
    this.#closeConn();
  }

  // ---------------------------------------------------------------------------------------

  /** Starts one `conn.read`; its chunk goes to the pending reader, or is dropped if none. */
  #pull(): void {
    const conn = this.#conn;
    const buffer = this.#buffer;
    this.#pulling = conn.read(buffer).then(
      (count) => {
        this.#pulling = null;
        if (count === null) {
          this.#ended = true;
          this.#wakeReader(null);
          return;
        }
        this.#bytesRead += count;
        this.#wakeReader(buffer.slice(0, count));
      },
      (error: unknown) => {
        this.#pulling = null;
        // Our own close interrupts the read: that is no error of the connection's.
        if (!this.#connClosed) this.#error ??= error;
        this.#ended = true;
        this.#wakeReader(null);
      },
    );
  }

  #wakeReader(chunk: Uint8Array | null): void {
    const reader = this.#reader;
    this.#reader = null;
    reader?.(chunk);
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    if (this.#connClosed) throw closedError("write after the connection closed");
    const conn = this.#conn;
    try {
      for (let at = 0; at < bytes.length; ) at += await conn.write(bytes.subarray(at));
    } catch (error) {
      if (!this.#connClosed) this.#error ??= error;
      throw closedError("the connection failed while writing", error);
    }
    this.#bytesWritten += bytes.length;
  }

  async #startTls(startTls: (conn: ByteConn) => Promise<ByteConn>): Promise<void> {
    if (this.#secure || this.#upgrading) {
      throw new LocalProtocolError({ code: "invalid-state", message: "TLS is already active" });
    }
    if (this.#closing !== null || this.#ended || this.#connClosed) {
      throw closedError("cannot start TLS on a closed connection");
    }
    if (this.#reader !== null || this.#pulling !== null) {
      // Its bytes would have come in clear, and Deno.startTls fails with Busy under a read.
      throw new LocalProtocolError({
        code: "invalid-state",
        message: "cannot start TLS while a read is pending",
      });
    }
    this.#upgrading = true;
    try {
      await this.#writes.settled();
      const secured = await startTls(this.#conn);
      this.#conn = secured;
      if (this.#connClosed) {
        // close() came while TLS was starting: close what startTls gave us too.
        this.#connClosed = false;
        this.#closeConn();
        throw closedError("the connection closed while TLS was starting");
      }
      if (secured.handshake !== undefined) {
        await handshakeTls({
          conn: secured as ByteConn & { handshake(): Promise<unknown> },
          timeoutMs: this.#handshakeTimeoutMs,
          clock: this.#clock,
        });
      }
    } catch (error) {
      if (!this.#connClosed) this.#error ??= error;
      this.#ended = true;
      this.#closeConn();
      throw error;
    } finally {
      this.#upgrading = false;
    }
    this.#secure = true;
  }

  async #closeGracefully(): Promise<void> {
    this.#wakeReader(null);
    await this.#writes.settled();
    if (this.#upgrading || this.#connClosed) {
      // Mid-handshake nothing of ours is in flight: closing makes the handshake fail.
      this.#closeConn();
      return;
    }
    // Real time, not the injected clock: this is plumbing, not a protocol timer, and a test
    // clock that never advances must not leave connections open.
    try {
      await settleWithin({
        ms: this.#closeGraceMs,
        clock: denoClock,
        promise: this.#conn
          .closeWrite()
          .catch(() => {})
          .then(() => this.#drain()),
      });
    } finally {
      this.#closeConn();
    }
  }

  /** Reads and drops until the peer's end of the stream. */
  async #drain(): Promise<void> {
    while (!this.#ended && !this.#connClosed) {
      if (this.#pulling === null) this.#pull();
      await this.#pulling;
    }
  }

  #closeConn(): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    this.#ended = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed (BadResource), or taken by a failed startTls.
    }
  }
}
