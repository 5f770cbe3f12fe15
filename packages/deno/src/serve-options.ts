import {
  type Authenticator,
  type Clock,
  cramMd5Server,
  DEFAULT_LIMITS,
  type Limits,
  LocalProtocolError,
  loginServer,
  type MailStore,
  plainServer,
  type SaslServerMechanism,
  type ServerPolicy,
} from "@apop/core";
import { denoClock } from "./deno-clock.ts";
import type { Pop3ServerEvent } from "./pop3-server-event.ts";

export interface ServeOptions {
  /** The address to bind. Default `0.0.0.0`, as `Deno.listen`. */
  readonly hostname?: string;
  /** The port; 0 picks a free one. Default 995 with `implicitTls`, else 110. */
  readonly port?: number;
  /** Where mailboxes live (core's `MemoryStore`, or your own `MailStore`). */
  readonly store: MailStore;
  /** Answers `lookup(user)` with a credential; core checks the proof. */
  readonly authenticator: Authenticator;
  /** The certificate chain (PEM). With `key`: STLS on a plain listener, or `implicitTls`. */
  readonly cert?: string;
  /** The certificate's private key (PEM). */
  readonly key?: string;
  /** Handshake TLS before the greeting (RFC 8314 section 3, port 995). Needs `cert` and `key`. */
  readonly implicitTls?: boolean;
  /**
   * Offer STLS on a plain listener that has `cert` and `key`. Default true. Deno has no
   * server-side `startTls`; STLS runs through Deno's `node:tls` (see `startTlsServer`).
   */
  readonly starttls?: boolean;
  /**
   * Accept USER/PASS, PLAIN and LOGIN on connections without TLS. Default false
   * (RFC 2595 section 2.3; RFC 8314 section 4).
   */
  readonly allowPlaintextAuth?: boolean;
  /** SASL mechanisms on offer, in order of preference. Default PLAIN, LOGIN, CRAM-MD5. */
  readonly saslMechanisms?: readonly SaslServerMechanism[];
  /**
   * The host name in the APOP timestamp. Default `Deno.hostname()` when `--allow-sys` grants
   * it, else `localhost`.
   */
  readonly serverName?: string;
  /** Offer APOP (a timestamp in the greeting, RFC 1939 section 7). Default true. */
  readonly apop?: boolean;
  /** The greeting text, before the APOP timestamp. */
  readonly greeting?: string;
  /** CAPA IMPLEMENTATION text (RFC 2449 section 6.9). */
  readonly implementation?: string;
  /** Core's limits: line lengths, bad commands, timeouts, pipelined input. */
  readonly limits?: Partial<Limits>;
  /** Delay before every failed login's `-ERR`, in ms. Default 2000. */
  readonly authFailureDelayMs?: number;
  /** Longest TLS handshake (implicit TLS or after STLS), in ms. Default 30 s. */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Open connections on this listener. Default 1000. */
  readonly maxConnections?: number;
  /** Open connections from one IP address on this listener. Default 20. */
  readonly maxConnectionsPerAddress?: number;
  /** Structured events for logs. Never carries a password. Errors it throws are ignored. */
  readonly onEvent?: (event: Pop3ServerEvent) => void;
  /** Closes the server (with the default grace) when aborted, as `Deno.serve`. */
  readonly signal?: AbortSignal;
  /** Time for sessions and handshakes. Default `denoClock`. */
  readonly clock?: Clock;
}

/** The options with defaults filled in and everything checked. */
export interface ResolvedServeOptions {
  readonly hostname: string;
  readonly port: number;
  readonly store: MailStore;
  readonly authenticator: Authenticator;
  readonly certificate: { readonly cert: string; readonly key: string } | null;
  readonly implicitTls: boolean;
  readonly starttls: boolean;
  readonly serverName: string;
  readonly policy: ServerPolicy;
  readonly limits: Partial<Limits>;
  readonly authFailureDelayMs: number;
  readonly tlsHandshakeTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly onEvent: (event: Pop3ServerEvent) => void;
  readonly clock: Clock;
}

/**
 * Checks the options at the package boundary and fills in the defaults. Throws
 * `LocalProtocolError` `invalid-argument` naming the first bad option, so a typo fails at
 * start-up rather than in the middle of a session.
 */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options !== "object" || options === null) fail("options", "must be an object");
  const { store, authenticator, cert, key } = options;
  if (typeof store?.open !== "function") fail("store", "must have an open(user) method");
  if (typeof authenticator?.lookup !== "function") {
    fail("authenticator", "must have a lookup(user) method");
  }
  const hostname = options.hostname ?? "0.0.0.0";
  if (typeof hostname !== "string" || hostname === "") fail("hostname", "must be a string");
  const implicitTls = options.implicitTls ?? false;
  optional(implicitTls, isBoolean, "implicitTls", "must be a boolean");
  const port = options.port ?? (implicitTls ? 995 : 110);
  if (!(Number.isSafeInteger(port) && port >= 0 && port <= 65535)) {
    fail("port", `must be an integer from 0 to 65535, got ${String(port)}`);
  }
  if ((cert === undefined) !== (key === undefined)) fail("cert", "and key go together");
  if (cert !== undefined && !(isPem(cert) && isPem(key))) {
    fail("cert", "and key must be PEM strings");
  }
  const certificate = cert === undefined ? null : { cert, key: key as string };
  if (implicitTls && certificate === null) fail("implicitTls", "needs cert and key");
  const serverName = options.serverName ?? defaultServerName();
  // It goes into `<pid.clock@serverName>`: a strict msg-id, or clients refuse APOP.
  if (typeof serverName !== "string" || !/^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(serverName)) {
    fail("serverName", "must be printable ASCII without spaces, '<' or '>'");
  }
  const saslMechanisms = options.saslMechanisms ?? [plainServer, loginServer, cramMd5Server];
  if (
    !Array.isArray(saslMechanisms) ||
    !saslMechanisms.every((m) => typeof m?.name === "string" && typeof m.start === "function")
  ) {
    fail("saslMechanisms", "must be an array of SASL server mechanisms");
  }
  optional(options.starttls, isBoolean, "starttls", "must be a boolean");
  optional(options.allowPlaintextAuth, isBoolean, "allowPlaintextAuth", "must be a boolean");
  optional(options.apop, isBoolean, "apop", "must be a boolean");
  optional(options.greeting, isLine, "greeting", "must be one line of text");
  optional(options.implementation, isLine, "implementation", "must be one line of text");
  optional(options.authFailureDelayMs, isCount, "authFailureDelayMs", "must be >= 0");
  optional(options.tlsHandshakeTimeoutMs, isPositive, "tlsHandshakeTimeoutMs", "must be > 0");
  optional(options.maxConnections, isPositive, "maxConnections", "must be a positive integer");
  optional(
    options.maxConnectionsPerAddress,
    isPositive,
    "maxConnectionsPerAddress",
    "must be a positive integer",
  );
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    fail("onEvent", "must be a function");
  }
  const clock = options.clock ?? denoClock;
  if (typeof clock?.now !== "function" || typeof clock.setTimer !== "function") {
    fail("clock", "must have now() and setTimer()");
  }
  const limits = options.limits ?? {};
  for (const [name, value] of Object.entries(limits)) {
    if (!(name in DEFAULT_LIMITS)) fail(`limits.${name}`, "is not a known limit");
    if (!isPositive(value)) fail(`limits.${name}`, "must be a positive integer");
  }
  const onEvent = options.onEvent;
  return {
    hostname,
    port,
    store,
    authenticator,
    certificate,
    implicitTls,
    starttls: certificate !== null && !implicitTls && (options.starttls ?? true),
    serverName,
    policy: {
      saslMechanisms,
      allowPlaintextAuth: options.allowPlaintextAuth ?? false,
      ...(options.apop === undefined ? {} : { apop: options.apop }),
      ...(options.greeting === undefined ? {} : { greeting: options.greeting }),
      ...(options.implementation === undefined ? {} : { implementation: options.implementation }),
    },
    limits,
    authFailureDelayMs: options.authFailureDelayMs ?? 2000,
    tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs ?? 30_000,
    maxConnections: options.maxConnections ?? 1000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 20,
    // One throwing logger must not take a session down with it.
    onEvent:
      onEvent === undefined
        ? () => {}
        : (event) => {
            try {
              onEvent(event);
            } catch {}
          },
    clock,
  };
}

/** `Deno.hostname()` needs `--allow-sys=hostname`; without it, no prompt: `localhost`. */
function defaultServerName(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state === "granted") {
      return Deno.hostname();
    }
  } catch {
    // Permissions API unavailable: fall through.
  }
  return "localhost";
}

function fail(option: string, problem: string): never {
  throw new LocalProtocolError({ code: "invalid-argument", message: `${option} ${problem}` });
}

function optional<T>(
  value: T | undefined,
  check: (value: unknown) => boolean,
  option: string,
  problem: string,
): void {
  if (value !== undefined && !check(value)) fail(option, problem);
}

const isBoolean = (value: unknown): boolean => typeof value === "boolean";
const isCount = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
const isPositive = (value: unknown): boolean =>
  Number.isSafeInteger(value) && (value as number) > 0;
const isLine = (value: unknown): boolean => typeof value === "string" && !/[\r\n]/.test(value);
const isPem = (value: unknown): boolean =>
  typeof value === "string" && value.includes("-----BEGIN");
