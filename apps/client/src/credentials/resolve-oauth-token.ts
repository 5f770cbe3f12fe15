import { execFile } from "node:child_process";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";

/** How long `--oauth-token-command` may take. */
const TOKEN_COMMAND_TIMEOUT_MS = 30_000;

/**
 * The bearer token for `--auth oauthbearer|xoauth2`, never from the command line (it would
 * show in `ps` and in shell history): `APOP_OAUTH_TOKEN` in the environment, else the first
 * line that `--oauth-token-command` prints (run with `/bin/sh -c`, like fetchmail's
 * `passwordeval`; it may ask a token helper to refresh). Throws `CliError` exit 2 when neither
 * gives one.
 */
export async function resolveOAuthToken(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly command: string | undefined;
}): Promise<string> {
  const { env, command } = options;
  if (command === undefined) {
    const token = env.APOP_OAUTH_TOKEN;
    if (token !== undefined && token !== "") return token;
    throw new CliError({
      exitCode: ExitCode.usage,
      message:
        "no bearer token: set APOP_OAUTH_TOKEN or pass --oauth-token-command (the token never goes on the command line)",
    });
  }
  const output = await new Promise<string>((resolve, reject) => {
    execFile(
      "/bin/sh",
      ["-c", command],
      { env, timeout: TOKEN_COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 },
      (error, stdout) => (error === null ? resolve(stdout) : reject(error)),
    );
  }).catch((error: Error) => {
    throw new CliError({
      exitCode: ExitCode.usage,
      message: `--oauth-token-command failed: ${error.message.split("\n")[0]}`,
    });
  });
  const token = output.split("\n")[0]?.trim() ?? "";
  if (token === "") {
    throw new CliError({
      exitCode: ExitCode.usage,
      message: "--oauth-token-command printed no token",
    });
  }
  return token;
}
