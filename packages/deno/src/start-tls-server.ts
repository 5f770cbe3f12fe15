import { Duplex } from "node:stream";
import * as tls from "node:tls";
import type { ChannelBinding } from "@apop/core";
import { tlsServerEndPoint } from "@apop/core/internal";
import type { ByteConn } from "./deno-conn-transport.ts";

/**
 * The server side of a TLS handshake on a clear connection: for STLS (RFC 2595 section 4),
 * which Deno's own API lacks (`Deno.startTls` is client-only), and for implicit TLS.
 * Deno's `node:tls` can run a TLS server over any stream, so the connection is wrapped in a
 * `node:stream` Duplex and handed to `new tls.TLSSocket(..., { isServer: true })`; the
 * result is a `ByteConn` again, and closing it closes the TCP connection at once, even
 * mid-handshake. Checked on Deno 2.9.6 by the package's tests (Node and Deno clients).
 *
 * `context` is made once per server, so a bad certificate fails at start-up:
 * `tls.createSecureContext({ cert, key, minVersion: "TLSv1.2" })`.
 */
export function startTlsServer(context: tls.SecureContext): (conn: ByteConn) => Promise<ByteConn> {
  return (conn) => {
    const socket = new tls.TLSSocket(duplexOf(conn), {
      isServer: true,
      secureContext: context,
      requestCert: false,
    });
    return Promise.resolve(new TlsSocketConn(socket));
  };
}

/** A Duplex over a `ByteConn`: what `node:tls` reads the TLS records from and writes them to. */
function duplexOf(conn: ByteConn): Duplex {
  let reading = false;
  return new Duplex({
    read() {
      if (reading) return;
      reading = true;
      const buffer = new Uint8Array(16 * 1024);
      conn.read(buffer).then(
        (count) => {
          reading = false;
          this.push(count === null ? null : buffer.subarray(0, count));
        },
        (error: unknown) => {
          reading = false;
          this.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },
    write(chunk: Uint8Array, _encoding, callback) {
      (async () => {
        for (let at = 0; at < chunk.length; ) at += await conn.write(chunk.subarray(at));
      })().then(
        () => callback(),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    final(callback) {
      conn.closeWrite().then(
        () => callback(),
        () => callback(),
      );
    },
    destroy(error, callback) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      callback(error);
    },
  });
}

/** A `ByteConn` over a `node:tls` socket: pull reads, writes that wait for 'drain'. */
class TlsSocketConn implements ByteConn {
  readonly #socket: tls.TLSSocket;
  readonly #secured: Promise<void>;
  #leftover: Uint8Array | null = null;
  #ended = false;
  #error: Error | null = null;
  /** Reads and writes waiting for the socket to move; woken together. */
  readonly #waiters = new Set<() => void>();

  /**
   * `tls-server-end-point` (RFC 5929 section 4.1) of our own certificate on TLS 1.2. Deno's
   * `node:tls` has no `exportKeyingMaterial`, so TLS 1.3 (which takes `tls-exporter`, RFC 9266)
   * gets null and the server does not offer -PLUS there.
   */
  channelBinding(): ChannelBinding | null {
    if (this.#socket.getProtocol() !== "TLSv1.2") return null;
    const certificate = this.#socket.getX509Certificate?.();
    if (certificate === undefined) return null;
    return {
      type: "tls-server-end-point",
      data: tlsServerEndPoint({ certificate: new Uint8Array(certificate.raw) }),
    };
  }

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    const wake = (): void => this.#wake();
    socket.on("readable", wake);
    socket.on("drain", wake);
    socket.on("end", () => {
      this.#ended = true;
      wake();
    });
    socket.on("close", () => {
      this.#ended = true;
      wake();
    });
    // Always watched: an unwatched 'error' would end the program.
    socket.on("error", (error) => {
      this.#error ??= error;
      wake();
    });
    this.#secured = new Promise<void>((resolve, reject) => {
      socket.once("secure", () => resolve());
      socket.once("error", reject);
      const hungUp = (): void =>
        reject(this.#error ?? new Error("the peer closed the connection during the TLS handshake"));
      socket.once("close", hungUp);
      // A half-open socket reports the peer's FIN only as 'end': without this a client that
      // hangs up mid-handshake would hold its slot until the handshake timeout.
      socket.once("end", hungUp);
    });
    this.#secured.catch(() => {});
  }

  handshake(): Promise<void> {
    return this.#secured;
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    for (;;) {
      const chunk = this.#leftover ?? (this.#socket.read() as Uint8Array | null);
      this.#leftover = null;
      if (chunk !== null) {
        const count = Math.min(chunk.length, buffer.length);
        buffer.set(chunk.subarray(0, count));
        if (count < chunk.length) this.#leftover = chunk.subarray(count);
        return count;
      }
      if (this.#error !== null) throw this.#error;
      if (this.#ended) return null;
      await this.#wait();
    }
  }

  async write(bytes: Uint8Array): Promise<number> {
    const socket = this.#socket;
    if (this.#error !== null) throw this.#error;
    if (socket.destroyed || socket.writableEnded) throw new Error("write after the TLS end");
    // Returns once the write's callback says the socket is done with `bytes` (the caller may
    // reuse them: `Transport.write`), not merely below the high-water mark.
    let done = false;
    socket.write(bytes, (error?: Error | null) => {
      if (error) this.#error ??= error;
      done = true;
      this.#wake();
    });
    while (!done && !socket.destroyed && this.#error === null) await this.#wait();
    if (this.#error !== null) throw this.#error;
    if (!done) throw new Error("the TLS connection closed while writing");
    return bytes.length;
  }

  closeWrite(): Promise<void> {
    const socket = this.#socket;
    if (socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once("finish", () => resolve());
      socket.once("close", () => resolve());
      socket.end();
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  /** Resumes every `#wait`: something the waiters look at has changed. */
  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const resume of waiters) resume();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.add(resolve);
    });
  }
}
