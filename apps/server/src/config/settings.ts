/**
 * Every setting the server reads, in one table: its key in the JSON config file, its flag and
 * its environment variable. The command-line parser, the environment reader, the config
 * problems ("set it with ...") and `--help` are all generated from it, so the three ways to
 * configure the server cannot drift apart.
 */
import {
  DEFAULT_LANGUAGE,
  DEFAULT_OAUTH_USER_CLAIMS,
  DEFAULT_PROXY_HEADER_TIMEOUT_MS,
  LANGUAGES,
  MIN_IDLE_TIMEOUT_MS,
} from "@apop/core/internal";
import { DOVECOT_SESSION_LOCK } from "@apop/maildir";
import { POSTGRES_DEFAULTS } from "../users/postgres-user-source.ts";
import { LIMIT_DEFAULTS, SHUTDOWN_GRACE_DEFAULT_SECONDS } from "./limit-defaults.ts";

/** How a flag or environment string turns into a config value. */
export type SettingKind =
  /** A file or directory; relative paths resolve against the config file's folder or the cwd. */
  | "path"
  | "string"
  /** Repeatable flag; comma-separated in the environment. */
  | "list"
  /** A flag without a value; `true`/`false` (also 1/0, yes/no, on/off) in the environment. */
  | "boolean"
  | "number";

export interface Setting {
  /** Dotted path in the config file (`limits.maxConnections`). */
  readonly key: string;
  /** Long flag without the dashes. */
  readonly flag: string;
  readonly kind: SettingKind;
  /** The value's name in `--help` (`HOST:PORT`). */
  readonly value?: string;
  readonly help: string;
}

/** The `APOP_SERVER_*` variable of a flag: `max-connections` -> `APOP_SERVER_MAX_CONNECTIONS`. */
export function envName(flag: string): string {
  return `APOP_SERVER_${flag.toUpperCase().replaceAll("-", "_")}`;
}

export const SETTINGS: readonly Setting[] = [
  {
    key: "listen",
    flag: "listen",
    kind: "list",
    value: "HOST:PORT",
    help: "POP3 listener (STLS with a certificate); repeatable; [::1]:110, *:110, port 0 = any",
  },
  {
    key: "tlsListen",
    flag: "tls-listen",
    kind: "list",
    value: "HOST:PORT",
    help: "POP3 over implicit TLS listener (port 995); repeatable",
  },
  {
    key: "web",
    flag: "web",
    kind: "string",
    value: "HOST:PORT",
    help: "webmail page and its WebSocket bridge to this server (off loopback: needs a certificate)",
  },
  {
    key: "tls.cert",
    flag: "tls-cert",
    kind: "path",
    value: "FILE",
    help: "certificate chain (PEM)",
  },
  { key: "tls.key", flag: "tls-key", kind: "path", value: "FILE", help: "private key (PEM)" },
  {
    key: "users",
    flag: "users",
    kind: "path",
    value: "FILE",
    help: "users file, Dovecot passwd-file format (name:{SCHEME}secret)",
  },
  {
    key: "postgres.url",
    flag: "postgres-url",
    kind: "string",
    value: "URL",
    help: "users in PostgreSQL instead of a file: postgresql://USER@HOST:PORT/DB (PG* variables fill the rest)",
  },
  {
    key: "postgres.query",
    flag: "postgres-query",
    kind: "string",
    value: "SQL",
    help: `returns {SCHEME}secret for the user $1 (default: ${POSTGRES_DEFAULTS.query})`,
  },
  {
    key: "postgres.poolSize",
    flag: "postgres-pool-size",
    kind: "number",
    value: "N",
    help: `database connections at most (default ${POSTGRES_DEFAULTS.poolSize})`,
  },
  {
    key: "postgres.connectTimeoutSeconds",
    flag: "postgres-connect-timeout-seconds",
    kind: "number",
    value: "SECONDS",
    help: `wait for a database connection (default ${POSTGRES_DEFAULTS.connectTimeoutSeconds})`,
  },
  {
    key: "postgres.statementTimeoutSeconds",
    flag: "postgres-statement-timeout-seconds",
    kind: "number",
    value: "SECONDS",
    help: `longest user query (default ${POSTGRES_DEFAULTS.statementTimeoutSeconds})`,
  },
  {
    key: "dovecotSessionLock",
    flag: "dovecot-session-lock",
    kind: "string",
    value: "FILE|off",
    help: `Dovecot's POP3 session dotlock, taken beside apop's, relative to each Maildir (default ${DOVECOT_SESSION_LOCK})`,
  },
  {
    key: "maildirRoot",
    flag: "maildir-root",
    kind: "path",
    value: "DIR",
    help: "one Maildir per user at DIR/<user>/",
  },
  {
    key: "missingMailbox",
    flag: "missing-mailbox",
    kind: "string",
    value: "MODE",
    help: "a user without a Maildir: refuse (default), empty, or create",
  },
  {
    key: "lockStaleSeconds",
    flag: "lock-stale-seconds",
    kind: "number",
    value: "SECONDS",
    help: "a maildrop lock not refreshed this long is taken over (default 120)",
  },
  {
    key: "allowPlaintextAuth",
    flag: "allow-plaintext-auth",
    kind: "boolean",
    help: "accept USER/PASS, PLAIN and LOGIN without TLS (off by default)",
  },
  {
    key: "clearSecretsChallengeOnly",
    flag: "clear-secrets-challenge-only",
    kind: "boolean",
    help: "users with a {PLAIN} secret log in only with APOP, CRAM-MD5 or SCRAM (RFC 1939 section 13; off by default)",
  },
  {
    key: "oauth.jwks",
    flag: "oauth-jwks",
    kind: "string",
    value: "FILE|URL",
    help: "offer OAUTHBEARER and XOAUTH2, checking JWTs against this JWKS (absolute path or https URL)",
  },
  {
    key: "oauth.issuer",
    flag: "oauth-issuer",
    kind: "string",
    value: "ISS",
    help: "the iss a token must carry (default: any)",
  },
  {
    key: "oauth.audience",
    flag: "oauth-audience",
    kind: "string",
    value: "AUD",
    help: "the aud a token must carry (default: any)",
  },
  {
    key: "oauth.claim",
    flag: "oauth-claim",
    kind: "string",
    value: "NAME",
    help: `the claim that must equal the user (default: ${DEFAULT_OAUTH_USER_CLAIMS.join(", else ")})`,
  },
  {
    key: "oauth.mechanisms",
    flag: "oauth-mechanisms",
    kind: "list",
    value: "NAME",
    help: "which of OAUTHBEARER, XOAUTH2 to offer (default both); repeatable",
  },
  {
    key: "language",
    flag: "language",
    kind: "string",
    value: "TAG",
    help: `the language LANG * selects (RFC 6856): ${LANGUAGES.map(({ tag }) => tag).join(", ")} (default ${DEFAULT_LANGUAGE})`,
  },
  {
    key: "user",
    flag: "user",
    kind: "string",
    value: "NAME",
    help: "drop to this system user after binding the listeners",
  },
  {
    key: "hostname",
    flag: "hostname",
    kind: "string",
    value: "NAME",
    help: "host name in the APOP timestamp (default: the system's)",
  },
  {
    key: "logLevel",
    flag: "log-level",
    kind: "string",
    value: "LEVEL",
    help: "debug, info (default), warn or error",
  },
  {
    key: "limits.idleTimeoutSeconds",
    flag: "idle-timeout",
    kind: "number",
    value: "SECONDS",
    help: `autologout after login, at least ${MIN_IDLE_TIMEOUT_MS / 1000} (default ${LIMIT_DEFAULTS.idleTimeoutSeconds})`,
  },
  {
    key: "limits.authorizationTimeoutSeconds",
    flag: "authorization-timeout",
    kind: "number",
    value: "SECONDS",
    help: `inactivity allowed before login (default ${LIMIT_DEFAULTS.authorizationTimeoutSeconds})`,
  },
  {
    key: "limits.loginDeadlineSeconds",
    flag: "login-deadline",
    kind: "number",
    value: "SECONDS",
    help: `time from the greeting to a login, however busy (default ${LIMIT_DEFAULTS.loginDeadlineSeconds})`,
  },
  {
    key: "limits.maxConnections",
    flag: "max-connections",
    kind: "number",
    value: "N",
    help: `open connections in total (default ${LIMIT_DEFAULTS.maxConnections})`,
  },
  {
    key: "limits.maxConnectionsPerAddress",
    flag: "max-connections-per-address",
    kind: "number",
    value: "N",
    help: `open connections from one IPv4 address or one IPv6 prefix (default ${LIMIT_DEFAULTS.maxConnectionsPerAddress})`,
  },
  {
    key: "limits.maxPreLoginConnections",
    flag: "max-pre-login-connections",
    kind: "number",
    value: "N",
    help: `connections not logged in yet; the oldest is dropped for a new one (default ${LIMIT_DEFAULTS.maxPreLoginConnections})`,
  },
  {
    key: "limits.ipv6PrefixLength",
    flag: "ipv6-prefix-length",
    kind: "number",
    value: "BITS",
    help: `IPv6 addresses sharing this prefix count as one client (default ${LIMIT_DEFAULTS.ipv6PrefixLength})`,
  },
  {
    key: "limits.authFailureDelaySeconds",
    flag: "auth-failure-delay",
    kind: "number",
    value: "SECONDS",
    help: `wait before each failed login's -ERR (default ${LIMIT_DEFAULTS.authFailureDelaySeconds})`,
  },
  {
    key: "limits.loginDelaySeconds",
    flag: "login-delay",
    kind: "number",
    value: "SECONDS",
    help: `least time between two logins to one mailbox, enforced and advertised (RFC 2449 LOGIN-DELAY; default ${LIMIT_DEFAULTS.loginDelaySeconds}: none)`,
  },
  {
    key: "limits.authFailures",
    flag: "auth-failures",
    kind: "number",
    value: "N",
    help: `failed logins before the connection is closed (default ${LIMIT_DEFAULTS.authFailures})`,
  },
  {
    key: "limits.badCommands",
    flag: "bad-commands",
    kind: "number",
    value: "N",
    help: `unknown or malformed commands before the connection is closed (default ${LIMIT_DEFAULTS.badCommands})`,
  },
  {
    key: "adminListen",
    flag: "admin-listen",
    kind: "string",
    value: "[HOST:]PORT",
    help: "HTTP admin listener with /metrics (Prometheus) and /health; loopback unless HOST is given; off by default",
  },
  {
    key: "proxyProtocol.trusted",
    flag: "proxy-protocol-trusted",
    kind: "list",
    value: "PREFIX",
    help: "load balancers whose PROXY v1/v2 header names the client (10.0.0.0/8, ::1); repeatable; off by default",
  },
  {
    key: "proxyProtocol.headerTimeoutSeconds",
    flag: "proxy-protocol-header-timeout-seconds",
    kind: "number",
    value: "SECONDS",
    help: `how long a trusted balancer has to send its PROXY header (default ${DEFAULT_PROXY_HEADER_TIMEOUT_MS / 1000})`,
  },
  {
    key: "shutdownGraceSeconds",
    flag: "shutdown-grace",
    kind: "number",
    value: "SECONDS",
    help: `on SIGTERM/SIGINT, time sessions get to finish (default ${SHUTDOWN_GRACE_DEFAULT_SECONDS})`,
  },
];

/** Where a setting can be given, for "required" problems: `--users, APOP_SERVER_USERS or "users"`. */
export function settingSources(key: string): string {
  const setting = SETTINGS.find((s) => s.key === key);
  if (setting === undefined) return `"${key}" in the config file`;
  return `--${setting.flag}, ${envName(setting.flag)} or "${key}" in the config file`;
}
