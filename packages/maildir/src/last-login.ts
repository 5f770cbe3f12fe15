import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "./to-store-error.ts";

/**
 * The file in a Maildir that keeps the time of its last POP3 login, for LOGIN-DELAY
 * (RFC 2449 section 6.5): one decimal number of milliseconds since the epoch. It lives with
 * the mail, so every apop-server process on the same storage, and the next one after a
 * restart, sees it. Like the lock, it is read and written only with the lock held.
 */
export const LAST_LOGIN_FILE = "apop-last-login";

/** The recorded time, or null when there is none (or it is not a number: never trusted). */
export async function readLastLogin(options: { maildir: string }): Promise<number | null> {
  let text: string;
  try {
    // O_NOFOLLOW: a link planted in the Maildir is not followed (docs/security.md).
    text = await readFile(path.join(options.maildir, LAST_LOGIN_FILE), {
      encoding: "utf8",
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    });
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return null;
    throw error;
  }
  const value = /^\d{1,16}\n?$/.test(text) ? Number(text.trim()) : Number.NaN;
  return Number.isSafeInteger(value) ? value : null;
}

/** Writes `at` through a file in `tmp/` and a rename, so no reader ever sees half of it. */
export async function writeLastLogin(options: {
  maildir: string;
  tmp: string;
  at: number;
}): Promise<void> {
  const temporary = path.join(options.tmp, `${LAST_LOGIN_FILE}.${randomUUID()}`);
  await writeFile(temporary, `${Math.trunc(options.at)}\n`, { mode: 0o600, flag: "wx" });
  try {
    await rename(temporary, path.join(options.maildir, LAST_LOGIN_FILE));
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
