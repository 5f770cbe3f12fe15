/** What a command may touch of the process: streams, environment, and how to talk. */
export interface CliContext {
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** stdin is a terminal: a password may be asked for. */
  readonly interactive: boolean;
  /** Draw the progress bar: stderr is a terminal and not `--quiet`. */
  readonly progress: boolean;
  /** Colour allowed: a terminal and no `NO_COLOR` (no-color.org). */
  readonly color: boolean;
  /** A warning on stderr, `apop: warning: ...`; shown even with `--quiet`. */
  warn(message: string): void;
  /** A summary on stderr, `apop: ...`; silenced by `--quiet`. */
  info(message: string): void;
}
