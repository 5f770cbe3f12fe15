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
  /** Wait before every failed login's `-ERR`, in ms (Dovecot's `auth_failure_delay`). */
  authFailureDelayMs: 2000,
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
