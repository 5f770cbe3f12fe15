/**
 * The exit codes of `apop`, one per kind of failure, so a script or a cron job can tell "try
 * again later" (5) from "fix the password" (4) from "fix the disk" (7) without reading the
 * message. They are listed in `apop --help` and in the README.
 */
export const ExitCode = {
  ok: 0,
  /** A bug in apop itself: the message says what went wrong (`--debug` shows the stack). */
  internal: 1,
  /** Bad arguments, an unknown command, a missing user or password. */
  usage: 2,
  /** Unreachable, refused, timed out, TLS or certificate failure, STLS unavailable, TLS downgrade refused. */
  connection: 3,
  /** `[AUTH]`, or any `-ERR` to a login command without a more specific code. */
  auth: 4,
  /** `[IN-USE]`, `[LOGIN-DELAY]`, `[SYS/TEMP]`, or a local lock held by another program: try later. */
  unavailable: 5,
  /** The server misbehaved or answered `[SYS/PERM]`. */
  protocol: 6,
  /** The Maildir, mbox or state file could not be written. */
  localWrite: 7,
  /** Stopped by SIGINT (128 + 2), shell convention. */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
