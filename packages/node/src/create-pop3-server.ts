import { randomBytes } from "node:crypto";
import * as net from "node:net";
import {
  formatStatusLine,
  LocalProtocolError,
  ResponseCode,
  type ServeResult,
  serveConnection,
  type Transport,
} from "@apop/core";
import { NodeSocketTransport, type TransportStats } from "./node-socket-transport.ts";
import type { Pop3ServerEvent } from "./pop3-server-event.ts";
import {
  type Pop3ServerOptions,
  type ResolvedServerOptions,
  resolveServerOptions,
} from "./pop3-server-options.ts";
import { handshakeTls } from "./tls-handshake.ts";

export interface ListenOptions {
  /** The address to bind. Default: every interface. */
  readonly host?: string;
  /** The port; 0 picks a free one. POP3 is 110, POP3 over implicit TLS 995. */
  readonly port: number;
  /** Handshake TLS before the greeting (RFC 8314 section 3, port 995 style). Needs `tls`. */
  readonly implicitTls?: boolean;
}

/** One open connection, for monitoring. */
export interface ConnectionInfo {
  readonly connection: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  /** The user once logged in. */
  readonly user: string | null;
  /** Null while an implicit TLS handshake is still running. */
  readonly stats: TransportStats | null;
}

export interface Pop3Server {
  /** Starts a listener; call again for another port. Resolves to the bound address. */
  listen(options: ListenOptions): Promise<net.AddressInfo>;
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
  /**
   * Serves one connection that arrived some other way than `listen` (POP3 over WebSocket:
   * `@apop/websocket`'s `createWebSocketListener`) with this server's store, policy, limits,
   * events and shutdown. Over a connection limit the transport gets `-ERR [SYS/TEMP]` and is
   * closed. Resolves when the session is over; never rejects for anything the peer does.
   */
  serveTransport(options: ServeTransportOptions): Promise<void>;
}

/** A connection handed to `serveTransport`. */
export interface ServeTransportOptions {
  /** Open and not yet read from; `secure` says whether the peer's hop is encrypted. */
  readonly transport: Transport;
  /** The peer, for the per-address limit and the events. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort?: number;
  /** Drops the connection at once, for `close()` after its grace. Default: `transport.close()`. */
  readonly abort?: () => void;
}

interface Connection {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Drops the connection at once: the socket, then the transport once there is one. */
  abort: () => void;
  transport: { readonly secure: boolean; readonly stats?: TransportStats } | null;
  user: string | null;
  aborted: boolean;
  done: Promise<void>;
}

/**
 * A POP3 server on Node sockets. All protocol work is core's `serveConnection`; this only
 * accepts sockets, runs TLS, enforces connection limits and reports events.
 *
 * - STLS is on offer on plain listeners only when `tls` is configured; USER/PASS, PLAIN and
 *   LOGIN wait for TLS unless `allowPlaintextAuth` (RFC 2595 section 2.3).
 * - Over `maxConnections` or `maxConnectionsPerAddress`, a plain connection gets one
 *   `-ERR [SYS/TEMP]` line (RFC 3206 section 4: try later) and is closed; an implicit TLS
 *   connection is closed before its handshake, which is the costly part a flood would buy.
 * - Each connection's input is bounded by its transport's high-water mark and core's line
 *   limits; a message body streams from the store with backpressure.
 *
 * Throws `LocalProtocolError` `invalid-argument` for bad options.
 */
export function createPop3Server(options: Pop3ServerOptions): Pop3Server {
  return new NodePop3Server(resolveServerOptions(options));
}

class NodePop3Server implements Pop3Server {
  readonly #options: ResolvedServerOptions;
  readonly #listeners: net.Server[] = [];
  readonly #connections = new Map<number, Connection>();
  readonly #perAddress = new Map<string, number>();
  #nextId = 1;
  #closing: Promise<void> | null = null;

  constructor(options: ResolvedServerOptions) {
    this.#options = options;
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
      stats: c.transport?.stats ?? null,
    }));
  }

  async listen(options: ListenOptions): Promise<net.AddressInfo> {
    const { host, port, implicitTls = false } = options ?? ({} as ListenOptions);
    if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
      throw invalid(`port must be an integer from 0 to 65535, got ${String(port)}`);
    }
    if (host !== undefined && typeof host !== "string") throw invalid("host must be a string");
    if (implicitTls && this.#options.secureContext === null) {
      throw invalid("implicitTls needs a certificate: pass tls: { key, cert }");
    }
    if (this.#closing !== null) {
      throw new LocalProtocolError({ code: "invalid-state", message: "the server is closing" });
    }
    // allowHalfOpen: a client that sends its commands and then shuts down its side
    // (`printf 'CAPA\r\nQUIT\r\n' | nc -N`) still gets every reply before we close.
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
      this.#accept(socket, implicitTls),
    );
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ port, ...(host === undefined ? {} : { host }) }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error) => this.#options.onEvent({ type: "listener-error", error }));
    this.#listeners.push(server);
    return server.address() as net.AddressInfo;
  }

  close(options: { readonly graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 30_000;
    if (!(Number.isFinite(graceMs) && graceMs >= 0)) throw invalid("graceMs must be >= 0");
    this.#closing ??= this.#shutdown(graceMs);
    return this.#closing;
  }

  async #shutdown(graceMs: number): Promise<void> {
    // net.Server.close stops accepting now; its callback waits for the last connection.
    const listenersClosed = this.#listeners.map(
      (server) => new Promise<void>((resolve) => server.close(() => resolve())),
    );
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
      connection.abort();
    }
    await everyone();
    await Promise.all(listenersClosed);
  }

  #accept(socket: net.Socket, implicitTls: boolean): void {
    // Errors surface through 'close' and the transport; an unwatched 'error' would crash us.
    socket.on("error", () => {});
    const remoteAddress = normalizeAddress(socket.remoteAddress);
    const remotePort = socket.remotePort ?? 0;
    if (this.#closing !== null || remoteAddress === null) {
      socket.destroy();
      return;
    }
    const connection = this.#admit({
      remoteAddress,
      remotePort,
      localPort: socket.localPort ?? 0,
      implicitTls,
      abort: () => socket.destroy(),
    });
    if (connection === null) {
      this.#refuse(socket, implicitTls);
      return;
    }
    this.#track(connection, this.#serve(connection, socket, implicitTls));
  }

  serveTransport(options: ServeTransportOptions): Promise<void> {
    const { transport } = options;
    const remoteAddress = normalizeAddress(options.remoteAddress) ?? options.remoteAddress;
    if (this.#closing !== null) return transport.close().catch(() => {});
    const connection = this.#admit({
      remoteAddress,
      remotePort: options.remotePort,
      localPort: options.localPort ?? 0,
      implicitTls: transport.secure,
      abort: options.abort ?? (() => void transport.close().catch(() => {})),
    });
    if (connection === null) {
      const line = formatStatusLine({
        ok: false,
        code: ResponseCode.sysTemp,
        text: "Too many connections, try again later",
      });
      return transport
        .write(line)
        .catch(() => {})
        .then(() => transport.close())
        .catch(() => {});
    }
    connection.transport = transport;
    this.#track(
      connection,
      this.#session(connection, transport, { error: () => null, stats: () => null }),
    );
    return connection.done;
  }

  /** Counts a connection in, or reports the limit that refuses it and returns null. */
  #admit(details: {
    remoteAddress: string;
    remotePort: number;
    localPort: number;
    implicitTls: boolean;
    abort: () => void;
  }): Connection | null {
    const { remoteAddress, remotePort } = details;
    const { maxConnections, maxConnectionsPerAddress } = this.#options;
    const fromAddress = this.#perAddress.get(remoteAddress) ?? 0;
    const limit =
      this.#connections.size >= maxConnections
        ? "maxConnections"
        : fromAddress >= maxConnectionsPerAddress
          ? "maxConnectionsPerAddress"
          : null;
    if (limit !== null) {
      this.#options.onEvent({ type: "connection-refused", remoteAddress, remotePort, limit });
      return null;
    }
    const connection: Connection = {
      id: this.#nextId++,
      remoteAddress,
      remotePort,
      abort: details.abort,
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
      localPort: details.localPort,
      implicitTls: details.implicitTls,
    });
    return connection;
  }

  /** Counts the connection out once `serving` settles. */
  #track(connection: Connection, serving: Promise<void>): void {
    const { remoteAddress } = connection;
    connection.done = serving
      .catch(() => {})
      .finally(() => {
        this.#connections.delete(connection.id);
        const left = (this.#perAddress.get(remoteAddress) ?? 1) - 1;
        if (left === 0) this.#perAddress.delete(remoteAddress);
        else this.#perAddress.set(remoteAddress, left);
      });
  }

  #refuse(socket: net.Socket, implicitTls: boolean): void {
    if (implicitTls) {
      socket.destroy();
      return;
    }
    const transport = new NodeSocketTransport({ socket, closeGraceMs: 1000 });
    const line = formatStatusLine({
      ok: false,
      code: ResponseCode.sysTemp,
      text: "Too many connections, try again later",
    });
    transport.write(line).catch(() => {});
    void transport.close();
  }

  async #serve(connection: Connection, socket: net.Socket, implicitTls: boolean): Promise<void> {
    const options = this.#options;
    const { secureContext, clock } = options;
    let transport: NodeSocketTransport;
    if (implicitTls) {
      try {
        const secured = await handshakeTls({
          socket,
          side: "server",
          secureContext: secureContext as NonNullable<typeof secureContext>,
          timeoutMs: options.tlsHandshakeTimeoutMs,
          clock,
        });
        transport = new NodeSocketTransport({ socket: secured, secure: true, clock });
      } catch (error) {
        this.#closed(connection, {
          reason: connection.aborted ? "shutdown" : "tls-failed",
          user: null,
          secure: false,
          error: (error as Error).message,
          stats: null,
        });
        return;
      }
    } else {
      transport = new NodeSocketTransport({
        socket,
        clock,
        tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs,
        // With a certificate the transport can upgrade, so core offers STLS (RFC 2595 section 4).
        ...(secureContext === null ? {} : { startTls: { side: "server", secureContext } }),
      });
    }
    connection.transport = transport;
    connection.abort = () => transport.abort();
    if (connection.aborted) transport.abort();
    await this.#session(connection, transport, {
      error: () => transport.lastError?.message ?? null,
      stats: () => transport.stats,
    });
  }

  /** Runs core's session over an open transport, then reports the close. */
  async #session(
    connection: Connection,
    transport: Transport,
    report: { error: () => string | null; stats: () => TransportStats | null },
  ): Promise<void> {
    const options = this.#options;
    const { clock } = options;
    const result: ServeResult = await serveConnection({
      transport,
      store: options.store,
      authenticator: options.authenticator,
      clock,
      randomBytes: (length) => randomBytes(length),
      hostname: options.hostname,
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
      error: report.error(),
      stats: report.stats(),
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
function normalizeAddress(address: string | undefined): string | null {
  if (address === undefined) return null;
  return address.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
