import { homedir } from "node:os";
import { join } from "node:path";
import { CliError, PromptStopped, promptPassword } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { findNetrcEntry } from "./read-netrc.ts";

/** The login name and password, and where the password came from (for `--debug`). */
export interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly source: "environment" | "netrc" | "prompt" | "oauth-token";
}

/**
 * Finds the password, never from the command line (it would show in `ps` and in shell
 * history), in this order:
 * 1. `APOP_PASSWORD` in the environment;
 * 2. the `.netrc` file (`$NETRC`, else `~/.netrc`): `machine <host> login <user> password <pw>`;
 * 3. a prompt without echo, when stdin is a terminal.
 *
 * The user comes from `--user`, else the URL, else the `.netrc` entry's `login`. Throws
 * `CliError` exit 2 when no user or no password can be found.
 */
export async function resolveCredentials(options: {
  readonly user: string | undefined;
  readonly host: string;
  readonly env: NodeJS.ProcessEnv;
  readonly interactive: boolean;
  readonly onWarning: (message: string) => void;
}): Promise<Credentials> {
  const { host, env, interactive, onWarning } = options;
  let user = options.user;
  const fromEnv = env.APOP_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== "" && user !== undefined) {
    return { user, password: fromEnv, source: "environment" };
  }
  const netrcPath = env.NETRC ?? join(env.HOME ?? homedir(), ".netrc");
  const entry = await findNetrcEntry({ path: netrcPath, host, user, onWarning });
  user ??= entry?.login;
  if (user === undefined) {
    throw new CliError({
      exitCode: ExitCode.usage,
      message: `no user name: put it in the URL (pop3s://USER@${host}), pass --user, or add a login to ${netrcPath}`,
    });
  }
  if (fromEnv !== undefined && fromEnv !== "")
    return { user, password: fromEnv, source: "environment" };
  if (entry?.password !== undefined) return { user, password: entry.password, source: "netrc" };
  if (interactive) {
    return {
      user,
      password: await askPassword(`Password for ${user}@${host}: `),
      source: "prompt",
    };
  }
  throw new CliError({
    exitCode: ExitCode.usage,
    message: `no password for ${user}@${host}: set APOP_PASSWORD, add it to ${netrcPath}, or run on a terminal to be asked`,
  });
}

/** The prompt without echo; Ctrl-C is exit 130, Ctrl-D at an empty line exit 2. */
async function askPassword(prompt: string): Promise<string> {
  try {
    return await promptPassword({ prompt });
  } catch (error) {
    if (!(error instanceof PromptStopped)) throw error;
    throw new CliError({
      exitCode: error.stop === "interrupt" ? ExitCode.interrupted : ExitCode.usage,
      message: error.message,
    });
  }
}
