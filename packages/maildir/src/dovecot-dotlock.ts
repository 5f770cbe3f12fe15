/**
 * A dotlock as Dovecot 2.3 takes one (src/lib/file-dotlock.c): a file holding
 * `<pid>:<hostname>`, whose mtime its holder refreshes. Dovecot takes over such a lock when
 * its holder is a dead process on this host, or, when the file names no process of this
 * host, when nobody refreshed it for the lock's stale time; so do we, and nothing else
 * (`isStale`).
 *
 * It is created the way Dovecot creates it by default: exclusively, `open` with `O_EXCL`,
 * then the content written (`create-lock-file.ts`). Dovecot's `dotlock_use_excl` setting
 * defaults to `yes` (`doveconf -d`); src/pop3/pop3-client.c passes it on for the POP3
 * session lock (`use_excl_lock`), as the storage code does for its other dotlocks. With it
 * off, Dovecot links a temporary file to the name; both ways fail when the name exists, so
 * each excludes the other. A reader that comes between our `open` and `write` finds an empty
 * file, which names no holder: Dovecot and `isStale` keep off it until its mtime is stale,
 * which is also how a lock ends whose holder crashed in that instant. `O_EXCL` needs a local
 * file system or NFS version 3 or later, as Dovecot's default does.
 *
 * Two locks of Dovecot use it here: the POP3 session lock (`dovecot-session-lock.ts`) and
 * `dovecot-uidlist.lock` (`append-dovecot-uidlist.ts`).
 */
import { closeSync, lutimesSync, openSync, readSync } from "node:fs";
import { isProcessAlive } from "@apop/cli-kit";
import { StoreError } from "@apop/core";
import { createLockFile } from "./create-lock-file.ts";
import { LockRefresher, type RefreshedLock } from "./lock-refresher.ts";
import { currentProcessIdentity } from "./process-identity.ts";
import {
  describeMaildirFile,
  type MaildirFile,
  OWNER_FILE_READ_FLAGS,
  readMaildirFile,
} from "./read-maildir-file.ts";
import { removeFile } from "./remove-file.ts";

/** A dotlock is `<pid>:<host>`; a larger file under its name is not read (`readMaildirFile`). */
const MAX_DOTLOCK_OCTETS = 4096;

/** A dotlock we hold. */
export interface DovecotDotlock {
  release(): Promise<void>;
}

/**
 * Takes the dotlock `file` once. Throws `StoreError` `in-use` (with `busy` as its message)
 * when a live holder has it, the file-system error otherwise. Its mtime is refreshed every
 * `refreshMs` by the process's one `LockRefresher`, as apop's own lock is. The file calls are
 * synchronous, like every metadata call of the store (docs/performance.md).
 */
export async function acquireDovecotDotlock(options: {
  readonly file: string;
  readonly staleAfterMs: number;
  readonly refreshMs: number;
  /** The message of the `in-use` error. */
  readonly busy: string;
  /** A holder (`pid:host`) known to be stale whatever Dovecot's rules say (see `isStale`). */
  readonly staleHolder?: string | undefined;
}): Promise<DovecotDotlock> {
  const { file } = options;
  const { pid, host } = currentProcessIdentity();
  const me = `${pid}:${host}`;
  for (let round = 0; round < 2; round++) {
    if (createLockFile({ file, content: me, inspect: created }) === true) {
      return new HeldDotlock(file, me, options.refreshMs);
    }
    if (
      !isStale({
        file,
        me,
        host,
        staleAfterMs: options.staleAfterMs,
        staleHolder: options.staleHolder,
      })
    )
      break;
    removeFile(file);
  }
  throw new StoreError({ code: "in-use", message: options.busy });
}

/** `createLockFile`'s `inspect`: nothing to learn from the descriptor. */
function created(): true {
  return true;
}

class HeldDotlock implements DovecotDotlock, RefreshedLock {
  readonly #file: string;
  readonly #me: string;
  readonly #refreshMs: number;
  #released = false;

  constructor(file: string, me: string, refreshMs: number) {
    this.#file = file;
    this.#me = me;
    this.#refreshMs = refreshMs;
    LockRefresher.add(this, refreshMs);
  }

  async refresh(now: Date): Promise<boolean> {
    if (this.#released) return false;
    try {
      // Only while the file still holds this lock: whatever was put in its place (a hard link
      // to another file keeps that file's content) is left alone. `lutimes`: a link swapped in
      // between is touched itself, never its target.
      if (holds(this.#file, this.#me)) lutimesSync(this.#file, now, now);
    } catch {
      // next tick
    }
    return !this.#released;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    LockRefresher.remove(this, this.#refreshMs);
    // Only our own lock: one taken over meanwhile is left to its new holder.
    try {
      if (holds(this.#file, this.#me)) removeFile(this.#file);
    } catch {
      // gone, or unreadable: nothing of ours to remove
    }
  }
}

/**
 * Whether `file` holds exactly `content` (as UTF-8): one read of one octet more than that,
 * where `readFileSync` would `fstat` and read until end of file.
 */
function holds(file: string, content: string): boolean {
  const expected = Buffer.from(content, "utf8");
  // Not followed if a link, not waited on if a FIFO (`OWNER_FILE_READ_FLAGS`): neither is ours, and
  // reading a FIFO without a writer answers end of file at once.
  const fd = openSync(file, OWNER_FILE_READ_FLAGS);
  try {
    const buffer = Buffer.allocUnsafe(expected.length + 1);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return length === expected.length && expected.equals(buffer.subarray(0, length));
  } finally {
    closeSync(fd);
  }
}

/**
 * Dovecot's own rules (file-dotlock.c, `check_lock`): a holder named as a process on this
 * host is stale exactly when that process is gone, however old the file (Dovecot refreshes
 * its POP3 session lock only every 5 minutes); any other holder (another host, or a file we
 * cannot read) when nobody refreshed it for `staleAfterMs`. Also stale: a lock that vanished,
 * and one naming this very process: another session of ours whose `apop.lock` we have just
 * taken over (apop's lock already keeps two live sessions of one process apart), or naming
 * `staleHolder`: the apop process whose `apop.lock` we have just taken over as stale (a
 * frozen holder is alive, but `lockStaleSeconds` has judged it).
 */
function isStale(options: {
  file: string;
  me: string;
  host: string;
  staleAfterMs: number;
  staleHolder: string | undefined;
}): boolean {
  const { file, me, host, staleAfterMs, staleHolder } = options;
  let found: MaildirFile | undefined;
  try {
    // Anything but a regular file of a lock's size reads as a lock we cannot read: judged by
    // its mtime (`readMaildirFile`).
    found = readMaildirFile(file, { maxOctets: MAX_DOTLOCK_OCTETS });
  } catch {
    // Unreadable (EACCES, EIO): judged by its mtime too; stale when even that is gone.
    try {
      found = describeMaildirFile(file);
    } catch {
      found = undefined;
    }
  }
  if (found === undefined) return true;
  const content = found.content === undefined ? "" : found.content.toString("utf8");
  if (content === me) return true;
  if (staleHolder !== undefined && content.trim() === staleHolder) return true;
  const [holderPid, holderHost] = content.trim().split(":");
  if (holderHost === host && /^\d+$/.test(holderPid ?? ""))
    return !isProcessAlive(Number(holderPid));
  return Date.now() - found.mtimeMs > staleAfterMs;
}
