import type { ExitCode } from "./exit-code.ts";

/**
 * An expected failure that ends the program: its lines go to stderr as they are, with no
 * stack trace, and the process exits with `exitCode`. Anything else that escapes is a bug.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** One problem per line, already worded for the operator. */
  readonly lines: readonly string[];

  constructor(options: { exitCode: ExitCode; lines: readonly string[] }) {
    super(options.lines.join("\n"));
    this.name = "CliError";
    this.exitCode = options.exitCode;
    this.lines = options.lines;
  }
}
