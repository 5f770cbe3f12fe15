import { CliError } from "./cli-error.ts";
import { ExitCode } from "./exit-code.ts";

/**
 * The password for `add-user`: from `APOP_PASSWORD`, else typed twice at a terminal without
 * echo. Never from an argument, which `ps` and shell history would show to others.
 * Throws `CliError` (exit 2) when there is neither, when the two entries differ, or when the
 * prompt is cancelled.
 */
export async function readPassword(options: {
  env: Readonly<Record<string, string | undefined>>;
  user: string;
}): Promise<string> {
  const fromEnv = options.env.APOP_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!process.stdin.isTTY) {
    throw failure(
      "no password: set APOP_PASSWORD, or run add-user on a terminal to type it (it is never read from an argument)",
    );
  }
  const first = await promptHidden(`Password for ${options.user}: `);
  if (first === "") throw failure("the password is empty");
  const second = await promptHidden("Again: ");
  if (first !== second) throw failure("the two passwords differ");
  return first;
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function promptHidden(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error: CliError | null): void => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error === null) resolve(typed);
      else reject(error);
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === "\r" || char === "\n") {
          finish(null);
          return;
        }
        if (char === "\u0003" || (char === "\u0004" && typed === "")) {
          finish(failure("cancelled"));
          return;
        }
        if (char === "\u007f" || char === "\b") typed = [...typed].slice(0, -1).join("");
        else if (char >= " ") typed += char;
      }
    };
    stdin.setEncoding("utf8");
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

function failure(problem: string): CliError {
  return new CliError({ exitCode: ExitCode.config, lines: [`apop-server add-user: ${problem}`] });
}
