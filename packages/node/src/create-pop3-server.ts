import * as net from "node:net";
import type * as tls from "node:tls";
import {
  LocalProtocolError,
  ServerHost,
  type ServerHostConnection,
  type ServerHostConnectionInfo,
  type Transport,
} from "@apop/core";
import {
  NodeSocketTransport,
  type StartTlsOptions,
  type TransportStats,
} from "./node-socket-transport.ts";
import { pooledRandomBytes } from "./pooled-random-bytes.ts";
import {
  type Pop3ServerOptions,
  type ResolvedServerOptions,
  resolveServerOptions,
  resolveServerTls,
  type ServerTlsOptions,
} from "./pop3-server-options.ts";
import { prependBytes } from "./prepend-bytes.ts";
import { socketChunkReader } from "./socket-chunk-reader.ts";
import { handshakeTls } from "./tls-handshake.ts";

export interface ListenOptions {
  /** The address to bind. Default: every interface. */
  readonly host?: string;
  /** The port; 0 picks a free one. POP3 is 110, POP3 over implicit TLS 995. */
  readonly port: number;
  /** Handshake TLS before the greeting (RFC 8314 section 3, port 995 style). Needs `tls`. */
  readonly implicitTls?: boolean;
}

/** One open connection, for monitoring: core's `ServerHostConnectionInfo` with this package's stats. */
export type ConnectionInfo = ServerHostConnectionInfo<TransportStats>;

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
  /**
   * Replaces the certificate and key for connections accepted from now on (a renewed
   * certificate, on SIGHUP); open sessions keep theirs. Throws `LocalProtocolError`
   * `invalid-argument` (and keeps the old one) when OpenSSL refuses the new pair, and
   * `invalid-state` on a server started without `tls`.
   */
  setTls(tls: ServerTlsOptions): void;
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

/**
 * A POP3 server on Node sockets. All protocol work is core's `serveConnection`, and the
 * connection limits, events and shutdown are core's `ServerHost`; this only accepts sockets
 * and runs TLS.
 *
 * - STLS is on offer on plain listeners only when `tls` is configured; USER/PASS, PLAIN and
 *   LOGIN wait for TLS unless `allowPlaintextAuth` (RFC 2595 section 2.3).
 * - Over `maxConnections` or `maxConnectionsPerAddress`, a plain connection gets one
 *   `-ERR [SYS/TEMP]` line (RFC 3206 section 4: try later) and is closed; an implicit TLS
 *   connection is closed before its handshake, which is the costly part a flood would buy.
 * - With `proxyProtocol`, a connection from a trusted balancer is read for its PROXY header
 *   (v1 or v2) before anything else, and admitted, capped and reported as the client the
 *   header names; a missing, broken or late header closes it. Elsewhere a header is refused.
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
  /** `options.secureContext`, until `setTls` replaces it. */
  #secureContext: tls.SecureContext | null;
  readonly #host: ServerHost<TransportStats>;
  readonly #listeners: net.Server[] = [];
  #startTlsOptions: Extract<StartTlsOptions, { side: "server" }> | null = null;

  constructor(options: ResolvedServerOptions) {
    this.#options = options;
    this.#secureContext = options.secureContext;
    this.#host = new ServerHost({ options, randomBytes: pooledRandomBytes });
  }

  get connectionCount(): number {
    return this.#host.connectionCount;
  }

  setTls(tls: ServerTlsOptions): void {
    if (this.#secureContext === null) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: "the server was started without tls: restart it with a certificate",
      });
    }
    this.#secureContext = resolveServerTls(tls);
  }

  connections(): ConnectionInfo[] {
    return this.#host.connections();
  }

  async listen(options: ListenOptions): Promise<net.AddressInfo> {
    const { host, port, implicitTls = false } = options ?? ({} as ListenOptions);
    if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
      throw invalid(`port must be an integer from 0 to 65535, got ${String(port)}`);
    }
    if (host !== undefined && typeof host !== "string") throw invalid("host must be a string");
    if (implicitTls && this.#secureContext === null) {
      throw invalid("implicitTls needs a certificate: pass tls: { key, cert }");
    }
    if (this.#host.closing) {
      throw new LocalProtocolError({ code: "invalid-state", message: "the server is closing" });
    }
    // allowHalfOpen: a client that sends its commands and then shuts down its side
    // (`printf 'CAPA\r\nQUIT\r\n' | nc -N`) still gets every reply before we close.
    // The port each connection reports as its local one is the listener's: asking the socket
    // (`socket.localPort`) would make it cache its local address for as long as it lasts.
    let localPort = port;
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) =>
      this.#accept(socket, implicitTls, localPort),
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
    const address = server.address() as net.AddressInfo;
    localPort = address.port;
    return address;
  }

  close(options: { readonly graceMs?: number } = {}): Promise<void> {
    return this.#host.close({
      graceMs: options.graceMs,
      // net.Server.close stops accepting now; its callback waits for the last connection.
      stopAccepting: async () => {
        await Promise.all(
          this.#listeners.map(
            (server) => new Promise<void>((resolve) => server.close(() => resolve())),
          ),
        );
      },
    });
  }

  #accept(socket: net.Socket, implicitTls: boolean, localPort: number): void {
    // Errors surface through 'close' and the transport; an unwatched 'error' would crash us.
    socket.on("error", ignore);
    const { remoteAddress } = socket;
    if (this.#host.closing || remoteAddress === undefined) {
      socket.destroy();
      return;
    }
    const peer = { remoteAddress, remotePort: socket.remotePort ?? 0, proxiedBy: null };
    if (this.#host.proxyMode(remoteAddress) === "admit") {
      this.#admit(socket, implicitTls, peer, null, localPort);
      return;
    }
    const reader = socketChunkReader(socket);
    void this.#host.readProxyHeader({ ...peer, read: reader.read }).then((proxied) => {
      if (proxied === null || this.#host.closing) {
        socket.destroy();
        return;
      }
      reader.handOver(implicitTls ? new Uint8Array(0) : proxied.rest);
      this.#admit(socket, implicitTls, proxied, implicitTls ? proxied.rest : null, localPort);
    });
  }

  /** `rest`: for implicit TLS, octets read past the PROXY header (the start of the hello). */
  #admit(
    socket: net.Socket,
    implicitTls: boolean,
    peer: { remoteAddress: string; remotePort: number; proxiedBy: string | null },
    rest: Uint8Array | null,
    localPort: number,
  ): void {
    const admitted = this.#host.admit({
      remoteAddress: peer.remoteAddress,
      remotePort: peer.remotePort,
      proxiedBy: peer.proxiedBy,
      localPort,
      implicitTls,
      abort: () => socket.destroy(),
      run: (connection) => this.#serve(connection, socket, implicitTls, rest),
    });
    if (admitted !== null) return;
    // Over a limit: an implicit TLS connection is closed before its (costly) handshake.
    if (implicitTls) socket.destroy();
    else {
      void this.#host.refuse(new NodeSocketTransport({ socket, closeGraceMs: 1000 }));
      // A socket read for a PROXY header was left paused for its next reader: this one.
      socket.resume();
    }
  }

  serveTransport(options: ServeTransportOptions): Promise<void> {
    const { transport } = options;
    if (this.#host.closing) return transport.close().catch(() => {});
    const admitted = this.#host.admit({
      remoteAddress: options.remoteAddress,
      remotePort: options.remotePort,
      localPort: options.localPort ?? 0,
      implicitTls: transport.secure,
      abort: options.abort ?? (() => void transport.close().catch(() => {})),
      run: (connection) => this.#host.serve(connection, { transport }),
    });
    return admitted ?? this.#host.refuse(transport);
  }

  /** STLS options: one object per certificate rather than one per connection. */
  #startTls(secureContext: tls.SecureContext): StartTlsOptions {
    if (this.#startTlsOptions?.secureContext !== secureContext) {
      this.#startTlsOptions = { side: "server", secureContext };
    }
    return this.#startTlsOptions;
  }

  #serve(
    connection: ServerHostConnection,
    socket: net.Socket,
    implicitTls: boolean,
    rest: Uint8Array | null,
  ): Promise<void> {
    if (implicitTls) return this.#serveTls(connection, socket, rest);
    const { clock, tlsHandshakeTimeoutMs } = this.#options;
    const secureContext = this.#secureContext;
    const transport = new NodeSocketTransport({
      socket,
      clock,
      tlsHandshakeTimeoutMs,
      // With a certificate the transport can upgrade, so core offers STLS (RFC 2595 section 4).
      ...(secureContext === null ? {} : { startTls: this.#startTls(secureContext) }),
    });
    // The transport watches 'error' from now on: a second listener would make the socket keep
    // an array of listeners for as long as the session lasts.
    socket.off("error", ignore);
    // A socket read for a PROXY header was left paused for its next reader: this one.
    socket.resume();
    // Returned, not awaited: an idle session then holds one suspended async frame fewer.
    return this.#serveOver(connection, transport);
  }

  async #serveTls(
    connection: ServerHostConnection,
    socket: net.Socket,
    rest: Uint8Array | null,
  ): Promise<void> {
    const { clock, tlsHandshakeTimeoutMs } = this.#options;
    const secureContext = this.#secureContext;
    let transport: NodeSocketTransport;
    try {
      const secured = await handshakeTls({
        socket: rest === null ? socket : prependBytes(socket, rest),
        side: "server",
        secureContext: secureContext as NonNullable<typeof secureContext>,
        timeoutMs: tlsHandshakeTimeoutMs,
        clock,
      });
      transport = new NodeSocketTransport({ socket: secured, secure: true, side: "server", clock });
    } catch (error) {
      this.#host.handshakeFailed(connection, (error as Error).message);
      return;
    }
    await this.#serveOver(connection, transport);
  }

  #serveOver(connection: ServerHostConnection, transport: NodeSocketTransport): Promise<void> {
    // The host reads `abort`, `lastError` and `stats` from the transport itself: no closures
    // over it that an idle session would hold.
    return this.#host.serve(connection, { transport });
  }
}

/** One listener for every socket, not a closure per connection. */
function ignore(): void {}

function invalid(message: string): LocalProtocolError {
  return new LocalProtocolError({ code: "invalid-argument", message });
}
