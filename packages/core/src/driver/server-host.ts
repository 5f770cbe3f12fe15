/**
 * The runtime-neutral half of a POP3 server: which connections are let in, which are open,
 * what each one reports, and how the server shuts down. A runtime package (@apop/node's
 * `createPop3Server`, @apop/deno's `serve`) keeps only the other half: listeners, sockets,
 * TLS handshakes. Per connection it calls, in order:
 *
 * 0. with `proxyProtocol` on and a peer that `proxyMode` says must send one, `readProxyHeader`
 *    before anything else (null: the connection is refused; drop it), then admit the client
 *    it names;
 * 1. `admit` with the peer and a `run` callback; over a cap it gets null and closes the
 *    connection (a plain one through `refuse`: one `-ERR [SYS/TEMP]` line first);
 * 2. inside `run`: its TLS handshake, if any, then `serve` with the transport, or
 *    `handshakeFailed` with the error.
 *
 * `close` stops the runtime's listeners through a callback, lets sessions finish for a
 * grace period, then drops the rest (a dropped session never enters UPDATE, so its deletions
 * are not applied: RFC 1939 section 6).
 */
import type { TokenValidator } from "../auth/token-validator.ts";
import { DEFAULTS } from "../defaults.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { readProxyHeader } from "../proxy/read-proxy-header.ts";
import { refuseProxyHeader } from "../proxy/refuse-proxy-header.ts";
import { addressGroup, normalizeRemoteAddress } from "./address-group.ts";
import { ConnectionAdmission, tooManyConnectionsLine } from "./connection-admission.ts";
import { LoginPenalties } from "./login-penalties.ts";
import {
  type ServeConnectionOptions,
  type ServeEvent,
  type ServeResult,
  serveConnection,
} from "./serve-connection.ts";
import type { ConnectionStats } from "./server-host-event.ts";
import type { ResolvedServerHostOptions } from "./server-host-options.ts";
import type { Transport } from "./transport.ts";

export interface ServerHostInit<Stats extends ConnectionStats = ConnectionStats> {
  /** From `resolveServerHostOptions`. */
  readonly options: ResolvedServerHostOptions<Stats>;
  /** The runtime's random source, for APOP timestamps. */
  readonly randomBytes: (length: number) => Uint8Array;
}

/** An admitted connection, as the runtime sees it. */
export interface ServerHostConnection {
  /** The `connection` number its events carry. */
  readonly id: number;
  /** Normalized (`normalizeRemoteAddress`). */
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** One open connection, for monitoring. */
export interface ServerHostConnectionInfo<Stats extends ConnectionStats = ConnectionStats> {
  /** The `connection` number its events carry. */
  readonly connection: number;
  /** The client's address, normalized (`::ffff:192.0.2.1` is `192.0.2.1`). */
  readonly remoteAddress: string;
  /** The client's port. */
  readonly remotePort: number;
  /** True once the connection runs inside TLS. */
  readonly secure: boolean;
  /** The user once logged in. */
  readonly user: string | null;
  /** Null while an implicit TLS handshake is still running, or when the transport counts nothing. */
  readonly stats: Stats | null;
}

export interface AdmitOptions {
  /** As the runtime has it; `::ffff:192.0.2.1` is counted (and reported) as `192.0.2.1`. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Whether the connection is (or will be, after its handshake) TLS from the first byte. */
  readonly implicitTls: boolean;
  /** From `readProxyHeader`: the balancer, when `remoteAddress` is the client it named. */
  readonly proxiedBy?: string | null;
  /**
   * Drops the connection at once (the socket). Used until `serve` hands over a transport that
   * can abort itself (`Transport.abort`) or an `abort` of its own.
   */
  readonly abort: () => void;
  /**
   * Runs the admitted connection to its end: the TLS handshake if any, then `serve` (or
   * `handshakeFailed`). The connection is counted out once it settles; a rejection aborts it
   * at once and is reported as `connection-failed` with the error.
   */
  readonly run: (connection: ServerHostConnection) => Promise<void>;
}

export interface ServeHostedOptions<Stats extends ConnectionStats = ConnectionStats> {
  /** Open, handshake done; not yet read from. */
  readonly transport: Transport;
  /**
   * Drops the transport at once, for `close` after its grace and pre-login eviction. Default:
   * the transport's own `abort`, else what `admit` was given.
   */
  readonly abort?: () => void;
  /**
   * The socket or TLS error that ended the connection, for `connection-closed`. Default: the
   * transport's own `lastError` (its message).
   */
  readonly lastError?: () => string | null;
  /**
   * The transport's counters, for `connections()` and `connection-closed`. Default: the
   * transport's own `stats`.
   */
  readonly stats?: () => Stats | null;
}

export interface CloseHostOptions {
  /** How long sessions may go on before they are dropped, in ms. Default 30 s. */
  readonly graceMs?: number | undefined;
  /**
   * Stops the runtime's listeners. Called at once (synchronously); must not throw. What it
   * returns is awaited last, after every connection is gone (a Node `server.close` callback
   * waits for its sockets, so it cannot come first).
   */
  readonly stopAccepting?: () => Promise<void>;
}

/** The client a PROXY header named, to `admit` in place of the balancer. */
export interface ProxiedPeer {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The balancer's own address. */
  readonly proxiedBy: string;
  /** Octets after the header: the client's first data (a TLS hello, say). Put them back. */
  readonly rest: Uint8Array;
}

/** What every connection of one host shares: read by `HostedConnection`, never copied into it. */
interface HostShared<Stats extends ConnectionStats> {
  readonly options: ResolvedServerHostOptions<Stats>;
  readonly randomBytes: (length: number) => Uint8Array;
  /** The connections not logged in yet (`ServerHost.#preLogin`). */
  readonly preLogin: Map<number, HostedConnection<Stats>>;
  /** Failed logins per address group, across connections (Dovecot's `auth_penalty`). */
  readonly penalties: LoginPenalties;
  /** Reports `connection-closed` after a session (`ServerHost.#closed`). */
  readonly closed: (connection: HostedConnection<Stats>, result: ServeResult) => void;
  /**
   * One key for every session: SCRAM's derived salts stay the same across connections. Drawn
   * at the first connection served, so a random source that fails fails that connection, not
   * the host.
   */
  secret: Uint8Array | null;
}

/**
 * One admitted connection: its row in the host's table and, once served, the options of its
 * `serveConnection`: what every session of the host gets is read from the host through
 * getters, and `onEvent` is a method. One object rather than a row, an options object per
 * session and closures over both: an idle session holds it for as long as it is idle, and
 * 10,000 idle sessions are what a host must hold (docs/performance.md).
 */
class HostedConnection<Stats extends ConnectionStats>
  implements ServerHostConnection, ServeConnectionOptions
{
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly proxiedBy: string | null;
  user: string | null = null;
  /** Why it was dropped, when the host dropped it. */
  aborted: "shutdown" | "pre-login-evicted" | null = null;
  done: Promise<void> = Promise.resolve();
  readonly #shared: HostShared<Stats>;
  /** The runtime's way to drop it before (and, without a better one, after) `serve`. */
  #dropSocket: () => void;
  /** What the session runs over: the runtime's transport, or the PROXY-refusing wrapper of it. */
  #transport: Transport | null = null;
  /** The runtime's own transport, whose `abort`, `lastError` and `stats` are used by default. */
  #raw: Transport | null = null;
  /** What `serve` was given besides the transport, when it was given anything. */
  #callbacks: ServeHostedOptions<Stats> | null = null;

  constructor(
    shared: HostShared<Stats>,
    fields: {
      id: number;
      remoteAddress: string;
      remotePort: number;
      proxiedBy: string | null;
      abort: () => void;
    },
  ) {
    this.#shared = shared;
    this.id = fields.id;
    this.remoteAddress = fields.remoteAddress;
    this.remotePort = fields.remotePort;
    this.proxiedBy = fields.proxiedBy;
    this.#dropSocket = fields.abort;
  }

  /** The transport it is served over, once `serve` began. */
  get servedTransport(): Transport | null {
    return this.#transport;
  }

  /** Starts serving over `transport` (`ServerHost.serve`). */
  beginServing(transport: Transport, served: ServeHostedOptions<Stats>): void {
    this.#transport = transport;
    this.#raw = served.transport;
    const { abort, lastError, stats } = served;
    if (abort !== undefined || lastError !== undefined || stats !== undefined) {
      this.#callbacks = served;
    }
    // What `abort` uses from now on; the runtime's own way (a closure over its socket) can go.
    if (abort !== undefined || served.transport.abort !== undefined) {
      this.#dropSocket = dropNothing;
    }
  }

  /** Drops the connection at once: through what `serve` was given, else the transport, else the socket. */
  abort(): void {
    const abort = this.#callbacks?.abort;
    if (abort !== undefined) abort();
    else if (this.#raw?.abort !== undefined) this.#raw.abort();
    else this.#dropSocket();
  }

  /** The error that ended the connection, for `connection-closed`. */
  lastError(): string | null {
    const lastError = this.#callbacks?.lastError;
    if (lastError !== undefined) return lastError();
    const error = this.#raw?.lastError;
    return error === undefined || error === null ? null : describeError(error);
  }

  /** The transport's counters, for `connections()` and `connection-closed`. */
  stats(): Stats | null {
    const stats = this.#callbacks?.stats;
    if (stats !== undefined) return stats();
    return (this.#raw?.stats as Stats | undefined) ?? null;
  }

  // `ServeConnectionOptions`, read from the host.
  get transport(): Transport {
    return this.#transport as Transport;
  }
  get store(): ResolvedServerHostOptions<Stats>["store"] {
    return this.#shared.options.store;
  }
  get authenticator(): ResolvedServerHostOptions<Stats>["authenticator"] {
    return this.#shared.options.authenticator;
  }
  get tokenValidator(): TokenValidator | undefined {
    return this.#shared.options.tokenValidator ?? undefined;
  }
  get clock(): ResolvedServerHostOptions<Stats>["clock"] {
    return this.#shared.options.clock;
  }
  get randomBytes(): (length: number) => Uint8Array {
    return this.#shared.randomBytes;
  }
  get secret(): Uint8Array | undefined {
    return this.#shared.secret ?? undefined;
  }
  get hostname(): string {
    return this.#shared.options.serverName;
  }
  get policy(): ResolvedServerHostOptions<Stats>["policy"] {
    return this.#shared.options.policy;
  }
  get limits(): ResolvedServerHostOptions<Stats>["limits"] {
    return this.#shared.options.limits;
  }
  get authFailureDelayMs(): number {
    return this.#shared.options.authFailureDelayMs;
  }

  /**
   * `ServeConnectionOptions.penalty`: this connection's entry in the host's `LoginPenalties`,
   * by its address group. A host with a whole IPv6 /64 is one guesser (RFC 6177): penalties
   * count by group, as every other per-address count does. The group is worked out when a
   * login ends, not kept for the whole session.
   */
  get penalty(): this {
    return this;
  }
  failed(now: number): number {
    return this.#shared.penalties.failed(this.group, now);
  }
  succeeded(): void {
    this.#shared.penalties.succeeded(this.group);
  }
  /** The client's address group (`addressGroup`), worked out when asked, not kept. */
  get group(): string {
    return addressGroup({
      address: this.remoteAddress,
      ipv6PrefixLength: this.#shared.options.ipv6PrefixLength,
    });
  }

  /**
   * `ServeConnectionOptions.onClosed`: reports `connection-closed`. A runtime's `lastError` or
   * `stats` that throws is the host's fault: reported as `connection-failed` instead.
   */
  onClosed(result: ServeResult): void {
    try {
      this.#shared.closed(this, result);
    } catch (error) {
      this.#shared.options.onEvent({
        type: "connection-failed",
        connection: this.id,
        remoteAddress: this.remoteAddress,
        error: error instanceof Error ? error : new Error(String(error)),
      });
    }
  }

  /** `ServeConnectionOptions.onEvent`: the session's events, as `session-event`. */
  onEvent(event: ServeEvent): void {
    if (event.type === "login-succeeded") {
      this.user = event.user;
      this.#shared.preLogin.delete(this.id);
    }
    this.#shared.options.onEvent({
      type: "session-event",
      connection: this.id,
      remoteAddress: this.remoteAddress,
      event,
    });
  }
}

const NO_COMMANDS: Readonly<Record<string, number>> = Object.freeze({});

function dropNothing(): void {}

function ignoreResult(): void {}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Admission (`maxConnections`, `maxConnectionsPerAddress`), the connection table, one
 * `serveConnection` per connection with its events, and graceful shutdown, over a runtime's
 * transports. Reports through `options.onEvent`; never throws for anything a peer does.
 */
export class ServerHost<Stats extends ConnectionStats = ConnectionStats> {
  readonly #options: ResolvedServerHostOptions<Stats>;
  readonly #shared: HostShared<Stats>;
  readonly #admission: ConnectionAdmission;
  readonly #connections = new Map<number, HostedConnection<Stats>>();
  /** The connections not logged in yet, oldest first (`maxPreLoginConnections`). */
  readonly #preLogin = new Map<number, HostedConnection<Stats>>();
  /** Refused connections still writing their `-ERR` and closing. */
  readonly #refusing = new Set<Promise<void>>();
  #nextId = 1;
  /** Set before the listeners are stopped, so nothing they still hand over gets in. */
  #stopping = false;
  #closing: Promise<void> | null = null;

  constructor(init: ServerHostInit<Stats>) {
    this.#options = init.options;
    this.#shared = {
      options: init.options,
      randomBytes: init.randomBytes,
      preLogin: this.#preLogin,
      penalties: new LoginPenalties({ failureDelayMs: init.options.authFailureDelayMs }),
      closed: (connection, result) => this.#closed(connection, result),
      secret: null,
    };
    this.#admission = new ConnectionAdmission(init.options);
  }

  /** True once `close` was called: the runtime accepts nothing more. */
  get closing(): boolean {
    return this.#stopping;
  }

  /**
   * What to do with a new connection from `remoteAddress` (as the runtime reports it) before
   * `admit`: `read-header` (a trusted balancer: `readProxyHeader` first), or `admit` (PROXY
   * protocol off, or a peer that is not trusted: `serve` then refuses a header it sends).
   */
  proxyMode(remoteAddress: string): "read-header" | "admit" {
    const proxy = this.#options.proxyProtocol;
    return proxy?.trusted.has(normalizeRemoteAddress(remoteAddress)) ? "read-header" : "admit";
  }

  /**
   * Reads a trusted balancer's PROXY header within the header timeout (`proxyProtocol`),
   * through the runtime's `read` (the raw socket's next chunk, null once closed). Resolves to
   * the client to admit, or to null after reporting `proxy-refused`: the runtime then drops
   * the connection. A v2 LOCAL header (a health check) or v1 UNKNOWN admits the balancer
   * itself. Never rejects unless `read` does.
   */
  async readProxyHeader(options: {
    readonly remoteAddress: string;
    readonly remotePort: number;
    readonly read: () => Promise<Uint8Array | null>;
  }): Promise<ProxiedPeer | null> {
    const peer = normalizeRemoteAddress(options.remoteAddress);
    const proxy = this.#options.proxyProtocol;
    if (proxy === null) return null;
    const outcome = await readProxyHeader({
      read: options.read,
      clock: this.#options.clock,
      timeoutMs: proxy.headerTimeoutMs,
    });
    if (!outcome.ok) {
      this.#options.onEvent({
        type: "proxy-refused",
        remoteAddress: peer,
        remotePort: options.remotePort,
        refusal: outcome.refusal,
        detail: outcome.detail,
      });
      return null;
    }
    const named = outcome.header.endpoints;
    return {
      remoteAddress: named === null ? peer : named.sourceAddress,
      remotePort: named === null ? options.remotePort : named.sourcePort,
      proxiedBy: peer,
      rest: outcome.rest,
    };
  }

  /** Open connections, counting those still in their TLS handshake. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** A snapshot of every open connection. */
  connections(): ServerHostConnectionInfo<Stats>[] {
    return [...this.#connections.values()].map((c) => ({
      connection: c.id,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      secure: c.servedTransport?.secure ?? false,
      user: c.user,
      stats: c.stats(),
    }));
  }

  /**
   * Counts a connection in, reports `connection-opened` and starts `run`; resolves when the
   * connection is gone. Over a cap it reports `connection-refused`, starts nothing and returns
   * null: the runtime then closes the connection (`refuse` for a plain one). Once `closing`,
   * the runtime closes new connections itself and does not call this.
   */
  admit(options: AdmitOptions): Promise<void> | null {
    const remoteAddress = normalizeRemoteAddress(options.remoteAddress);
    const { remotePort } = options;
    const limit = this.#admission.admit(remoteAddress);
    if (limit !== null) {
      this.#options.onEvent({ type: "connection-refused", remoteAddress, remotePort, limit });
      return null;
    }
    const connection = new HostedConnection(this.#shared, {
      id: this.#nextId++,
      remoteAddress,
      remotePort,
      proxiedBy: options.proxiedBy ?? null,
      abort: options.abort,
    });
    if (this.#preLogin.size >= this.#options.maxPreLoginConnections) this.#evictPreLogin();
    this.#connections.set(connection.id, connection);
    this.#preLogin.set(connection.id, connection);
    this.#options.onEvent({
      type: "connection-opened",
      connection: connection.id,
      remoteAddress,
      remotePort,
      localPort: options.localPort,
      implicitTls: options.implicitTls,
      proxiedBy: connection.proxiedBy,
    });
    let running: Promise<void>;
    try {
      running = options.run(connection);
    } catch (error) {
      running = Promise.reject(error);
    }
    const countOut = (): void => {
      this.#connections.delete(connection.id);
      this.#preLogin.delete(connection.id);
      this.#admission.release(remoteAddress);
    };
    // One `then` with both handlers rather than `catch` and `finally`: a promise and its
    // reactions fewer for each connection held open.
    connection.done = running.then(countOut, (error: unknown) => {
      try {
        // Whatever threw (the session could not start, a runtime bug) must not leave an open
        // socket that never greets nor closes: drop it now and say why.
        try {
          connection.abort();
        } catch {}
        this.#options.onEvent({
          type: "connection-failed",
          connection: connection.id,
          remoteAddress,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      } finally {
        countOut();
      }
    });
    return connection.done;
  }

  /**
   * Makes room in the pre-login budget: drops the oldest connection not logged in from the
   * client (`addressGroup`) that holds the most of them, so a flood from a few clients evicts
   * its own connections before anyone else's.
   */
  #evictPreLogin(): void {
    const byGroup = new Map<string, HostedConnection<Stats>[]>();
    let victim: HostedConnection<Stats> | undefined;
    let most = 0;
    for (const tracked of this.#preLogin.values()) {
      const { group } = tracked;
      const list = byGroup.get(group) ?? [];
      list.push(tracked);
      byGroup.set(group, list);
      if (list.length > most) {
        most = list.length;
        victim = list[0];
      }
    }
    if (victim === undefined) return;
    this.#preLogin.delete(victim.id);
    victim.aborted = "pre-login-evicted";
    victim.abort();
  }

  /**
   * Refuses a plain connection over a cap: writes `-ERR [SYS/TEMP]` (RFC 3206 section 4: try
   * later), then closes. Resolves once closed; never rejects. `close` waits for it.
   */
  refuse(transport: Transport): Promise<void> {
    const refusing = transport
      .write(tooManyConnectionsLine())
      .catch(() => {})
      .then(() => transport.close())
      .catch(() => {})
      .finally(() => this.#refusing.delete(refusing));
    this.#refusing.add(refusing);
    return refusing;
  }

  /** Reports the end of a connection whose TLS handshake failed (or was cut off by `close`). */
  handshakeFailed(connection: ServerHostConnection, error: string): void {
    const hosted = this.#connections.get(connection.id);
    if (hosted === undefined) return;
    this.#closed(hosted, null, error);
  }

  /**
   * Runs core's `serveConnection` over the connection's transport with the host's store,
   * policy, limits and events, then reports `connection-closed`. Never rejects for anything
   * the peer does. A connection that `close` already dropped is aborted at once.
   */
  serve(connection: ServerHostConnection, options: ServeHostedOptions<Stats>): Promise<void> {
    try {
      return this.#serve(connection, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #serve(connection: ServerHostConnection, options: ServeHostedOptions<Stats>): Promise<void> {
    const hosted = this.#connections.get(connection.id);
    if (hosted === undefined) return options.transport.close().catch(() => {});
    const host = this.#options;
    // A peer that is not a trusted balancer does not get to name another client.
    const transport =
      host.proxyProtocol === null || hosted.proxiedBy !== null
        ? options.transport
        : refuseProxyHeader({
            transport: options.transport,
            onHeader: (detail) =>
              host.onEvent({
                type: "proxy-refused",
                remoteAddress: hosted.remoteAddress,
                remotePort: hosted.remotePort,
                refusal: "untrusted",
                detail,
              }),
          });
    hosted.beginServing(transport, options);
    if (hosted.aborted) hosted.abort();
    try {
      this.#shared.secret ??= this.#shared.randomBytes(32);
    } catch (error) {
      return transport
        .close()
        .catch(() => {})
        .then(() => {
          throw error;
        });
    }
    // Neither an `await` nor a `then`: `connection-closed` is reported from `hosted.onClosed`,
    // so an idle session holds no suspended frame here, nor a reaction with its closure. The
    // session's options are `hosted` itself (`HostedConnection`).
    return serveConnection(hosted).then(ignoreResult);
  }

  /**
   * Graceful shutdown: `stopAccepting` at once, sessions finish for `graceMs` (default 30 s),
   * then the rest are dropped and reported with reason `shutdown`. Resolves when every
   * connection, refused ones included, is gone. Idempotent: later calls return the first
   * call's promise. Throws `LocalProtocolError` `invalid-argument` for a bad `graceMs`.
   */
  close(options: CloseHostOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? DEFAULTS.shutdownGraceMs;
    if (!(Number.isFinite(graceMs) && graceMs >= 0)) {
      throw new LocalProtocolError({ code: "invalid-argument", message: "graceMs must be >= 0" });
    }
    this.#stopping = true;
    this.#closing ??= this.#shutdown(graceMs, options.stopAccepting ?? (async () => {}));
    return this.#closing;
  }

  async #shutdown(graceMs: number, stopAccepting: () => Promise<void>): Promise<void> {
    const stopped = stopAccepting();
    const everyone = (): Promise<unknown> =>
      Promise.all([...this.#connections.values()].map((c) => c.done));
    let cancel = (): void => {};
    const grace = new Promise<void>((resolve) => {
      cancel = this.#options.clock.setTimer(graceMs, resolve);
    });
    await Promise.race([everyone(), grace]);
    cancel();
    for (const connection of this.#connections.values()) {
      connection.aborted = "shutdown";
      connection.abort();
    }
    await everyone();
    await stopped;
    await Promise.all(this.#refusing);
  }

  /**
   * Reports `connection-closed`: after its session (`result`), or after a TLS handshake that
   * failed (`result` null, with the handshake's error).
   */
  #closed(
    connection: HostedConnection<Stats>,
    result: ServeResult | null,
    handshakeError?: string,
  ): void {
    this.#options.onEvent({
      type: "connection-closed",
      connection: connection.id,
      remoteAddress: connection.remoteAddress,
      remotePort: connection.remotePort,
      reason: connection.aborted ?? result?.reason ?? "tls-failed",
      user: result?.user ?? null,
      secure: result === null ? false : connection.transport.secure,
      error: result === null ? (handshakeError ?? null) : connection.lastError(),
      stats: result === null ? null : connection.stats(),
      commands: result?.commands ?? NO_COMMANDS,
      messagesSent: result?.messagesSent ?? 0,
      messageOctets: result?.messageOctets ?? 0,
      deleted: result?.deleted ?? 0,
    });
  }
}
