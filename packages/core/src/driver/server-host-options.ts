import { apopHostNameProblem } from "../auth/apop.ts";
import type { Authenticator } from "../auth/credential.ts";
import { cramMd5Server } from "../auth/sasl/cram-md5.ts";
import { loginServer } from "../auth/sasl/login.ts";
import { oauthBearerServer, xoauth2Server } from "../auth/sasl/oauth-bearer.ts";
import { plainServer } from "../auth/sasl/plain.ts";
import type { SaslServerMechanism } from "../auth/sasl/sasl-mechanism.ts";
import { scramSha256PlusServer, scramSha256Server } from "../auth/scram/scram-server.ts";
import type { TokenValidator } from "../auth/token-validator.ts";
import { DEFAULTS } from "../defaults.ts";
import { LocalProtocolError } from "../errors/local-protocol-error.ts";
import { LANGUAGES } from "../i18n/message-catalog.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits.ts";
import {
  type ProxyProtocolOptions,
  type ResolvedProxyProtocol,
  resolveProxyProtocol,
} from "../proxy/proxy-protocol-options.ts";
import type { ServerPolicy } from "../session/server-session.ts";
import type { MailStore } from "../store/mail-store.ts";
import { isIpv6PrefixLength } from "./address-group.ts";
import type { ConnectionStats, ServerHostEvent } from "./server-host-event.ts";
import type { Clock } from "./transport.ts";

/**
 * The options every POP3 server host takes, whatever the runtime: @apop/node's
 * `Pop3ServerOptions` and @apop/deno's `ServeOptions` extend them with their listener, TLS
 * and the option that names the APOP host.
 */
export interface ServerHostOptions<Stats extends ConnectionStats = ConnectionStats> {
  /** Where mailboxes live (`@apop/maildir`, core's `MemoryStore`, or your own). */
  readonly store: MailStore;
  /** Answers `lookup(user)` with a credential; core checks the proof. */
  readonly authenticator: Authenticator;
  /**
   * Checks bearer tokens for OAUTHBEARER (RFC 7628) and XOAUTH2, which are offered (inside TLS,
   * or with `allowPlaintextAuth`) only when this is set. Default none.
   */
  readonly tokenValidator?: TokenValidator;
  /**
   * Accept USER/PASS, PLAIN and LOGIN on connections without TLS. Default false
   * (RFC 2595 section 2.3; RFC 8314 section 4).
   */
  readonly allowPlaintextAuth?: boolean;
  /**
   * SASL mechanisms on offer, in order of preference. Default SCRAM-SHA-256-PLUS (where the
   * transport gives channel binding data), SCRAM-SHA-256, PLAIN, LOGIN, CRAM-MD5, and
   * OAUTHBEARER and XOAUTH2 (where there is a `tokenValidator`).
   */
  readonly saslMechanisms?: readonly SaslServerMechanism[];
  /**
   * Offer APOP (a timestamp in the greeting, RFC 1939 section 7). Default true, unless the
   * authenticator says it holds no clear secrets (`Authenticator.clearSecrets`).
   */
  readonly apop?: boolean;
  /**
   * Users whose secret is stored in clear may log in only with APOP, CRAM-MD5 or SCRAM, never
   * by sending the password (RFC 1939 section 13). Default false.
   */
  readonly clearSecretsChallengeOnly?: boolean;
  /**
   * The administrator's language, which `LANG *` selects (RFC 6856 section 3): one of
   * `LANGUAGES`. Default `DEFAULT_LANGUAGE` (i-default).
   */
  readonly language?: string;
  /** The greeting text, before the APOP timestamp. */
  readonly greeting?: string;
  /** CAPA IMPLEMENTATION text (RFC 2449 section 6.9). */
  readonly implementation?: string;
  /** CAPA EXPIRE: days, or `NEVER` (RFC 2449 section 6.7). */
  readonly expire?: number | "NEVER";
  /**
   * The least time between two logins to one maildrop, in seconds (RFC 2449 section 6.5):
   * enforced with `-ERR [LOGIN-DELAY]` and advertised in CAPA. Needs a store that keeps the
   * last login (`MailStore.keepsLastLogin`). Default none.
   */
  readonly loginDelay?: number;
  /** Core's limits: line lengths, bad commands, timeouts, pipelined input. */
  readonly limits?: Partial<Limits>;
  /** Delay before every failed login's `-ERR`, in ms. Default 2000 (Dovecot's `auth_failure_delay`). */
  readonly authFailureDelayMs?: number;
  /** Longest TLS handshake (implicit TLS or after STLS), in ms. Default 30 s (fetchmail CVE-2011-1947). */
  readonly tlsHandshakeTimeoutMs?: number;
  /** Open connections in total, on every listener of this server. Default 1000. */
  readonly maxConnections?: number;
  /**
   * Open connections from one client, on every listener of this server: one IPv4 address, or
   * one IPv6 prefix of `ipv6PrefixLength` bits. Default 20.
   */
  readonly maxConnectionsPerAddress?: number;
  /** PROXY protocol v1/v2 from trusted balancers, on every listener. Default off. */
  readonly proxyProtocol?: ProxyProtocolOptions;
  /**
   * Connections not yet logged in, in total: their own budget inside `maxConnections`, so idle
   * unauthenticated connections can never take the slots of logged-in users. When it is full,
   * a new connection is still admitted and the oldest connection not logged in, from the
   * client (`addressGroup`) holding the most of them, is dropped (Dovecot's login processes
   * likewise drop their oldest unauthenticated client). Default 100
   * (`DEFAULTS.maxPreLoginConnections`).
   */
  readonly maxPreLoginConnections?: number;
  /**
   * Bits of an IPv6 address that name one client for every per-address count (`addressGroup`).
   * Default 64 (`DEFAULTS.ipv6PrefixLength`): one host holds a whole /64. 128 counts each
   * address apart; a shorter prefix (48, 56) groups a whole site.
   */
  readonly ipv6PrefixLength?: number;
  /** Structured events for logs. Never carries a password. Must not throw (errors are ignored). */
  readonly onEvent?: (event: ServerHostEvent<Stats>) => void;
  /** Time for sessions, handshakes and the shutdown grace. Default: the runtime's clock. */
  readonly clock?: Clock;
}

/**
 * The SASL mechanisms a server offers by default, in order of preference; each is offered
 * only where it can work (see `SaslServerMechanism`'s `needs*` flags).
 */
export const DEFAULT_SASL_SERVER_MECHANISMS: readonly SaslServerMechanism[] = [
  scramSha256PlusServer,
  scramSha256Server,
  plainServer,
  loginServer,
  cramMd5Server,
  oauthBearerServer,
  xoauth2Server,
];

/** The options with defaults filled in and everything checked. */
export interface ResolvedServerHostOptions<Stats extends ConnectionStats = ConnectionStats> {
  readonly store: MailStore;
  readonly authenticator: Authenticator;
  readonly tokenValidator: TokenValidator | null;
  /** The host name in the APOP timestamp (`serveConnection`'s `hostname`). */
  readonly serverName: string;
  readonly policy: ServerPolicy;
  readonly limits: Partial<Limits>;
  readonly authFailureDelayMs: number;
  readonly tlsHandshakeTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** Null when off. */
  readonly proxyProtocol: ResolvedProxyProtocol | null;
  readonly maxPreLoginConnections: number;
  readonly ipv6PrefixLength: number;
  /** The caller's `onEvent`, made safe: what it throws is ignored. */
  readonly onEvent: (event: ServerHostEvent<Stats>) => void;
  readonly clock: Clock;
}

export interface ResolveServerHostOptionsInput<
  Stats extends ConnectionStats,
  NameOption extends string,
> {
  /** What the caller passed, not yet checked (it may not even be an object). */
  readonly options: ServerHostOptions<Stats> & { readonly [K in NameOption]?: string };
  /**
   * The option that carries the APOP host name: `hostname` on Node, `serverName` on Deno
   * (whose `hostname` is the address to bind). Errors name it.
   */
  readonly serverNameOption: NameOption;
  /** The runtime's host name, asked only when the option is absent. */
  readonly defaultServerName: () => string;
  /** The runtime's clock, when `clock` is absent. */
  readonly defaultClock: Clock;
}

/**
 * Checks a server host's options at the package boundary and fills in the defaults, so a typo
 * in a configuration fails at start-up rather than in the middle of a session. Throws
 * `LocalProtocolError` `invalid-argument` whose message starts with the first bad option
 * (`limits.commandLine is not a known limit`). The runtime checks what is its own (listener,
 * TLS material) after this.
 *
 * - The APOP host name goes into `<clock.random@name>`, which must be a strict msg-id or
 *   clients refuse APOP (RFC 1939 section 7): `apopHostNameProblem` decides.
 * - `limits` entries must be known names with positive integers; core's own floors
 *   (`resolveLimits`) still apply on top.
 * - `onEvent` comes back wrapped: one throwing logger must not take a session down with it.
 */
export function resolveServerHostOptions<Stats extends ConnectionStats, NameOption extends string>(
  args: ResolveServerHostOptionsInput<Stats, NameOption>,
): ResolvedServerHostOptions<Stats> {
  const { options, serverNameOption } = args;
  if (typeof options !== "object" || options === null) fail("options", "must be an object");
  const { store, authenticator } = options;
  if (typeof store?.open !== "function") fail("store", "must have an open(user) method");
  if (typeof authenticator?.lookup !== "function") {
    fail("authenticator", "must have a lookup(user) method");
  }
  const serverName: unknown = options[serverNameOption] ?? args.defaultServerName();
  if (typeof serverName !== "string") fail(serverNameOption, "must be a string");
  const problem = apopHostNameProblem(serverName);
  if (problem !== null) fail(serverNameOption, `cannot go into an APOP timestamp: ${problem}`);
  const saslMechanisms = options.saslMechanisms ?? DEFAULT_SASL_SERVER_MECHANISMS;
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
  if ((options.loginDelay ?? 0) > 0 && store.keepsLastLogin !== true) {
    fail("loginDelay", "needs a store that keeps the last login time (MailStore.keepsLastLogin)");
  }
  if (options.tokenValidator !== undefined && typeof options.tokenValidator !== "function") {
    fail("tokenValidator", "must be a function");
  }
  optional(options.allowPlaintextAuth, isBoolean, "allowPlaintextAuth", "must be a boolean");
  optional(options.apop, isBoolean, "apop", "must be a boolean");
  optional(
    options.clearSecretsChallengeOnly,
    isBoolean,
    "clearSecretsChallengeOnly",
    "must be a boolean",
  );
  if (options.language !== undefined && !LANGUAGES.some(({ tag }) => tag === options.language)) {
    fail("language", `must be one of ${LANGUAGES.map(({ tag }) => tag).join(", ")}`);
  }
  // Both may go out before UTF8, when no response may carry non-ASCII (RFC 6856 section 2).
  optional(options.greeting, isAsciiLine, "greeting", "must be one line of printable ASCII");
  optional(
    options.implementation,
    isAsciiLine,
    "implementation",
    "must be one line of printable ASCII",
  );
  optional(options.authFailureDelayMs, isCount, "authFailureDelayMs", "must be >= 0");
  optional(options.tlsHandshakeTimeoutMs, isPositive, "tlsHandshakeTimeoutMs", "must be > 0");
  optional(options.maxConnections, isPositive, "maxConnections", "must be a positive integer");
  optional(
    options.maxConnectionsPerAddress,
    isPositive,
    "maxConnectionsPerAddress",
    "must be a positive integer",
  );
  optional(
    options.maxPreLoginConnections,
    isPositive,
    "maxPreLoginConnections",
    "must be a positive integer",
  );
  optional(options.ipv6PrefixLength, isIpv6PrefixLength, "ipv6PrefixLength", "must be 1 to 128");
  if (options.onEvent !== undefined && typeof options.onEvent !== "function") {
    fail("onEvent", "must be a function");
  }
  const clock = options.clock ?? args.defaultClock;
  if (typeof clock?.now !== "function" || typeof clock.setTimer !== "function") {
    fail("clock", "must have now() and setTimer()");
  }
  const limits = options.limits ?? {};
  for (const [name, value] of Object.entries(limits)) {
    if (!(name in DEFAULT_LIMITS)) fail(`limits.${name}`, "is not a known limit");
    if (!isPositive(value)) fail(`limits.${name}`, "must be a positive integer");
  }
  const onEvent = options.onEvent;
  const proxyProtocol = resolveProxyProtocol(options.proxyProtocol);
  return {
    store,
    authenticator,
    tokenValidator: options.tokenValidator ?? null,
    serverName,
    policy: {
      saslMechanisms,
      ...(options.tokenValidator === undefined ? {} : { tokens: true }),
      allowPlaintextAuth: options.allowPlaintextAuth ?? false,
      ...(options.apop === undefined ? {} : { apop: options.apop }),
      ...(options.clearSecretsChallengeOnly === true ? { clearSecretsChallengeOnly: true } : {}),
      ...(options.greeting === undefined ? {} : { greeting: options.greeting }),
      ...(options.language === undefined ? {} : { language: options.language }),
      ...(options.implementation === undefined ? {} : { implementation: options.implementation }),
      ...(expire === undefined ? {} : { expire: String(expire) }),
      ...((options.loginDelay ?? 0) > 0 ? { loginDelay: options.loginDelay } : {}),
    },
    limits,
    authFailureDelayMs: options.authFailureDelayMs ?? DEFAULTS.authFailureDelayMs,
    tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs ?? DEFAULTS.tlsHandshakeTimeoutMs,
    maxConnections: options.maxConnections ?? DEFAULTS.maxConnections,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? DEFAULTS.maxConnectionsPerAddress,
    proxyProtocol,
    maxPreLoginConnections: options.maxPreLoginConnections ?? DEFAULTS.maxPreLoginConnections,
    ipv6PrefixLength: options.ipv6PrefixLength ?? DEFAULTS.ipv6PrefixLength,
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
const isAsciiLine = (value: unknown): boolean =>
  typeof value === "string" && /^[\x20-\x7e]*$/.test(value);
