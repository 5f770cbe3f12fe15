/**
 * Dovecot's POP3 session lock, taken beside apop's own (`apop.lock`) so that neither server
 * serves a maildrop the other holds. Dovecot 2.3 takes `dovecot-pop3-session.lock` in the
 * mailbox's index directory (the Maildir itself for `maildir:~/Maildir`) when
 * `pop3_lock_session = yes`, as a dotlock: a file created with link(2), holding
 * `<pid>:<hostname>`, whose mtime its holder refreshes.
 *
 * Kept in its own file (not in `maildrop-lock.ts`): it is a second lock with Dovecot's rules.
 * Ours: we write `<pid>:<hostname>` so Dovecot sees a live local holder; we refresh the mtime
 * every `refreshMs`; we take over a lock whose holder is a dead process on this host, or that
 * nobody refreshed for `staleAfterMs`, and nothing else.
 */
import { randomUUID } from "node:crypto";
import { link, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { isProcessAlive } from "@apop/cli-kit";
import { StoreError } from "@apop/core";
import type { MaildropLock } from "./maildrop-lock.ts";
import { errnoCode } from "./to-store-error.ts";

/** Dovecot's file name, relative to the Maildir. */
export const DOVECOT_SESSION_LOCK = "dovecot-pop3-session.lock";

export interface DovecotSessionLock {
  release(): Promise<void>;
}

/**
 * Takes the dotlock at `file` (`<maildir>/dovecot-pop3-session.lock` unless configured).
 * Throws `StoreError` `in-use` when a live holder has it, the file-system error otherwise.
 */
export async function acquireDovecotSessionLock(options: {
  readonly file: string;
  readonly staleAfterMs: number;
  readonly refreshMs: number;
}): Promise<DovecotSessionLock> {
  const { file } = options;
  const me = `${process.pid}:${hostname()}`;
  for (let round = 0; round < 2; round++) {
    const temp = path.join(
      path.dirname(file),
      `.temp.${hostname()}.${process.pid}.${randomUUID()}`,
    );
    await writeFile(temp, me, { mode: 0o600 });
    try {
      await link(temp, file);
      const timer = setInterval(() => {
        const now = new Date();
        void utimes(file, now, now).catch(() => {});
      }, options.refreshMs);
      timer.unref();
      return {
        release: async () => {
          clearInterval(timer);
          // Only our own lock: one taken over meanwhile is left to its new holder.
          const held = await readFile(file, "utf8").catch(() => null);
          if (held === me) await rm(file, { force: true }).catch(() => {});
        },
      };
    } catch (error) {
      if (errnoCode(error) !== "EEXIST") throw error;
    } finally {
      await rm(temp, { force: true }).catch(() => {});
    }
    if (!(await isStale(file, me, options.staleAfterMs))) break;
    await rm(file, { force: true });
  }
  throw new StoreError({ code: "in-use", message: "the maildrop is in use by a Dovecot session" });
}

/**
 * A dead holder on this host, or no refresh for `staleAfterMs` (Dovecot's own two rules); or
 * this very process: another session of ours whose `apop.lock` we have just taken over (apop's
 * lock already keeps two live sessions of one process apart).
 */
async function isStale(file: string, me: string, staleAfterMs: number): Promise<boolean> {
  const [content, info] = await Promise.all([
    readFile(file, "utf8").catch(() => null),
    stat(file).catch(() => null),
  ]);
  if (content === null || info === null || content === me) return true;
  if (Date.now() - info.mtimeMs > staleAfterMs) return true;
  const [pid, host] = content.trim().split(":");
  return host === hostname() && /^\d+$/.test(pid ?? "") && !isProcessAlive(Number(pid));
}

/**
 * apop's maildrop lock and Dovecot's session lock as one `MaildropLock`: held while apop's is
 * (the one that guards deletes), released together.
 */
export function withDovecotSessionLock(
  lock: MaildropLock,
  dovecot: DovecotSessionLock,
): MaildropLock {
  return {
    file: lock.file,
    isHeld: () => lock.isHeld(),
    release: async () => {
      await dovecot.release();
      await lock.release();
    },
  };
}
