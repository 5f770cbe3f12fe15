import * as tls from "node:tls";
import {
  formatStatusLine,
  LocalProtocolError,
  ResponseCode,
  type ServeResult,
  serveConnection,
} from "@apop/core";
import { type ByteConn, DenoConnTransport } from "./deno-conn-transport.ts";
import { handshakeTls } from "./handshake-tls.ts";
import type { Pop3ServerEvent } from "./pop3-server-event.ts";
import { randomBytes } from "./random-bytes.ts";
import {
  type ResolvedServeOptions,
  resolveServeOptions,
  type ServeOptions,
} from "./serve-options.ts";
import { startTlsServer } from "./start-tls-server.ts";

/** One open connection, for monitoring. */
export interface ConnectionInfo {
  readonly connection: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  /** The user once logged in. */
  readonly user: string | null;
}

/** A listening POP3 server: what `serve` returns. */
export interface Pop3Server {
  /** The bound address; `port` is the real one when 0 was asked for. */
  readonly addr: Deno.NetAddr;
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

interface Connection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly conn: Deno.TcpConn;
  transport: DenoConnTransport | null;
  user: string | null;
  aborted: boolean;
  done: Promise<void>;
}

/**
 * A POP3 server on `Deno.listen`: plain (with STLS when it has a certificate) or implicit
 * TLS. All protocol work is core's `serveConnection`; this only accepts connections, runs
 * TLS, enforces connection limits and reports events. One listener per call, as
 * `Deno.serve`: call twice for a plain and an implicit TLS port (they may share the store).
 * Needs `--allow-net`.
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
  readonly #listener: Deno.TcpListener;
  /** Runs the server side of a TLS handshake on a clear connection, when there is a certificate. */
  readonly #tlsServer: ((conn: ByteConn) => Promise<ByteConn>) | null;
  /** The same, offered as STLS on this (plain) listener. */
  readonly #startTls: ((conn: ByteConn) => Promise<ByteConn>) | null;
  readonly #connections = new Map<number, Connection>();
  readonly #perAddress = new Map<string, number>();
  /** Refused connections still writing their `-ERR` and closing. */
  readonly #refusing = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #nextId = 1;
  #closing: Promise<void> | null = null;
  #finished!: () => void;
  readonly finished: Promise<void>;

  constructor(options: ResolvedServeOptions) {
    this.#options = options;
    const { hostname, port, certificate } = options;
    // Made once, so a certificate node:tls refuses fails here, not at the first client.
    const tlsServer =
      certificate === null
        ? null
        : startTlsServer(tls.createSecureContext({ ...certificate, minVersion: "TLSv1.2" }));
    this.#tlsServer = tlsServer;
    this.#startTls = options.starttls ? tlsServer : null;
    this.#listener = Deno.listen({ hostname, port });
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
    return this.#connections.size;
  }

  connections(): ConnectionInfo[] {
    return [...this.#connections.values()].map((c) => ({
      connection: c.id,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      secure: c.transport?.secure ?? false,
      user: c.user,
    }));
  }

  close(options: { readonly graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 30_000;
    if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
      throw new LocalProtocolError({ code: "invalid-argument", message: "graceMs must be >= 0" });
    }
    this.#closing ??= this.#shutdown(graceMs).finally(() => this.#finished());
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close({ graceMs: 0 });
  }

  async #shutdown(graceMs: number): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    await this.#accepting;
    const everyone = (): Promise<unknown> =>
      Promise.all([...this.#connections.values()].map((c) => c.done));
    let cancel = (): void => {};
    const grace = new Promise<void>((resolve) => {
      cancel = this.#options.clock.setTimer(graceMs, resolve);
    });
    await Promise.race([everyone(), grace]);
    cancel();
    for (const connection of this.#connections.values()) {
      connection.aborted = true;
      if (connection.transport === null) closeQuietly(connection.conn);
      else connection.transport.abort();
    }
    await everyone();
    await Promise.all(this.#refusing);
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closing !== null || error instanceof Deno.errors.BadResource) return;
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
    const remote = conn.remoteAddr as Deno.NetAddr;
    const remoteAddress = normalizeAddress(remote.hostname);
    const remotePort = remote.port;
    if (this.#closing !== null) {
      closeQuietly(conn);
      return;
    }
    const { maxConnections, maxConnectionsPerAddress, implicitTls } = this.#options;
    const fromAddress = this.#perAddress.get(remoteAddress) ?? 0;
    const limit =
      this.#connections.size >= maxConnections
        ? "maxConnections"
        : fromAddress >= maxConnectionsPerAddress
          ? "maxConnectionsPerAddress"
          : null;
    if (limit !== null) {
      this.#options.onEvent({ type: "connection-refused", remoteAddress, remotePort, limit });
      this.#refuse(conn);
      return;
    }
    conn.setNoDelay(true);
    const connection: Connection = {
      id: this.#nextId++,
      remoteAddress,
      remotePort,
      conn,
      transport: null,
      user: null,
      aborted: false,
      done: Promise.resolve(),
    };
    this.#connections.set(connection.id, connection);
    this.#perAddress.set(remoteAddress, fromAddress + 1);
    this.#options.onEvent({
      type: "connection-opened",
      connection: connection.id,
      remoteAddress,
      remotePort,
      localPort: (conn.localAddr as Deno.NetAddr).port,
      implicitTls,
    });
    connection.done = this.#serve(connection)
      .catch(() => {})
      .finally(() => {
        this.#connections.delete(connection.id);
        const left = (this.#perAddress.get(remoteAddress) ?? 1) - 1;
        if (left === 0) this.#perAddress.delete(remoteAddress);
        else this.#perAddress.set(remoteAddress, left);
      });
  }

  #refuse(conn: Deno.Conn): void {
    if (this.#options.implicitTls) {
      closeQuietly(conn);
      return;
    }
    const transport = new DenoConnTransport({ conn, closeGraceMs: 1000 });
    const line = formatStatusLine({
      ok: false,
      code: ResponseCode.sysTemp,
      text: "Too many connections, try again later",
    });
    transport.write(line).catch(() => {});
    const closing = transport.close().finally(() => this.#refusing.delete(closing));
    this.#refusing.add(closing);
  }

  async #serve(connection: Connection): Promise<void> {
    const options = this.#options;
    const { clock } = options;
    let transport: DenoConnTransport;
    if (options.implicitTls) {
      const tlsServer = this.#tlsServer as (conn: ByteConn) => Promise<ByteConn>;
      let secured: ByteConn;
      try {
        secured = await tlsServer(connection.conn);
        await handshakeTls({
          conn: secured as ByteConn & { handshake(): Promise<unknown> },
          timeoutMs: options.tlsHandshakeTimeoutMs,
          clock,
        });
      } catch (error) {
        closeQuietly(connection.conn);
        this.#closed(connection, {
          reason: connection.aborted ? "shutdown" : "tls-failed",
          user: null,
          secure: false,
          error: describe(error),
          stats: null,
        });
        return;
      }
      transport = new DenoConnTransport({ conn: secured, secure: true, clock });
    } else {
      const startTls = this.#startTls;
      transport = new DenoConnTransport({
        conn: connection.conn,
        clock,
        tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
        // With an upgrade the transport can start TLS, so core offers STLS (RFC 2595 section 4).
        ...(startTls === null ? {} : { startTls }),
      });
    }
    connection.transport = transport;
    if (connection.aborted) transport.abort();
    const result: ServeResult = await serveConnection({
      transport,
      store: options.store,
      authenticator: options.authenticator,
      clock,
      randomBytes,
      hostname: options.serverName,
      policy: options.policy,
      limits: options.limits,
      authFailureDelayMs: options.authFailureDelayMs,
      onEvent: (event) => {
        if (event.type === "login-succeeded") connection.user = event.user;
        options.onEvent({ type: "session-event", connection: connection.id, event });
      },
    });
    this.#closed(connection, {
      reason: connection.aborted ? "shutdown" : result.reason,
      user: result.user,
      secure: transport.secure,
      error: transport.lastError === null ? null : describe(transport.lastError),
      stats: transport.stats,
    });
  }

  #closed(
    connection: Connection,
    details: Omit<
      Extract<Pop3ServerEvent, { type: "connection-closed" }>,
      "type" | "connection" | "remoteAddress"
    >,
  ): void {
    this.#options.onEvent({
      type: "connection-closed",
      connection: connection.id,
      remoteAddress: connection.remoteAddress,
      ...details,
    });
  }
}

/** `::ffff:192.0.2.1` and `192.0.2.1` are one client for the per-address limit. */
function normalizeAddress(address: string): string {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : null;
  return v4 !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(v4) ? v4 : address;
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
