import type { ExitCode } from "./exit-code.ts";

/**
 * A failure the program reports and exits on: one line for stderr and the exit code. Every
 * error that reaches `main` as something else is a bug (exit 1).
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(options: { exitCode: ExitCode; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode;
  }
}
