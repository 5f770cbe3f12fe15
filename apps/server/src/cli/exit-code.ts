/**
 * The exit codes of `apop-server`, documented in README.md. Scripts and service managers
 * branch on them: 2 means "fix the configuration", 3 "free the port or pick another",
 * 4 "fix the service account"; restarting does not help with any of them.
 */
export const ExitCode = {
  /** The command succeeded, or the server shut down cleanly after SIGTERM/SIGINT. */
  ok: 0,
  /** An unexpected failure (a bug), or a second SIGTERM/SIGINT cut the grace period short. */
  failure: 1,
  /** Bad usage or configuration: flags, config file, environment, users file, certificates. */
  config: 2,
  /** A listener could not be opened: the address is in use, not local, or needs privileges. */
  listen: 3,
  /** `--user` could not be honoured: unknown user, not root, or the switch failed. */
  privileges: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
