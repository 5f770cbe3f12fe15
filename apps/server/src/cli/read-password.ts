import { CliError, PromptStopped, promptPassword } from "@apop/cli-kit";
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

/** One prompt without echo; Ctrl-C, or Ctrl-D at an empty line, cancels. */
async function promptHidden(prompt: string): Promise<string> {
  try {
    return await promptPassword({ prompt });
  } catch (error) {
    if (error instanceof PromptStopped) throw failure("cancelled");
    throw error;
  }
}

function failure(problem: string): CliError {
  return new CliError({ exitCode: ExitCode.config, message: `apop-server add-user: ${problem}` });
}
