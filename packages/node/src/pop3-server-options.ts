import * as os from "node:os";
import * as tls from "node:tls";
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
import { nodeClock } from "./node-clock.ts";
import type { Pop3ServerEvent } from "./pop3-server-event.ts";

/** The certificate and key (PEM) a server presents, or a ready `tls.SecureContext`. */
export type ServerTlsOptions =
  | { readonly key: string | Buffer; readonly cert: string | Buffer }
  | tls.SecureContext;

export interface Pop3ServerOptions {
  /** Where mailboxes live (`@apop/maildir`, core's `MemoryStore`, or your own). */
  readonly store: MailStore;
  /** Answers `lookup(user)` with a credential; core checks the proof. */
  readonly authenticator: Authenticator;
  /**
   * The server's certificate. With it, plain listeners offer STLS (RFC 2595) and
   * `listen({ implicitTls: true })` works (RFC 8314); without it neither does.
   */
  readonly tls?: ServerTlsOptions;
  /**
   * Accept USER/PASS, PLAIN and LOGIN on connections without TLS. Default false
   * (RFC 2595 section 2.3; RFC 8314 section 4).
   */
  readonly allowPlaintextAuth?: boolean;
  /** SASL mechanisms on offer, in order of preference. Default PLAIN, LOGIN, CRAM-MD5. */
  readonly saslMechanisms?: readonly SaslServerMechanism[];
  /** The host name in the APOP timestamp. Default `os.hostname()`. */
  readonly hostname?: string;
  /** Offer APOP (a timestamp in the greeting, RFC 1939 section 7). Default true. */
  readonly apop?: boolean;
  /** The greeting text, before the APOP timestamp. */
  readonly greeting?: string;
  /** CAPA IMPLEMENTATION text (RFC 2449 section 6.9). */
  readonly implementation?: string;
  /** CAPA EXPIRE: days, or `NEVER` (RFC 2449 section 6.7). */
  readonly expire?: number | "NEVER";
  /** CAPA LOGIN-DELAY in seconds (RFC 2449 section 6.5). */
  readonly loginDelay?: number;
  /** Core's limits: line lengths, bad commands, timeouts, pipelined input. */
  readonly limits?: Partial<Limits>;
  /** Delay before every failed login's `-ERR`, in ms. Default 2000 (Dovecot's `auth_failure_delay`). */
  readonly authFailureDelayMs?: number;
  /** Longest TLS handshake (implicit TLS or after STLS), in ms. Default 30 s (fetchmail CVE-2011-1947). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Open connections in total, on all listeners. Default 1000. */
  readonly maxConnections?: number;
  /** Open connections from one IP address. Default 20. */
  readonly maxConnectionsPerAddress?: number;
  /** Structured events for logs. Never carries a password. Must not throw (errors are ignored). */
  readonly onEvent?: (event: Pop3ServerEvent) => void;
  /** Time for sessions and handshakes. Default `nodeClock`; tests inject a manual clock. */
  readonly clock?: Clock;
}

/** The options with defaults filled in and everything checked. */
export interface ResolvedServerOptions {
  readonly store: MailStore;
  readonly authenticator: Authenticator;
  readonly secureContext: tls.SecureContext | null;
  readonly hostname: string;
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
 * `LocalProtocolError` `invalid-argument` naming the first bad option, so a typo in a
 * configuration fails at start-up rather than in the middle of a session.
 */
export function resolveServerOptions(options: Pop3ServerOptions): ResolvedServerOptions {
  if (typeof options !== "object" || options === null) fail("options", "must be an object");
  const { store, authenticator } = options;
  if (typeof store?.open !== "function") fail("store", "must have an open(user) method");
  if (typeof authenticator?.lookup !== "function") {
    fail("authenticator", "must have a lookup(user) method");
  }
  const hostname = options.hostname ?? os.hostname();
  // It goes into `<pid.clock@hostname>`: a strict msg-id, or clients refuse APOP.
  if (typeof hostname !== "string" || !/^[\x21-\x3b\x3d\x3f-\x7e]+$/.test(hostname)) {
    fail("hostname", "must be printable ASCII without spaces, '<' or '>'");
  }
  const saslMechanisms = options.saslMechanisms ?? [plainServer, loginServer, cramMd5Server];
  if (
    !Array.isArray(saslMechanisms) ||
    !saslMechanisms.every((m) => typeof m?.name === "string" && typeof m.start === "function")
  ) {
    fail("saslMechanisms", "must be an array of SASL server mechanisms");
  }
  const expire = options.expire;
  if (expire !== undefined && expire !== "NEVER" && !isCount(expire)) {
    fail("expire", "must be a number of days or 'NEVER'");
  }
  optional(options.loginDelay, isCount, "loginDelay", "must be a whole number of seconds");
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
  const clock = options.clock ?? nodeClock;
  if (typeof clock?.now !== "function" || typeof clock.setTimer !== "function") {
    fail("clock", "must have now() and setTimer()");
  }
  const limits = options.limits ?? {};
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in DEFAULT_LIMITS)) fail(`limits.${key}`, "is not a known limit");
    if (!isPositive(value)) fail(`limits.${key}`, "must be a positive integer");
  }
  const onEvent = options.onEvent;
  return {
    store,
    authenticator,
    secureContext: secureContext(options.tls),
    hostname,
    policy: {
      saslMechanisms,
      allowPlaintextAuth: options.allowPlaintextAuth ?? false,
      ...(options.apop === undefined ? {} : { apop: options.apop }),
      ...(options.greeting === undefined ? {} : { greeting: options.greeting }),
      ...(options.implementation === undefined ? {} : { implementation: options.implementation }),
      ...(expire === undefined ? {} : { expire: String(expire) }),
      ...(options.loginDelay === undefined ? {} : { loginDelay: options.loginDelay }),
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

function secureContext(option: ServerTlsOptions | undefined): tls.SecureContext | null {
  if (option === undefined) return null;
  if (typeof option !== "object" || option === null)
    fail("tls", "must be { key, cert } or a SecureContext");
  if ("key" in option || "cert" in option) {
    const { key, cert } = option as { key: unknown; cert: unknown };
    if (!isPem(key) || !isPem(cert)) fail("tls", "key and cert must be PEM strings or Buffers");
    try {
      return tls.createSecureContext({ key, cert, minVersion: "TLSv1.2" });
    } catch (error) {
      fail("tls", `key and cert were refused: ${(error as Error).message}`);
    }
  }
  if ("context" in option) return option;
  return fail("tls", "must be { key, cert } or a SecureContext");
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
const isPem = (value: unknown): value is string | Buffer =>
  (typeof value === "string" && value.length > 0) || Buffer.isBuffer(value);
