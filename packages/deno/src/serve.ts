import * as tls from "node:tls";
import { ServerHost, type ServerHostConnection, type ServerHostConnectionInfo } from "@apop/core";
import { type ByteConn, DenoConnTransport } from "./deno-conn-transport.ts";
import { handshakeTls } from "./handshake-tls.ts";
import { prefixedConn } from "./prefixed-conn.ts";
import { randomBytes } from "./random-bytes.ts";
import {
  type ResolvedServeOptions,
  resolveServeOptions,
  type ServeOptions,
} from "./serve-options.ts";
import { startTlsServer } from "./start-tls-server.ts";

/** One open connection, for monitoring. */
export type ConnectionInfo = Omit<ServerHostConnectionInfo, "stats">;

/** A listening POP3 server: what `serve` returns. */
export interface Pop3Server {
  /** The bound address; `port` is the real one when 0 was asked for. */
  readonly addr: Deno.NetAddr;
  /** The bound port (`addr.port`), the real one when 0 was asked for. */
  readonly port: number;
  /** True for an implicit TLS listener. */
  readonly implicitTls: boolean;
  /** True when a plain listener offers STLS. */
  readonly starttls: boolean;
  /** Resolves once the server has closed and every connection is gone. */
  readonly finished: Promise<void>;
  /**
   * Graceful shutdown: stops accepting at once, lets sessions finish for `graceMs`
   * (default 30 s), then drops the rest. A dropped session never enters UPDATE, so its
   * deletions are not applied (RFC 1939 section 6). Resolves when every connection is gone.
   * Idempotent.
   */
  close(options?: { readonly graceMs?: number }): Promise<void>;
  /** Open connections, counting those still in their TLS handshake. */
  readonly connectionCount: number;
  /** A snapshot of every open connection. */
  connections(): ConnectionInfo[];
  /** `await using server = serve(...)`: closes with no grace. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A POP3 server on `Deno.listen`: plain (with STLS when it has a certificate) or implicit
 * TLS. All protocol work is core's `serveConnection`, and the connection limits, events and
 * shutdown are core's `ServerHost`; this only accepts connections and runs TLS. One listener
 * per call, as `Deno.serve`: call twice for a plain and an implicit TLS port (they may share
 * the store). Needs `--allow-net`.
 *
 * - The server side of TLS runs through Deno's `node:tls` over the accepted `Deno.Conn`
 *   (`startTlsServer`), for STLS (Deno has no server-side `startTls`) and for implicit TLS
 *   alike. Not `Deno.listenTls`: on Deno 2.9.6, closing its connection before the handshake
 *   has finished leaves the socket open for as long as the peer stays silent, so a handshake
 *   timeout could not free it (test/deno-tls-limits.test.ts).
 * - STLS is on offer only on a plain listener with `cert` and `key` (and `starttls` not
 *   false). Without it, CAPA does not list STLS.
 * - USER/PASS, PLAIN and LOGIN wait for TLS unless `allowPlaintextAuth` (RFC 2595 section 2.3).
 * - Over `maxConnections` or `maxConnectionsPerAddress`, a plain connection gets one
 *   `-ERR [SYS/TEMP]` line (RFC 3206 section 4) and is closed; an implicit TLS connection is
 *   closed before its handshake, the costly part a flood would buy.
 *
 * Throws at once: `LocalProtocolError` `invalid-argument` for bad options, Deno's errors for
 * the listener (`AddrInUse`, a refused certificate).
 */
export function serve(options: ServeOptions): Pop3Server {
  const resolved = resolveServeOptions(options);
  const server = new DenoPop3Server(resolved);
  const signal = options.signal;
  if (signal !== undefined) {
    const onAbort = (): void => void server.close();
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener("abort", onAbort, { once: true });
      void server.finished.then(() => signal.removeEventListener("abort", onAbort));
    }
  }
  return server;
}

class DenoPop3Server implements Pop3Server {
  readonly #options: ResolvedServeOptions;
  readonly #host: ServerHost;
  readonly #listener: Deno.TcpListener;
  /** Runs the server side of a TLS handshake on a clear connection, when there is a certificate. */
  readonly #tlsServer: ((conn: ByteConn) => Promise<ByteConn>) | null;
  /** The same, offered as STLS on this (plain) listener. */
  readonly #startTls: ((conn: ByteConn) => Promise<ByteConn>) | null;
  readonly #accepting: Promise<void>;
  #closing: Promise<void> | null = null;
  #finished!: () => void;
  readonly finished: Promise<void>;

  constructor(options: ResolvedServeOptions) {
    this.#options = options;
    const { host, port, certificate } = options;
    // Made once, so a certificate node:tls refuses fails here, not at the first client.
    const tlsServer =
      certificate === null
        ? null
        : startTlsServer(tls.createSecureContext({ ...certificate, minVersion: "TLSv1.2" }));
    this.#tlsServer = tlsServer;
    this.#startTls = options.starttls ? tlsServer : null;
    this.#listener = Deno.listen({ hostname: host, port });
    this.#host = new ServerHost({ options, randomBytes });
    this.finished = new Promise((resolve) => {
      this.#finished = resolve;
    });
    this.#accepting = this.#acceptLoop();
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr as Deno.NetAddr;
  }

  get port(): number {
    return this.addr.port;
  }

  get implicitTls(): boolean {
    return this.#options.implicitTls;
  }

  get starttls(): boolean {
    return this.#startTls !== null;
  }

  get connectionCount(): number {
    return this.#host.connectionCount;
  }

  connections(): ConnectionInfo[] {
    return this.#host
      .connections()
      .map(({ connection, remoteAddress, remotePort, secure, user }) => ({
        connection,
        remoteAddress,
        remotePort,
        secure,
        user,
      }));
  }

  close(options: { readonly graceMs?: number } = {}): Promise<void> {
    const closing = this.#host.close({
      graceMs: options.graceMs,
      stopAccepting: async () => {
        try {
          this.#listener.close();
        } catch {
          // Already closed.
        }
        await this.#accepting;
      },
    });
    this.#closing ??= closing.finally(() => this.#finished());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close({ graceMs: 0 });
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#host.closing || error instanceof Deno.errors.BadResource) return;
        if (error instanceof Deno.errors.Interrupted) return;
        this.#options.onEvent({
          type: "listener-error",
          error: error instanceof Error ? error : new Error(String(error)),
        });
        // Out of descriptors and the like: back off rather than spin.
        await new Promise<void>((resolve) => this.#options.clock.setTimer(100, resolve));
        continue;
      }
      this.#accept(conn);
    }
  }

  #accept(conn: Deno.TcpConn): void {
    if (this.#host.closing) {
      closeQuietly(conn);
      return;
    }
    const remote = conn.remoteAddr as Deno.NetAddr;
    const peer = { remoteAddress: remote.hostname, remotePort: remote.port, proxiedBy: null };
    if (this.#host.proxyMode(remote.hostname) === "admit") {
      this.#admit(conn, conn, peer);
      return;
    }
    // A trusted balancer: its PROXY header names the client to admit (`proxyProtocol`).
    const buffer = new Uint8Array(2048);
    const read = async (): Promise<Uint8Array | null> => {
      const count = await conn.read(buffer).catch(() => null);
      return count === null ? null : buffer.slice(0, count);
    };
    void this.#host.readProxyHeader({ ...peer, read }).then((proxied) => {
      if (proxied === null || this.#host.closing) closeQuietly(conn);
      else this.#admit(conn, prefixedConn(conn, proxied.rest), proxied);
    });
  }

  /** `bytes`: the connection to read from (`conn` with any octets read past a PROXY header). */
  #admit(
    conn: Deno.TcpConn,
    bytes: ByteConn,
    peer: { remoteAddress: string; remotePort: number; proxiedBy: string | null },
  ): void {
    const { implicitTls } = this.#options;
    const admitted = this.#host.admit({
      remoteAddress: peer.remoteAddress,
      remotePort: peer.remotePort,
      proxiedBy: peer.proxiedBy,
      localPort: (conn.localAddr as Deno.NetAddr).port,
      implicitTls,
      abort: () => closeQuietly(conn),
      run: (connection) => {
        conn.setNoDelay(true);
        return this.#serve(connection, conn, bytes);
      },
    });
    if (admitted !== null) return;
    // Over a limit: an implicit TLS connection is closed before its (costly) handshake.
    if (implicitTls) closeQuietly(conn);
    else void this.#host.refuse(new DenoConnTransport({ conn: bytes, closeGraceMs: 1000 }));
  }

  async #serve(
    connection: ServerHostConnection,
    conn: Deno.TcpConn,
    bytes: ByteConn,
  ): Promise<void> {
    const { clock, tlsHandshakeTimeoutMs } = this.#options;
    let transport: DenoConnTransport;
    if (this.#options.implicitTls) {
      const tlsServer = this.#tlsServer as (conn: ByteConn) => Promise<ByteConn>;
      let secured: ByteConn;
      try {
        secured = await tlsServer(bytes);
        await handshakeTls({
          conn: secured as ByteConn & { handshake(): Promise<unknown> },
          timeoutMs: tlsHandshakeTimeoutMs,
          clock,
        });
      } catch (error) {
        closeQuietly(conn);
        this.#host.handshakeFailed(connection, describe(error));
        return;
      }
      transport = new DenoConnTransport({ conn: secured, secure: true, clock });
    } else {
      const startTls = this.#startTls;
      transport = new DenoConnTransport({
        conn: bytes,
        clock,
        tlsHandshakeTimeoutMs,
        // With an upgrade the transport can start TLS, so core offers STLS (RFC 2595 section 4).
        ...(startTls === null ? {} : { startTls }),
      });
    }
    await this.#host.serve(connection, {
      transport,
      abort: () => transport.abort(),
      lastError: () => (transport.lastError === null ? null : describe(transport.lastError)),
      stats: () => transport.stats,
    });
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
