import { mkdir, readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { CliError } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { acquireDotlock } from "../destinations/dotlock.ts";
import type { Account } from "./account.ts";
import { ACCOUNT_LOCK_REFRESH_MS, ACCOUNT_LOCK_STALE_MS } from "./account-lock.ts";
import { type RememberedMethod, StateFile } from "./state-file.ts";
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

/**
 * Records in the account's state file what a login taught, for the commands that do not save
 * state otherwise (`list`, `check`; `fetch` saves it with the UIDs): that it logged in over
 * TLS (the latch) and with which method (`auto` tries it first next time). Under the account
 * lock, on a fresh copy of the file; when a fetch holds the lock, that fetch saves the same
 * itself, so this gives way rather than waits.
 */
export async function recordLogin(options: {
  readonly statePath: string;
  readonly account: Account;
  readonly secure: boolean;
  readonly method: RememberedMethod;
}): Promise<void> {
  const { statePath, account } = options;
  await mkdir(dirname(statePath), { recursive: true, mode: 0o700 });
  let lock: Awaited<ReturnType<typeof acquireDotlock>>;
  try {
    lock = await acquireDotlock({
      path: `${statePath}.lock`,
      what: `recording the login for ${account.key}`,
      staleAfterMs: ACCOUNT_LOCK_STALE_MS,
      waitMs: 0,
      refreshMs: ACCOUNT_LOCK_REFRESH_MS,
    });
  } catch {
    return;
  }
  try {
    const state = await StateFile.load({ path: statePath, account });
    const tls = state.tlsUsed || options.secure;
    if (state.tlsUsed !== tls || state.loginMethod !== options.method) {
      state.tlsUsed = tls;
      state.loginMethod = options.method;
      await state.save();
    }
  } finally {
    await lock.release();
  }
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
