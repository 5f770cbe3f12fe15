import { createHash } from "node:crypto";

/** Whom apop fetches for: the login name at one server. */
export interface Account {
  readonly user: string;
  readonly host: string;
  readonly port: number;
  /** `user@host:port`: the key of the state file (UIDs seen, TLS used). */
  readonly key: string;
  /**
   * 8 hex digits naming the mailbox (`user@host`, any port) in Maildir file names; see
   * `maildir-file-name.ts`.
   */
  readonly tag: string;
}

/** The account of `user` at `host:port`. The host is compared case-insensitively. */
export function makeAccount(options: { user: string; host: string; port: number }): Account {
  const host = options.host.toLowerCase();
  const { user, port } = options;
  return {
    user,
    host,
    port,
    key: `${user}@${host}:${port}`,
    tag: createHash("sha256").update(`${user}@${host}`, "utf8").digest("hex").slice(0, 8),
  };
}
