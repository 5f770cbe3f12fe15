import { homedir } from "node:os";
import { join } from "node:path";
import type { Account } from "./account.ts";

/**
 * The directory of the state files: `$XDG_STATE_HOME/apop`, else `~/.local/state/apop`
 * (the XDG Base Directory specification's place for state that outlives a run but is not
 * worth backing up).
 */
export function defaultStateDirectory(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_STATE_HOME;
  // The spec says a relative value is invalid and must be ignored.
  if (base?.startsWith("/")) return join(base, "apop");
  return join(env.HOME ?? homedir(), ".local", "state", "apop");
}

/**
 * The state file name of an account, `<user>@<host>_<port>.json`, %-encoding whatever a
 * file name should not hold (`/`, `:` of IPv6 addresses, `%`, spaces).
 */
export function stateFileName(account: Pick<Account, "user" | "host" | "port">): string {
  return `${stateFilePrefix(account)}${account.port}.json`;
}

/** The part of the state file name shared by every port of `user@host`. */
export function stateFilePrefix(account: Pick<Account, "user" | "host">): string {
  return `${encodeURIComponent(account.user)}@${encodeURIComponent(account.host)}_`;
}
