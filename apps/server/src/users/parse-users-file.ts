import type { Credential } from "@apop/core";
import { maildirUserPath } from "@apop/maildir";
import { parseStoredPassword } from "./password-scheme.ts";

/** One user of the users file. */
export interface UserEntry {
  readonly name: string;
  /** `PLAIN`, `CLEARTEXT`, `SSHA512` or `SHA512-CRYPT`. */
  readonly scheme: string;
  readonly credential: Credential;
  /** 1-based, for messages. */
  readonly line: number;
}

/**
 * Parses a users file in Dovecot's passwd-file format:
 * `name:{SCHEME}secret[:uid:gid:gecos:home:shell:extra]`, one user per line. Blank lines and
 * lines starting with `#` are skipped; the fields after the password are ignored (every
 * Maildir belongs to the one service account). The password field ends at the next `:`, as
 * in Dovecot, so a clear password cannot contain one.
 *
 * Every problem is collected, as `FILE:LINE: reason`: a missing password field, an unknown
 * scheme, a malformed hash, a duplicate name, or a name that cannot be a POP3 user or a
 * Maildir folder (empty, spaces, control characters, leading `.`, `/`, `\`, `:`).
 */
export function parseUsersFile(options: { text: string; file: string }): {
  users: Map<string, UserEntry>;
  problems: string[];
} {
  const users = new Map<string, UserEntry>();
  const problems: string[] = [];
  const lines = options.text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (const [index, text] of lines.entries()) {
    const line = index + 1;
    if (/^\s*(#|$)/.test(text)) continue;
    const problem = (reason: string): void => {
      problems.push(`${options.file}:${line}: ${reason}`);
    };
    const fields = text.split(":");
    const name = fields[0] as string;
    const nameProblem = checkUserName(name);
    if (nameProblem !== null) {
      problem(nameProblem);
      continue;
    }
    if (fields.length < 2) {
      problem(`user ${JSON.stringify(name)} has no password field`);
      continue;
    }
    const parsed = parseStoredPassword(fields[1] as string);
    if ("error" in parsed) {
      problem(parsed.error);
      continue;
    }
    const earlier = users.get(name);
    if (earlier !== undefined) {
      problem(`user ${JSON.stringify(name)} is already defined on line ${earlier.line}`);
      continue;
    }
    users.set(name, { name, scheme: parsed.scheme, credential: parsed.credential, line });
  }
  return { users, problems };
}

/**
 * Why `name` cannot be a user, or null. The rules are those of a POP3 argument (no spaces or
 * control characters, RFC 1939 section 3) and of `@apop/maildir`'s folder names.
 */
export function checkUserName(name: string): string | null {
  if (name === "") return "the user name is empty";
  if (/[\s\p{Cc}]/u.test(name)) {
    return `user name ${JSON.stringify(name)} contains a space or a control character`;
  }
  try {
    maildirUserPath({ root: "/", user: name });
  } catch (error) {
    return `user name ${JSON.stringify(name)} cannot be a Maildir folder: ${(error as Error).message}`;
  }
  return null;
}
