import { randomUUID } from "node:crypto";
import { renameSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { StoreError } from "@apop/core";
import { readMaildirFile } from "./read-maildir-file.ts";

/**
 * The file in a Maildir that keeps the time of its last POP3 login, for LOGIN-DELAY
 * (RFC 2449 section 6.5): one decimal number of milliseconds since the epoch. It lives with
 * the mail, so every apop-server process on the same storage, and the next one after a
 * restart, sees it. Like the lock, it is read and written only with the lock held.
 */
export const LAST_LOGIN_FILE = "apop-last-login";

/** Sixteen digits and a newline, with room to spare. */
const MAX_LAST_LOGIN_OCTETS = 64;

/** The recorded time, or null when there is none (or it is not a number: never trusted). */
export async function readLastLogin(options: { maildir: string }): Promise<number | null> {
  // Not followed if a link, not waited on if a FIFO, not read if larger than a time
  // (`readMaildirFile`, docs/security.md): something planted there fails the check.
  const found = readMaildirFile(path.join(options.maildir, LAST_LOGIN_FILE), {
    maxOctets: MAX_LAST_LOGIN_OCTETS,
  });
  if (found === undefined) return null;
  if (found.content === undefined) {
    throw new StoreError({
      code: "sys-perm",
      message: `${LAST_LOGIN_FILE} is not a regular file of at most ${MAX_LAST_LOGIN_OCTETS} octets`,
    });
  }
  const text = found.content.toString("utf8");
  const value = /^\d{1,16}\n?$/.test(text) ? Number(text.trim()) : Number.NaN;
  return Number.isSafeInteger(value) ? value : null;
}

/**
 * Writes `at` through a file in `tmp/` and a rename, so no reader ever sees half of it.
 * Synchronous, like every metadata call of the store (docs/performance.md), so that `tmp` may
 * be a folder pinned for just this call (`MaildirFolders.within`).
 */
export function writeLastLogin(options: { maildir: string; tmp: string; at: number }): void {
  const temporary = path.join(options.tmp, `${LAST_LOGIN_FILE}.${randomUUID()}`);
  writeFileSync(temporary, `${Math.trunc(options.at)}\n`, { mode: 0o600, flag: "wx" });
  try {
    renameSync(temporary, path.join(options.maildir, LAST_LOGIN_FILE));
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already gone
    }
    throw error;
  }
}
