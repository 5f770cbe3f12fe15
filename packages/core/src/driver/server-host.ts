/**
 * The runtime-neutral half of a POP3 server: which connections are let in, which are open,
 * what each one reports, and how the server shuts down. A runtime package (@apop/node's
 * `createPop3Server`, @apop/deno's `serve`) keeps only the other half: listeners, sockets,
 * TLS handshakes. Per connection it calls, in order:
 *
 * 1. `admit` with the peer and a `run` callback; over a cap it gets null and closes the
 *    connection (a plain one through `refuse`: one `-ERR [SYS/TEMP]` line first);
 * 2. inside `run`: its TLS handshake, if any, then `serve` with the transport, or
 *    `handshakeFailed` with the error.
 *
 * `close` stops the runtime's listeners through a callback, lets sessions finish for a
 * grace period, then drops the rest (a dropped session never enters UPDATE, so its deletions
 * are not applied: RFC 1939 section 6).
 */
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import {
  ConnectionAdmission,
  normalizeRemoteAddress,
  tooManyConnectionsLine,
} from "./connection-admission.ts";
import { LoginPenalties } from "./login-penalties.ts";
import { serveConnection } from "./serve-connection.ts";
import type { ConnectionStats, ServerHostEvent } from "./server-host-event.ts";
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
  /** Drops the connection at once (the socket), until `serve` hands over a transport. */
  readonly abort: () => void;
  /**
   * Runs the admitted connection to its end: the TLS handshake if any, then `serve` (or
   * `handshakeFailed`). The connection is counted out once it settles; a rejection is ignored.
   */
  readonly run: (connection: ServerHostConnection) => Promise<void>;
}

export interface ServeHostedOptions<Stats extends ConnectionStats = ConnectionStats> {
  /** Open, handshake done; not yet read from. */
  readonly transport: Transport;
  /** Drops the transport at once, for `close` after its grace. Default: what `admit` was given. */
  readonly abort?: () => void;
  /** The socket or TLS error that ended the connection, for `connection-closed`. */
  readonly lastError?: () => string | null;
  /** The transport's counters, for `connections()` and `connection-closed`. */
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

interface Tracked<Stats> extends ServerHostConnection {
  abort: () => void;
  transport: Transport | null;
  stats: (() => Stats | null) | null;
  user: string | null;
  aborted: boolean;
  done: Promise<void>;
}

/**
 * Admission (`maxConnections`, `maxConnectionsPerAddress`), the connection table, one
 * `serveConnection` per connection with its events, and graceful shutdown, over a runtime's
 * transports. Reports through `options.onEvent`; never throws for anything a peer does.
 */
export class ServerHost<Stats extends ConnectionStats = ConnectionStats> {
  readonly #options: ResolvedServerHostOptions<Stats>;
  readonly #randomBytes: (length: number) => Uint8Array;
  /** One key for every session: SCRAM's derived salts stay the same across connections. */
  readonly #secret: Uint8Array;
  /** Failed logins per address group, across connections (Dovecot's `auth_penalty`). */
  readonly #penalties: LoginPenalties;
  readonly #admission: ConnectionAdmission;
  readonly #connections = new Map<number, Tracked<Stats>>();
  /** Refused connections still writing their `-ERR` and closing. */
  readonly #refusing = new Set<Promise<void>>();
  #nextId = 1;
  /** Set before the listeners are stopped, so nothing they still hand over gets in. */
  #stopping = false;
  #closing: Promise<void> | null = null;

  constructor(init: ServerHostInit<Stats>) {
    this.#options = init.options;
    this.#randomBytes = init.randomBytes;
    this.#secret = init.randomBytes(32);
    this.#penalties = new LoginPenalties({ failureDelayMs: init.options.authFailureDelayMs });
    this.#admission = new ConnectionAdmission(init.options);
  }

  /** True once `close` was called: the runtime accepts nothing more. */
  get closing(): boolean {
    return this.#stopping;
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
      secure: c.transport?.secure ?? false,
      user: c.user,
      stats: c.stats?.() ?? null,
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
    const connection: Tracked<Stats> = {
      id: this.#nextId++,
      remoteAddress,
      remotePort,
      abort: options.abort,
      transport: null,
      stats: null,
      user: null,
      aborted: false,
      done: Promise.resolve(),
    };
    this.#connections.set(connection.id, connection);
    this.#options.onEvent({
      type: "connection-opened",
      connection: connection.id,
      remoteAddress,
      remotePort,
      localPort: options.localPort,
      implicitTls: options.implicitTls,
    });
    let running: Promise<void>;
    try {
      running = options.run(connection);
    } catch (error) {
      running = Promise.reject(error);
    }
    connection.done = running
      .catch(() => {})
      .finally(() => {
        this.#connections.delete(connection.id);
        this.#admission.release(remoteAddress);
      });
    return connection.done;
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
    const tracked = this.#connections.get(connection.id);
    if (tracked === undefined) return;
    this.#closed(tracked, {
      reason: tracked.aborted ? "shutdown" : "tls-failed",
      user: null,
      secure: false,
      error,
      stats: null,
    });
  }

  /**
   * Runs core's `serveConnection` over the connection's transport with the host's store,
   * policy, limits and events, then reports `connection-closed`. Never rejects for anything
   * the peer does. A connection that `close` already dropped is aborted at once.
   */
  async serve(connection: ServerHostConnection, options: ServeHostedOptions<Stats>): Promise<void> {
    const tracked = this.#connections.get(connection.id);
    const { transport } = options;
    if (tracked === undefined) {
      await transport.close().catch(() => {});
      return;
    }
    const host = this.#options;
    tracked.transport = transport;
    tracked.stats = options.stats ?? null;
    if (options.abort !== undefined) tracked.abort = options.abort;
    if (tracked.aborted) tracked.abort();
    const result = await serveConnection({
      transport,
      store: host.store,
      authenticator: host.authenticator,
      clock: host.clock,
      randomBytes: this.#randomBytes,
      secret: this.#secret,
      hostname: host.serverName,
      policy: host.policy,
      limits: host.limits,
      authFailureDelayMs: host.authFailureDelayMs,
      penalty: {
        failed: (now) => this.#penalties.failed(tracked.remoteAddress, now),
        succeeded: () => this.#penalties.succeeded(tracked.remoteAddress),
      },
      onEvent: (event) => {
        if (event.type === "login-succeeded") tracked.user = event.user;
        host.onEvent({ type: "session-event", connection: tracked.id, event });
      },
    });
    this.#closed(tracked, {
      reason: tracked.aborted ? "shutdown" : result.reason,
      user: result.user,
      secure: transport.secure,
      error: options.lastError?.() ?? null,
      stats: options.stats?.() ?? null,
    });
  }

  /**
   * Graceful shutdown: `stopAccepting` at once, sessions finish for `graceMs` (default 30 s),
   * then the rest are dropped and reported with reason `shutdown`. Resolves when every
   * connection, refused ones included, is gone. Idempotent: later calls return the first
   * call's promise. Throws `LocalProtocolError` `invalid-argument` for a bad `graceMs`.
   */
  close(options: CloseHostOptions = {}): Promise<void> {
    const graceMs = options.graceMs ?? 30_000;
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
      connection.aborted = true;
      connection.abort();
    }
    await everyone();
    await stopped;
    await Promise.all(this.#refusing);
  }

  #closed(
    connection: Tracked<Stats>,
    details: Omit<
      Extract<ServerHostEvent<Stats>, { type: "connection-closed" }>,
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
