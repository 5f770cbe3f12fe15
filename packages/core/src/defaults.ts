/**
 * The defaults of everything around a session: ports, connection caps, delays and timeouts of
 * the server host and the client's connect. The session's own limits are `DEFAULT_LIMITS`
 * (limits.ts). Each value is defined here once; the runtime packages, apop-server's config
 * schema and its `--help` read it from here, and a test checks that the READMEs agree.
 *
 * One name per concept: a default is named as the option that sets it (`maxConnections`), and
 * a program's setting for it keeps the stem with its own unit (`shutdownGraceSeconds`).
 */
export const DEFAULTS = {
  /** POP3 (RFC 1939 section 3). */
  port: 110,
  /** POP3 over implicit TLS (RFC 8314 section 7; RFC 2595 section 7 named it pop3s). */
  tlsPort: 995,
  /** Open connections in total, on every listener of one server. */
  maxConnections: 1000,
  /** Open connections from one IP address, on every listener of one server. */
  maxConnectionsPerAddress: 20,
  /**
   * Connections not yet logged in, on every listener: a tenth of `maxConnections`, so clients
   * that connect and never log in cannot take every slot from the users who do.
   */
  maxPreLoginConnections: 100,
  /**
   * Bits of an IPv6 address that name one client, for the per-address caps and penalties
   * (`addressGroup`): one host commonly holds a whole /64 (RFC 6177), so 64.
   */
  ipv6PrefixLength: 64,
  /** Wait before every failed login's `-ERR`, in ms (Dovecot's `auth_failure_delay`). */
  authFailureDelayMs: 2000,
  /**
   * Least time between two logins to one maildrop, in seconds (RFC 2449 section 6.5 counts
   * LOGIN-DELAY in seconds); 0 enforces and advertises none.
   */
  loginDelay: 0,
  /** Longest TLS handshake, implicit or after STLS, either side, in ms (fetchmail CVE-2011-1947). */
  tlsHandshakeTimeoutMs: 30_000,
  /** Longest wait for the client's TCP connection, in ms. */
  connectTimeoutMs: 30_000,
  /** How long sessions may finish after a shutdown starts, in ms, before they are dropped. */
  shutdownGraceMs: 30_000,
} as const;

/** The port for a TLS mode: 995 for implicit TLS, 110 for the rest (STLS starts on 110). */
export function defaultPort(options: { readonly implicitTls: boolean }): number {
  return options.implicitTls ? DEFAULTS.tlsPort : DEFAULTS.port;
}
