import { CliError } from "../cli/cli-error.ts";
import { ExitCode } from "../cli/exit-code.ts";

/**
 * Asks for a password on the terminal without echoing it: stdin in raw mode, the prompt on
 * stderr (stdout may be a pipe for `--json`). Backspace edits; Enter ends; Ctrl-C stops the
 * program (exit 130); Ctrl-D on an empty line is "no password" (exit 2). Call only when stdin
 * is a TTY.
 */
export function promptPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let password = "";
    const finish = (error: CliError | null): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write("\n");
      if (error === null) resolve(password);
      else reject(error);
    };
    const onData = (data: Buffer): void => {
      for (const char of data.toString("utf8")) {
        if (char === "\r" || char === "\n") {
          finish(null);
          return;
        }
        if (char === "\u0003") {
          finish(new CliError({ exitCode: ExitCode.interrupted, message: "interrupted" }));
          return;
        }
        if (char === "\u0004") {
          finish(
            password === ""
              ? new CliError({ exitCode: ExitCode.usage, message: "no password given" })
              : null,
          );
          return;
        }
        if (char === "\u007f" || char === "\b") password = [...password].slice(0, -1).join("");
        else if (char >= " ") password += char;
      }
    };
    // Echo off before the prompt shows: whatever is typed after it must never be echoed.
    stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
    process.stderr.write(prompt);
  });
}
