import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** A system account, as `--user` names it. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Finds a system user by name (or numeric uid) in `/etc/passwd`, then through `id`, which
 * also sees NSS sources such as LDAP or systemd's dynamic users. Returns null when neither
 * knows the user.
 */
export function lookupSystemUser(name: string): SystemUser | null {
  return fromPasswdFile(name) ?? fromIdCommand(name);
}

function fromPasswdFile(name: string): SystemUser | null {
  let text: string;
  try {
    text = readFileSync("/etc/passwd", "utf8");
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === undefined || uid === undefined || gid === undefined) continue;
    if (user === name || (/^\d+$/.test(name) && uid === name)) {
      if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return null;
      return { name: user, uid: Number(uid), gid: Number(gid) };
    }
  }
  return null;
}

function fromIdCommand(name: string): SystemUser | null {
  // `id` reads option-looking names as options; a name never starts with "-".
  if (name.startsWith("-")) return null;
  try {
    const id = (flag: string): number => {
      const out = execFileSync("id", [flag, name], { stdio: ["ignore", "pipe", "ignore"] });
      const value = out.toString().trim();
      if (!/^\d+$/.test(value)) throw new Error(`unexpected id output: ${value}`);
      return Number(value);
    };
    const userName = execFileSync("id", ["-un", name], { stdio: ["ignore", "pipe", "ignore"] });
    return { name: userName.toString().trim(), uid: id("-u"), gid: id("-g") };
  } catch {
    return null;
  }
}
