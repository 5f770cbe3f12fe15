import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { CliError } from "../cli/cli-error.ts";
import { ExitCode } from "../cli/exit-code.ts";
import type { Account } from "./account.ts";
import type { StateFile } from "./state-file.ts";
import { stateFileName, stateFilePrefix } from "./state-path.ts";

/**
 * RFC 8314 section 5.2: once an account has been used with TLS, the client must not fall
 * back to clear text later, or a network attacker who strips TLS gets the password or the
 * mail. apop records `tls: true` in the account's state file after a fetch over TLS, and
 * refuses a later run with `--tls none` unless `--allow-insecure-downgrade`.
 *
 * The account is `user@host:port`, but going without TLS usually means another port (995 to
 * 110), so in the default state directory the state files of the same `user@host` on other
 * ports count too. Throws `CliError` exit 3.
 */
export async function checkTlsLatch(options: {
  readonly state: StateFile | null;
  readonly stateDirectory: string | null;
  readonly account: Account;
  readonly withTls: boolean;
  readonly allowDowngrade: boolean;
  /** Hears that a downgrade goes ahead because `--allow-insecure-downgrade` allowed it. */
  readonly warn: (message: string) => void;
}): Promise<void> {
  const { state, stateDirectory, account, withTls, allowDowngrade } = options;
  if (withTls) return;
  let usedTls = state?.tlsUsed === true;
  if (!usedTls && stateDirectory !== null) usedTls = await siblingUsedTls(stateDirectory, account);
  if (!usedTls) return;
  const who = `${account.user}@${account.host}`;
  if (allowDowngrade) {
    options.warn(
      `going without TLS to ${who}, which has used TLS before (--allow-insecure-downgrade)`,
    );
    return;
  }
  throw new CliError({
    exitCode: ExitCode.connection,
    message: `${who} has been fetched over TLS before; refusing to connect without TLS (RFC 8314 section 5.2). Use --allow-insecure-downgrade if this is really wanted`,
  });
}

async function siblingUsedTls(directory: string, account: Account): Promise<boolean> {
  const prefix = stateFilePrefix(account);
  const own = stateFileName(account);
  const names = await readdir(directory).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".json") || name === own) continue;
    try {
      const parsed = JSON.parse(await readFile(join(directory, name), "utf8")) as { tls?: unknown };
      if (parsed.tls === true) return true;
    } catch {
      // Unreadable or damaged: the run that owns it will say so.
    }
  }
  return false;
}
