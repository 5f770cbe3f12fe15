/**
 * A dotlock as Dovecot 2.3 takes one (src/lib/file-dotlock.c): a file created with link(2)
 * from a temporary one, holding `<pid>:<hostname>`, whose mtime its holder refreshes. Dovecot
 * takes over such a lock when its holder is a dead process on this host, or, when the file
 * names no process of this host, when nobody refreshed it for the lock's stale time; so do
 * we, and nothing else (`isStale`).
 *
 * Two locks of Dovecot use it here: the POP3 session lock (`dovecot-session-lock.ts`) and
 * `dovecot-uidlist.lock` (`append-dovecot-uidlist.ts`).
 */
import { randomUUID } from "node:crypto";
import { link, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { isProcessAlive } from "@apop/cli-kit";
import { StoreError } from "@apop/core";
import { errnoCode } from "./to-store-error.ts";

/** A dotlock we hold. */
export interface DovecotDotlock {
  release(): Promise<void>;
}

/**
 * Takes the dotlock `file` once. Throws `StoreError` `in-use` (with `busy` as its message)
 * when a live holder has it, the file-system error otherwise.
 */
export async function acquireDovecotDotlock(options: {
  readonly file: string;
  readonly staleAfterMs: number;
  readonly refreshMs: number;
  /** The message of the `in-use` error. */
  readonly busy: string;
}): Promise<DovecotDotlock> {
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
  throw new StoreError({ code: "in-use", message: options.busy });
}

/**
 * Dovecot's own rules (file-dotlock.c, `check_lock`): a holder named as a process on this
 * host is stale exactly when that process is gone, however old the file (Dovecot refreshes
 * its POP3 session lock only every 5 minutes); any other holder (another host, or a file we
 * cannot read) when nobody refreshed it for `staleAfterMs`. Also stale: a lock that vanished,
 * and one naming this very process: another session of ours whose `apop.lock` we have just
 * taken over (apop's lock already keeps two live sessions of one process apart).
 */
async function isStale(file: string, me: string, staleAfterMs: number): Promise<boolean> {
  const [content, info] = await Promise.all([
    readFile(file, "utf8").catch((error: unknown) => (errnoCode(error) === "ENOENT" ? null : "")),
    stat(file).catch(() => null),
  ]);
  if (content === null || info === null || content === me) return true;
  const [pid, host] = content.trim().split(":");
  if (host === hostname() && /^\d+$/.test(pid ?? "")) return !isProcessAlive(Number(pid));
  return Date.now() - info.mtimeMs > staleAfterMs;
}
