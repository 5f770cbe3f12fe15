import type * as net from "node:net";
import type * as tls from "node:tls";
import {
  type ChannelBinding,
  type Clock,
  DEFAULTS,
  LocalProtocolError,
  type Transport,
} from "@apop/core";
import { connectionClosedError as closedError } from "@apop/core/internal";
import { nodeClock } from "./node-clock.ts";
import { tlsChannelBinding } from "./tls-channel-binding.ts";
import { type ClientTlsOptions, handshakeTls } from "./tls-handshake.ts";

/** How a transport may start TLS in place (STLS). */
export type StartTlsOptions =
  | { readonly side: "server"; readonly secureContext: tls.SecureContext }
  | ({ readonly side: "client" } & ClientTlsOptions);

export interface NodeSocketTransportOptions {
  /** A connected socket; a `tls.TLSSocket` whose handshake is done for implicit TLS. */
  readonly socket: net.Socket;
  /** The socket already runs TLS (implicit TLS, RFC 8314). Default false. */
  readonly secure?: boolean;
  /**
   * Which end of the TLS connection this is, for channel binding (`tls-server-end-point`
   * hashes the server's certificate: ours, or the peer's). Default: `startTls.side`, else
   * `client`.
   */
  readonly side?: "client" | "server";
  /** How to answer `upgrade()`. Absent (or `secure`): the transport has no `upgrade`. */
  readonly startTls?: StartTlsOptions;
  /** Longest TLS handshake after STLS, in ms. Default 30 s. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Times the handshake. Default `nodeClock`. */
  readonly clock?: Clock;
  /**
   * Received octets held for `read()` before the socket is paused. TCP flow control then
   * slows the peer down: a client that floods us cannot make us buffer without bound.
   * Default 64 KiB.
   */
  readonly highWaterMark?: number;
  /** How long `close()` waits for the peer to finish the close before destroying. Default 2 s. */
  readonly closeGraceMs?: number;
}

/** Counters for logs and tests. Octets are counted above TLS (clear text). */
export interface TransportStats {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  /** Received octets queued and not yet taken by `read()`. */
  readonly bufferedInput: number;
  /** Octets handed to the socket and not yet flushed to the kernel (`writableLength`). */
  readonly bufferedOutput: number;
  readonly peakBufferedInput: number;
  readonly peakBufferedOutput: number;
  /** Writes that had to wait for `'drain'`: backpressure at work. */
  readonly backpressureWaits: number;
}

/** Which transport a socket feeds: see `NodeSocketTransport.#listeners`. */
const owners = new WeakMap<net.Socket, NodeSocketTransport>();

/** A socket's transport: set before any of its listeners is added, never removed. */
function ownerOf(socket: net.Socket): NodeSocketTransport {
  return owners.get(socket) as NodeSocketTransport;
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * A core `Transport` over a Node `net.Socket` or `tls.TLSSocket`: pull-based reads with a
 * bounded queue, writes that respect backpressure, STLS, and a graceful close.
 *
 * `upgrade()` exists only when `startTls` was given and TLS is not active yet. It throws
 * away every clear-text byte received and not yet read, before the handshake starts
 * (RFC 2595 section 4: the STARTTLS command injection flaw CVE-2011-0411 on a server, and
 * the response injection flaw on a client), and gives up after `tlsHandshakeTimeoutMs`.
 */
export class NodeSocketTransport implements Transport {
  /**
   * Present only when STLS is possible, and then one function shared by every transport, not
   * a closure per connection: call it as a method, `transport.upgrade()`.
   */
  readonly upgrade?: (this: NodeSocketTransport) => Promise<void>;
  #startTlsOptions: StartTlsOptions | null = null;
  #socket: net.Socket;
  #secure: boolean;
  readonly #side: "client" | "server";
  #binding: ChannelBinding | null | undefined = undefined;
  readonly #clock: Clock;
  readonly #highWaterMark: number;
  readonly #closeGraceMs: number;
  readonly #handshakeTimeoutMs: number;
  #queue: Buffer[] = [];
  #queued = 0;
  #paused = false;
  #ended = false;
  #socketClosed = false;
  #upgrading = false;
  #reader: ((chunk: Uint8Array | null) => void) | null = null;
  #writers: Waiter<void>[] = [];
  #closing: Promise<void> | null = null;
  #error: Error | null = null;
  #bytesRead = 0;
  #bytesWritten = 0;
  #peakIn = 0;
  #peakOut = 0;
  #backpressureWaits = 0;

  constructor(options: NodeSocketTransportOptions) {
    this.#socket = options.socket;
    this.#secure = options.secure ?? false;
    this.#side = options.side ?? options.startTls?.side ?? "client";
    this.#clock = options.clock ?? nodeClock;
    this.#highWaterMark = options.highWaterMark ?? 64 * 1024;
    this.#closeGraceMs = options.closeGraceMs ?? 2000;
    this.#handshakeTimeoutMs = options.tlsHandshakeTimeoutMs ?? DEFAULTS.tlsHandshakeTimeoutMs;
    if (options.startTls !== undefined && !this.#secure) {
      this.#startTlsOptions = options.startTls;
      this.upgrade = NodeSocketTransport.#upgrade;
    }
    this.#attach(this.#socket);
  }

  /** `write` resolves on the write's own callback: the caller may reuse the bytes once it resolves. */
  get releasesWrittenBytes(): true {
    return true;
  }

  /** True when the bytes travel inside TLS. */
  get secure(): boolean {
    return this.#secure;
  }

  /**
   * The TLS channel binding data for SCRAM-SHA-256-PLUS: `tls-exporter` on TLS 1.3,
   * `tls-server-end-point` below (`tlsChannelBinding`). Null before TLS.
   */
  channelBinding(): ChannelBinding | null {
    if (!this.#secure) return null;
    // Computed once: Node hands out the peer's X509Certificate only on the first call.
    if (this.#binding === undefined) {
      const socket = this.#socket as tls.TLSSocket;
      this.#binding =
        typeof socket.getProtocol === "function"
          ? tlsChannelBinding({ socket, side: this.#side })
          : null;
    }
    return this.#binding;
  }

  /** Received octets waiting for `read()`: never much more than `highWaterMark`. */
  get bufferedBytes(): number {
    return this.#queued;
  }

  /** The socket underneath (the TLS socket after `upgrade`). */
  get socket(): net.Socket {
    return this.#socket;
  }

  /** The last socket error, if any (for logs: a reset, a failed handshake). */
  get lastError(): Error | null {
    return this.#error;
  }

  get stats(): TransportStats {
    return {
      bytesRead: this.#bytesRead,
      bytesWritten: this.#bytesWritten,
      bufferedInput: this.#queued,
      bufferedOutput: this.#socket.writableLength,
      peakBufferedInput: this.#peakIn,
      peakBufferedOutput: this.#peakOut,
      backpressureWaits: this.#backpressureWaits,
    };
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#queued -= chunk.length;
      if (this.#paused && this.#queued < this.#highWaterMark) {
        this.#paused = false;
        this.#socket.resume();
      }
      return Promise.resolve(chunk);
    }
    if (this.#ended || this.#closing !== null) return Promise.resolve(null);
    if (this.#reader !== null) {
      return Promise.reject(
        new LocalProtocolError({ code: "invalid-state", message: "a read is already pending" }),
      );
    }
    return new Promise((resolve) => {
      this.#reader = resolve;
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (this.#closing !== null || this.#upgrading || socket.destroyed || socket.writableEnded) {
      return Promise.reject(closedError("write after the connection closed"));
    }
    // Resolved by the write's own callback, once Node is done with `bytes` (`Transport.write`:
    // the caller may then reuse them), not when `write` returns true: that means only "below
    // the high-water mark", while libuv may still hold a part it could not write yet.
    // 'drain' and 'close' settle it too (`#onDrain`, `#onClose`).
    return new Promise((resolve, reject) => {
      const writer: Waiter<void> = { resolve, reject };
      this.#writers.push(writer);
      const flushed = socket.write(bytes, (error) => {
        const at = this.#writers.indexOf(writer);
        if (at !== -1) this.#writers.splice(at, 1);
        if (error) reject(closedError("the connection failed while writing", error));
        else resolve();
      });
      this.#bytesWritten += bytes.length;
      // The peak of writableLength is right after a write; it only falls until the next one.
      this.#peakOut = Math.max(this.#peakOut, socket.writableLength);
      if (!flushed) this.#backpressureWaits++;
    });
  }

  /**
   * Ends the connection: pending output is flushed, TLS sends its close_notify first
   * (RFC 8314 section 3.2), then our FIN. Resolves once that is out; the socket is destroyed
   * if the peer has not finished its side within `closeGraceMs`. Idempotent; a pending
   * `read()` returns null at once.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeGracefully();
    return this.#closing;
  }

  /** Drops the connection at once, without flushing: pending writes reject, reads return null. */
  abort(): void {
    this.#socket.destroy();
    this.#closing ??= this.#waitClosed();
    this.#endReads();
  }

  // ---------------------------------------------------------------------------------------

  #onData(chunk: Buffer): void {
    this.#bytesRead += chunk.length;
    const reader = this.#reader;
    if (reader !== null && this.#queue.length === 0) {
      this.#reader = null;
      reader(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#peakIn = Math.max(this.#peakIn, this.#queued);
    if (this.#queued >= this.#highWaterMark && !this.#paused) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #onEnd(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  #onError(error: Error): void {
    this.#error = error;
  }

  #onDrain(): void {
    const writers = this.#writers;
    this.#writers = [];
    for (const writer of writers) writer.resolve();
  }

  #onClose(): void {
    this.#socketClosed = true;
    this.#ended = true;
    this.#wakeReader();
    const writers = this.#writers;
    this.#writers = [];
    for (const writer of writers) writer.reject(closedError("the connection closed"));
  }

  /**
   * The socket listeners, one set for every transport rather than five closures per
   * transport, kept for as long as its connection lasts (minutes, for an idle session):
   * Node calls a listener with the socket as `this`, and `owners` knows its transport.
   */
  static readonly #listeners = {
    data(this: net.Socket, chunk: Buffer): void {
      ownerOf(this).#onData(chunk);
    },
    end(this: net.Socket): void {
      ownerOf(this).#onEnd();
    },
    error(this: net.Socket, error: Error): void {
      ownerOf(this).#onError(error);
    },
    drain(this: net.Socket): void {
      ownerOf(this).#onDrain();
    },
    close(this: net.Socket): void {
      ownerOf(this).#onClose();
    },
  };

  #attach(socket: net.Socket): void {
    const on = NodeSocketTransport.#listeners;
    owners.set(socket, this);
    socket.on("data", on.data);
    socket.on("end", on.end);
    socket.on("error", on.error);
    socket.on("drain", on.drain);
    // After a graceful end() the output is flushed without a 'drain'.
    socket.on("finish", on.drain);
    socket.on("close", on.close);
    if (socket.destroyed) queueMicrotask(() => this.#onClose());
  }

  #detach(socket: net.Socket): void {
    const on = NodeSocketTransport.#listeners;
    socket.off("data", on.data);
    socket.off("end", on.end);
    socket.off("drain", on.drain);
    socket.off("finish", on.drain);
    socket.off("close", on.close);
    // The 'error' listener stays (and with it the socket's entry in `owners`): an unwatched
    // 'error' would crash the process.
  }

  /** `upgrade`: one function for every transport, called as `transport.upgrade()`. */
  static #upgrade(this: NodeSocketTransport): Promise<void> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the transport, not the class.
    return this.#startTls(this.#startTlsOptions as StartTlsOptions);
  }

  async #startTls(options: StartTlsOptions): Promise<void> {
    if (this.#secure || this.#upgrading) {
      throw new LocalProtocolError({ code: "invalid-state", message: "TLS is already active" });
    }
    if (this.#closing !== null || this.#ended) {
      throw closedError("cannot start TLS on a closed connection");
    }
    const raw = this.#socket;
    this.#detach(raw);
    // RFC 2595 section 4: nothing received in clear before the handshake may be acted on.
    // Drop what we queued and what the socket itself buffered while paused.
    this.#queue = [];
    this.#queued = 0;
    if (raw.readableLength > 0) raw.read();
    this.#paused = false;
    this.#upgrading = true;
    try {
      this.#socket = await handshakeTls({
        socket: raw,
        timeoutMs: this.#handshakeTimeoutMs,
        clock: this.#clock,
        ...(options.side === "server"
          ? { side: "server", secureContext: options.secureContext }
          : { side: "client", client: options }),
      });
    } catch (error) {
      this.#error = error instanceof Error ? error : new Error(String(error));
      raw.destroy();
      this.#onClose();
      throw error;
    } finally {
      this.#upgrading = false;
    }
    this.#secure = true;
    this.#attach(this.#socket);
    if (this.#closing !== null) this.#socket.destroy();
  }

  async #closeGracefully(): Promise<void> {
    this.#endReads();
    const socket = this.#socket;
    if (this.#upgrading || socket.destroyed) {
      // Mid-handshake nothing of ours is in flight: the handshake fails and cleans up.
      socket.destroy();
      await this.#waitClosed();
      return;
    }
    // Reads are over. Let incoming bytes flow away, or a paused socket would never see the
    // peer's FIN and would only close at the end of the grace.
    socket.off("data", NodeSocketTransport.#listeners.data);
    socket.resume();
    // Real time, not the injected clock: this is plumbing, not a protocol timer, and a test
    // clock that never advances must not leave sockets open.
    const timer = setTimeout(() => socket.destroy(), this.#closeGraceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
    // Done once our output and our FIN (after close_notify) are out; the peer's half of the
    // close finishes in the background, so a silent peer cannot hold up the caller.
    await new Promise<void>((resolve) => {
      socket.once("finish", () => resolve());
      socket.once("close", () => resolve());
      socket.end();
    });
  }

  #waitClosed(): Promise<void> {
    if (this.#socketClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once("close", () => resolve());
    });
  }

  /** Reads are over: queued input is dropped and a pending read returns null. */
  #endReads(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#wakeReader();
  }

  #wakeReader(): void {
    if (this.#queue.length > 0) return;
    const reader = this.#reader;
    this.#reader = null;
    reader?.(null);
  }
}
