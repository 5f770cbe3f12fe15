import path from "node:path";
import { StoreError } from "@apop/core";
import { childPath } from "./child-path.ts";

/** The longest user name accepted, in UTF-8 octets: one file-name component (NAME_MAX). */
export const MAX_USER_NAME_OCTETS = 255;

/**
 * The Maildir of `user` under `root`: `<root>/<user>`. The user name becomes exactly one path
 * component, so anything that could leave `root` or address something else is refused with
 * `StoreError` `sys-perm` before any path is built:
 * - the empty name, and names over 255 UTF-8 octets;
 * - a leading `.` (covers `.` and `..`, and Maildir++ folders, which are `.name`);
 * - `/` and `\` (separators on POSIX and Windows), `:` (drive letters and streams on Windows);
 * - NUL and other control characters (C0, DEL, C1).
 *
 * `root` is resolved to an absolute path. Symbolic links inside `root` are followed: an
 * administrator may link a user's Maildir elsewhere on purpose.
 */
export function maildirUserPath(options: { root: string; user: string }): string {
  const { user } = options;
  const reason = invalidUserReason(user);
  if (reason !== undefined) {
    throw new StoreError({ code: "sys-perm", message: `invalid user name: ${reason}` });
  }
  // `childPath`: a resolved root and a name checked above to be one component, not `.`/`..`.
  return childPath(path.resolve(options.root), user);
}

function invalidUserReason(user: string): string | undefined {
  if (user.length === 0) return "empty";
  if (Buffer.byteLength(user, "utf8") > MAX_USER_NAME_OCTETS) return "too long";
  if (user.startsWith(".")) return "starts with a dot";
  for (const char of user) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return "contains a control character";
    if (char === "/" || char === "\\" || char === ":") return `contains ${JSON.stringify(char)}`;
  }
  return undefined;
}
