import type { Authenticator, Credential } from "@apop/core";
import type { UserEntry } from "./parse-users-file.ts";

/**
 * The users the server knows, as core's `Authenticator`. `replace` swaps the whole set at
 * once (SIGHUP): a login in progress sees either the old file or the new one, never half of
 * each, and open sessions are not touched (they authenticated already).
 */
export class UserDirectory implements Authenticator {
  #users: ReadonlyMap<string, UserEntry>;
  #clearSecrets: boolean | null = null;

  constructor(users: ReadonlyMap<string, UserEntry>) {
    this.#users = users;
  }

  lookup(user: string): Credential | null {
    return this.#users.get(user)?.credential ?? null;
  }

  /**
   * Whether any user has a clear secret: CAPA and the greeting offer CRAM-MD5 and the APOP
   * timestamp only then (core reads it per connection, so a reload takes effect at once).
   */
  get clearSecrets(): boolean {
    this.#clearSecrets ??= this.summary().clear > 0;
    return this.#clearSecrets;
  }

  replace(users: ReadonlyMap<string, UserEntry>): void {
    this.#users = users;
    this.#clearSecrets = null;
  }

  /** For logs: how many users, and how many have a clear secret (the ones APOP can serve). */
  summary(): { users: number; clear: number } {
    let clear = 0;
    for (const entry of this.#users.values()) if (entry.credential.kind === "clear") clear++;
    return { users: this.#users.size, clear };
  }
}
