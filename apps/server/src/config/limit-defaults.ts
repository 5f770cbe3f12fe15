import { DEFAULT_LIMITS, DEFAULTS } from "@apop/core";

/**
 * The defaults, all core's (`DEFAULT_LIMITS`, `DEFAULTS`), in the config file's units. Each key is
 * core's name with the config file's unit: `authorizationTimeoutMs` is `authorizationTimeoutSeconds`
 * here, `--authorization-timeout` as a flag.
 */
export const LIMIT_DEFAULTS = {
  idleTimeoutSeconds: DEFAULT_LIMITS.idleTimeoutMs / 1000,
  authorizationTimeoutSeconds: DEFAULT_LIMITS.authorizationTimeoutMs / 1000,
  loginDeadlineSeconds: DEFAULT_LIMITS.loginDeadlineMs / 1000,
  maxConnections: DEFAULTS.maxConnections,
  maxConnectionsPerAddress: DEFAULTS.maxConnectionsPerAddress,
  maxPreLoginConnections: DEFAULTS.maxPreLoginConnections,
  ipv6PrefixLength: DEFAULTS.ipv6PrefixLength,
  authFailureDelaySeconds: DEFAULTS.authFailureDelayMs / 1000,
  loginDelaySeconds: DEFAULTS.loginDelay,
  authFailures: DEFAULT_LIMITS.authFailures,
  badCommands: DEFAULT_LIMITS.badCommands,
} as const;

/** `shutdownGraceSeconds`: core's `DEFAULTS.shutdownGraceMs`. */
export const SHUTDOWN_GRACE_DEFAULT_SECONDS = DEFAULTS.shutdownGraceMs / 1000;
