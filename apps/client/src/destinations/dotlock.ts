import { closeSync, fstatSync, openSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { CliError, isProcessAlive } from "@apop/cli-kit";
import { ExitCode } from "../cli/exit-code.ts";
import { fsyncFd } from "./fsync-fd.ts";
import { writeAllSync } from "./write-all.ts";
import { localWriteError } from "./local-write-error.ts";

/** A held dot-lock file. */
export interface Dotlock {
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes a dot-lock: the file `path` (by convention `<file>.lock`) created with O_CREAT|O_EXCL,
 * which procmail, mutt, Dovecot and liblockfile-based programs all honour, holding
 * `<pid> <hostname>\n` (liblockfile reads the leading pid; the host name tells whether the pid
 * can be checked here).
 *
 * A lock found in place is stale, and removed, when it names this host and a process that no
 * longer exists (or our own pid: a previous run in a container that reuses pids), or when it
 * has not been touched for `staleAfterMs` (liblockfile's rule, 5 minutes there). While held,
 * the lock's mtime is refreshed every `refreshMs` so a long holder is never judged stale.
 *
 * Waits up to `waitMs` for a live holder, then throws `CliError` exit 5 ("try later"). A lock
 * that cannot be created (permissions, a missing directory) is exit 7.
 *
 * Limits: between judging a lock stale and removing it, another taker may have done the same
 * and taken a fresh lock; the inode and mtime are checked again just before the unlink,
 * which narrows that window to the two syscalls, as liblockfile does.
 */
export async function acquireDotlock(options: {
  readonly path: string;
  /** Said in messages: "the mbox ~/mbox", "the account alice@host:995". */
  readonly what: string;
  readonly staleAfterMs: number;
  readonly waitMs: number;
  readonly refreshMs?: number;
}): Promise<Dotlock> {
  const { path, what, staleAfterMs, waitMs } = options;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const created = await tryCreate(path);
    if (created !== null) return held(path, created, options.refreshMs);
    const holder = inspect(path, staleAfterMs);
    if (holder === null) continue; // vanished meanwhile: try again at once
    if (holder.stale) {
      removeIfUnchanged(path, holder);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new CliError({
        exitCode: ExitCode.unavailable,
        message: `${what} is locked by ${holder.description} (${path}); try again later`,
      });
    }
    await sleep(250);
  }
}

/**
 * Creates the lock file; its inode, or null when it exists. Only the fsync goes through the
 * thread pool: the other calls take microseconds (docs/performance.md).
 */
async function tryCreate(path: string): Promise<number | null> {
  try {
    const fd = openSync(path, "wx", 0o644);
    try {
      const content = Buffer.from(`${process.pid} ${hostname()}\n`, "latin1");
      writeAllSync(fd, content);
      await fsyncFd(fd);
      return fstatSync(fd).ino;
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return null;
    throw localWriteError({ what: "create the lock file", path, error });
  }
}

interface Holder {
  readonly stale: boolean;
  readonly description: string;
  readonly ino: number;
  readonly mtimeMs: number;
}

function inspect(path: string, staleAfterMs: number): Holder | null {
  try {
    const stats = statSync(path);
    let content = "";
    try {
      content = readFileSync(path, "latin1");
    } catch {}
    const match = /^\s*(\d+)(?:[ \t]+(\S+))?/.exec(content);
    const pid = match === null ? undefined : Number(match[1]);
    const host = match?.[2];
    const here = host !== undefined && host === hostname();
    const deadHere = here && pid !== undefined && (pid === process.pid || !isProcessAlive(pid));
    const old = Date.now() - stats.mtimeMs > staleAfterMs;
    const description =
      pid === undefined
        ? "another program"
        : `process ${pid}${host === undefined ? "" : ` on ${host}`}`;
    return { stale: deadHere || old, description, ino: stats.ino, mtimeMs: stats.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw localWriteError({ what: "read the lock file", path, error });
  }
}

function removeIfUnchanged(path: string, holder: Holder): void {
  try {
    const now = statSync(path);
    if (now.ino === holder.ino && now.mtimeMs === holder.mtimeMs) unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw localWriteError({ what: "remove the stale lock file", path, error });
    }
  }
}

function held(path: string, ino: number, refreshMs: number | undefined): Dotlock {
  const timer =
    refreshMs === undefined
      ? undefined
      : setInterval(() => {
          const now = new Date();
          utimes(path, now, now).catch(() => {});
        }, refreshMs);
  timer?.unref();
  let released = false;
  return {
    async release(): Promise<void> {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        // Only our own file: a lock taken over as stale belongs to its new holder.
        if (statSync(path).ino === ino) unlinkSync(path);
      } catch {
        // Already gone.
      }
    },
  };
}
