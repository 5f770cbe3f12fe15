import { readFile, stat } from "node:fs/promises";

/** What a `.netrc` says for one machine. */
export interface NetrcEntry {
  readonly login?: string;
  readonly password?: string;
}

/**
 * Finds the `.netrc` entry for `host` (ftp(1), curl and fetchmail read the same file):
 * the first `machine <host>` whose `login` is `user` (or that has no login), else the first
 * `machine <host>` when no user is known yet, else the `default` entry. Tokens are separated
 * by white space and may be double-quoted with backslash escapes (as curl and GNU inetutils
 * accept); `macdef` bodies (up to an empty line) are skipped. Host names compare
 * case-insensitively.
 *
 * A missing file is no entry. `onWarning` hears about a file readable by others while it
 * holds passwords (ftp(1) refuses such a file; apop warns and reads it).
 */
export async function findNetrcEntry(options: {
  readonly path: string;
  readonly host: string;
  readonly user: string | undefined;
  readonly onWarning: (message: string) => void;
}): Promise<NetrcEntry | null> {
  const { path, host, user, onWarning } = options;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    onWarning(`cannot read ${path}: ${(error as Error).message}`);
    return null;
  }
  const entries = parseNetrc(text);
  if (entries.some((entry) => entry.password !== undefined)) {
    const mode = (await stat(path)).mode;
    if ((mode & 0o077) !== 0)
      onWarning(`${path} holds passwords but others can read it (chmod 600 ${path})`);
  }
  const wanted = host.toLowerCase();
  const forHost = entries.filter((entry) => entry.machine?.toLowerCase() === wanted);
  const match =
    forHost.find(
      (entry) => user === undefined || entry.login === undefined || entry.login === user,
    ) ??
    entries.find(
      (entry) =>
        entry.machine === undefined &&
        (user === undefined || entry.login === undefined || entry.login === user),
    );
  if (match === undefined) return null;
  return {
    ...(match.login === undefined ? {} : { login: match.login }),
    ...(match.password === undefined ? {} : { password: match.password }),
  };
}

interface ParsedEntry {
  /** Undefined for `default`. */
  machine?: string;
  login?: string;
  password?: string;
}

function parseNetrc(text: string): ParsedEntry[] {
  const entries: ParsedEntry[] = [];
  const tokens = tokenize(text);
  let current: ParsedEntry | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const keyword = tokens[i];
    if (keyword === "default") {
      current = {};
      entries.push(current);
      continue;
    }
    if (
      keyword !== "machine" &&
      keyword !== "login" &&
      keyword !== "password" &&
      keyword !== "account"
    ) {
      continue;
    }
    const value = tokens[++i];
    if (value === undefined) break;
    if (keyword === "machine") {
      current = { machine: value };
      entries.push(current);
    } else if (current !== null && keyword !== "account") {
      current[keyword] = value;
    }
  }
  return entries;
}

/** Splits a .netrc into tokens, leaving out comments and `macdef` macros. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      // A comment runs to the end of the line (GNU inetutils, curl).
      while (i < text.length && text[i] !== "\n") i++;
      continue;
    }
    let value = "";
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        value += text[i];
      }
      i++;
    } else {
      while (i < text.length && !/\s/.test(text[i] as string)) value += text[i++];
      if (value === "macdef") {
        // `macdef name`, then the macro body up to the first empty line: not credentials.
        const end = text.indexOf("\n\n", i);
        i = end === -1 ? text.length : end + 2;
        continue;
      }
    }
    tokens.push(value);
  }
  return tokens;
}
