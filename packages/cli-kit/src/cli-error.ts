/**
 * A failure a program reports and exits on: its message goes to stderr as it is (one problem
 * per line, already worded for the reader, no stack trace) and the process exits with
 * `exitCode`. Each program documents its exit codes; anything else that reaches `main` is a
 * bug and exits 1.
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(options: { exitCode: number; message: string; cause?: unknown }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode;
  }

  /** The message's lines, one problem each. */
  get lines(): readonly string[] {
    return this.message.split("\n");
  }
}
