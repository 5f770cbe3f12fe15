import { join } from "node:path";
import { CliError } from "@apop/cli-kit";
import type { CliContext } from "../cli/cli-context.ts";
import { ExitCode } from "../cli/exit-code.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { type Credentials, resolveCredentials } from "../credentials/resolve-credentials.ts";
import { resolveOAuthToken } from "../credentials/resolve-oauth-token.ts";
import { type Account, makeAccount } from "../state/account.ts";
import { defaultStateDirectory, stateFileName } from "../state/state-path.ts";
import { languagePreferences } from "./language-preferences.ts";
import type { ConnectionSettings } from "./open-session.ts";
import { resolveTarget } from "./resolve-target.ts";

/** Everything the logging-in commands (fetch, list, check) settle before the network. */
export interface LoginPlan {
  readonly connection: ConnectionSettings;
  readonly credentials: Credentials;
  readonly account: Account;
  readonly statePath: string;
  /** The default state directory, or null with `--state` (see `tls-latch.ts`). */
  readonly stateDirectory: string | null;
}

/**
 * Resolves the target, the credentials (asking for the password before connecting, so the
 * server's login timer does not run while the user types) and the account's state file:
 * `--state FILE`, else `<state dir>/<user>@<host>_<port>.json`.
 */
export async function prepareLogin(options: CliOptions, context: CliContext): Promise<LoginPlan> {
  const target = resolveTarget(options);
  const credentials =
    target.auth === "oauthbearer" || target.auth === "xoauth2"
      ? await oauthCredentials(target.user, target.host, options, context)
      : await resolveCredentials({
          user: target.user,
          host: target.host,
          env: context.env,
          interactive: context.interactive,
          onWarning: (message) => context.warn(message),
        });
  const account = makeAccount({ user: credentials.user, host: target.host, port: target.port });
  const stateDirectory = options.state === undefined ? defaultStateDirectory(context.env) : null;
  return {
    connection: {
      target,
      caFile: options.ca,
      insecure: options.insecure,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      languages: languagePreferences({ lang: options.lang, env: context.env }),
      warn: (message) => context.warn(message),
    },
    credentials,
    account,
    statePath: options.state ?? join(stateDirectory as string, stateFileName(account)),
    stateDirectory,
  };
}

/** OAUTHBEARER and XOAUTH2: the user from `--user` or the URL, the bearer token as password. */
async function oauthCredentials(
  user: string | undefined,
  host: string,
  options: CliOptions,
  context: CliContext,
): Promise<Credentials> {
  if (user === undefined) {
    throw new CliError({
      exitCode: ExitCode.usage,
      message: `no user name: put it in the URL (pop3s://USER@${host}) or pass --user`,
    });
  }
  const token = await resolveOAuthToken({ env: context.env, command: options.oauthTokenCommand });
  return { user, password: token, source: "oauth-token" };
}
