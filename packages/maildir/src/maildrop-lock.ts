/**
 * The maildrop lock: while one session holds a Maildir, a second `open` of it, from this
 * process or any other process on the same Maildir, fails at once with `StoreError` `in-use`
 * (RFC 1939 section 4: the exclusive-access lock; RFC 2449 section 8.2: [IN-USE]).
 *
 * The lock is the file `<maildir>/apop.lock`, holding JSON
 * `{ host, machine, pid, processStart, created, token }` (see `ProcessIdentity`; `token` is
 * random per lock, so two locks never have the same content).
 *
 * Taking it. `apop.lock` is created exclusively (`open` with `O_CREAT | O_EXCL`), which fails
 * if the name exists, so exactly one creator gets it; the JSON is written just after
 * (`create-lock-file.ts`). A reader that comes in between finds an empty file, which it cannot
 * parse: `in-use` (rule 5). A holder that crashes in that instant leaves an empty lock that
 * turns stale by its mtime (rule 1), as any lock of a crashed holder does. `O_EXCL` is atomic
 * on local file systems and NFS version 3 or later; Maildirs shared over NFS version 2 are not
 * supported.
 *
 * While held, the lock file's mtime is refreshed every `refreshMs` (default 30 s), by one timer
 * for all the locks of the process that does not keep the process alive. A held lock keeps no
 * file descriptor open: it is known by the device and inode its creation gave it, so 10,000
 * idle sessions cost 10,000 sockets and nothing more.
 *
 * When `apop.lock` exists, the first rule that applies decides:
 * 1. Its mtime is older than `staleAfterMs` (default 120 s): its holder stopped refreshing
 *    (crashed, frozen or lost) -> stale, taken over. This is the rule that always ends a dead
 *    lock, whatever its pid says.
 * 2. It is this process (same machine, pid and processStart) -> `in-use`: another session
 *    here holds it.
 * 3. Same machine and pid, another processStart: an earlier life of this pid (a restarted
 *    container is pid 1 again) -> dead, taken over at once.
 * 4. Same machine, other pid, and the kernel says there is no such process (ESRCH), or, on
 *    Linux, that pid now belongs to a process started at another time (a reused pid) -> dead,
 *    taken over at once.
 * 5. Anything else, including a lock that cannot be parsed or one from another machine ->
 *    `in-use`. "Same machine" is the boot id plus pid namespace on Linux, the host name
 *    elsewhere, so a pid is never trusted across containers. Clocks of hosts sharing a
 *    Maildir over the network must agree (NTP) to well under `staleAfterMs`.
 *
 * Taking over a stale or dead lock, when several processes may race for it: a taker first
 * creates `apop.lock.break` the same atomic way (a busy break file means `in-use`, unless it
 * is itself dead by the rules above). Holding it, the taker checks that `apop.lock` is still
 * the very lock it judged (same inode, same content, which holds the random token), renames
 * it to `tmp/apop.lock.stale.<random>`, checks again what it moved, deletes it, drops the
 * break file and creates its own lock as above. Since only the break-file holder removes a
 * lock and exclusive creation only creates one where there is none, exactly one racer wins;
 * the others see the new lock and answer `in-use`. The one gap left: a holder judged stale that wakes up
 * and releases just as a third process creates a new lock; then the taker may move that new
 * lock, links it back at once, and in the worst case its holder finds out, see `isHeld`.
 *
 * Every file call here is synchronous, as all the store's metadata calls
 * (docs/performance.md): a login takes and a logout releases the lock in microseconds, with
 * no thread-pool round trip per call.
 *
 * `isHeld()` opens `apop.lock` and compares its device and inode (one `fstat`) and its content
 * (one read of the known length plus one octet: the length and the random token at its end)
 * with the ones recorded at creation: with no descriptor open, a freed inode may be reused by
 * the next lock, so the inode alone proves nothing. The Maildir store
 * checks it before deleting anything in `commit`, so a session whose stale lock was taken
 * over never deletes. `release()` stops the timer and removes the file only if it is still
 * this lock; it never throws (a lock file left behind turns stale by rule 1).
 */
import { randomUUID } from "node:crypto";
import {
  closeSync,
  fstatSync,
  linkSync,
  lutimesSync,
  openSync,
  readSync,
  renameSync,
} from "node:fs";
import path from "node:path";
import { isProcessAlive } from "@apop/cli-kit";
import { StoreError } from "@apop/core";
import { childPath } from "./child-path.ts";
import { createLockFile } from "./create-lock-file.ts";
import { LockRefresher, type RefreshedLock } from "./lock-refresher.ts";
import {
  currentProcessIdentity,
  linuxProcessStart,
  type ProcessIdentity,
  sameProcessStart,
} from "./process-identity.ts";
import { OWNER_FILE_READ_FLAGS, readMaildirFile } from "./read-maildir-file.ts";
import { removeFile } from "./remove-file.ts";
import { errnoCode } from "./to-store-error.ts";

/** The lock file inside the Maildir. */
export const LOCK_FILE = "apop.lock";

/** A lock is some 230 octets; a larger file under its name is not read (`readMaildirFile`). */
const MAX_LOCK_OCTETS = 4096;
/** Default: a lock not refreshed for this long is stale. */
export const DEFAULT_STALE_AFTER_MS = 120_000;
/** Default: how often a held lock's mtime is refreshed. */
export const DEFAULT_REFRESH_MS = 30_000;

/**
 * The lock timings. `staleAfterMs` must be at least twice `refreshMs`. Given `staleAfterMs`
 * alone, `refreshMs` is the default or a quarter of it, whichever is less.
 */
export interface MaildropLockTimings {
  /**
   * How long a lock not refreshed keeps its maildrop, in ms: a holder that froze (stopped, a
   * zombie, a hung NFS client) blocks its user this long. Default 120 s. Lower it to unblock
   * sooner; keep it well above the longest pause a live server can have.
   */
  readonly staleAfterMs?: number;
  readonly refreshMs?: number;
}

/** A held maildrop lock. */
export interface MaildropLock {
  /** The lock file. */
  readonly file: string;
  /** True while `apop.lock` is still this lock (not released, not taken over). */
  isHeld(): Promise<boolean>;
  /** Stops refreshing and removes the lock file if it is still this lock. Never throws. */
  release(): Promise<void>;
  /**
   * The process on this machine whose stale lock this one replaced (`pid:host`, as Dovecot's
   * dotlocks name a holder), if any: its other locks of this maildrop are stale too.
   */
  readonly tookOverFrom?: string | undefined;
}

/**
 * Checks and fills in lock timings. Throws `RangeError` unless both are positive and
 * `staleAfterMs >= 2 * refreshMs` (a live holder must refresh well before it looks stale).
 */
export function lockTimings(timings: MaildropLockTimings = {}): Required<MaildropLockTimings> {
  const staleAfterMs = timings.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const refreshMs = timings.refreshMs ?? Math.min(DEFAULT_REFRESH_MS, Math.floor(staleAfterMs / 4));
  if (!(refreshMs > 0 && Number.isFinite(staleAfterMs) && staleAfterMs >= 2 * refreshMs)) {
    throw new RangeError(
      `lock timings need 0 < refreshMs and staleAfterMs >= 2 * refreshMs, got ${refreshMs} and ${staleAfterMs}`,
    );
  }
  return { staleAfterMs, refreshMs };
}

/**
 * Takes the maildrop lock of one Maildir (rules in this file's opening comment). The Maildir
 * must have a `tmp/` directory. Throws `StoreError` `in-use` when another session holds it,
 * and the file-system error as it is for anything else.
 */
export async function acquireMaildropLock(
  options: {
    readonly maildir: string;
    /** The Maildir's `tmp/` (default `<maildir>/tmp`), e.g. a pinned one (`MaildirFolders`). */
    readonly tmp?: string;
    /**
     * The Maildir by the path the held lock is later checked, refreshed and released through
     * (default `maildir`). When `maildir` is reached through a descriptor that is closed after
     * login (`/proc/self/fd/N`), this must be its real path: the descriptor number may belong
     * to another session's folder by then. Absolute and normalized (a real path).
     */
    readonly heldMaildir?: string;
  } & MaildropLockTimings,
): Promise<MaildropLock> {
  const { staleAfterMs, refreshMs } = lockTimings(options);
  const file = childPath(options.maildir, LOCK_FILE);
  const tmp = options.tmp ?? childPath(options.maildir, "tmp");
  const me = currentProcessIdentity();
  const token = randomUUID();
  // `token` last: the held lock checks the content by its length and this end (`HeldLock`).
  // What `JSON.stringify` of the whole would give: the ISO time and the UUID need no escapes.
  const holder = holderJson(me);
  const content = `${holder.text},"created":"${new Date().toISOString()}","token":"${token}"}`;
  const context: Context = { file, tmp, me, content, staleAfterMs };
  let tookOverFrom: string | undefined;
  // Rounds: create; clear a dead break file; break the stale lock; create. Losing a race
  // after that means someone else holds a live lock.
  for (let round = 0; round < 4; round++) {
    const created = createLockFile({ file, content, inspect: fileIdentity });
    if (created !== undefined) {
      const held =
        options.heldMaildir === undefined ? file : childPath(options.heldMaildir, LOCK_FILE);
      return new HeldLock({
        file: held,
        identity: created,
        token,
        length: Buffer.byteLength(content, "utf8"),
        refreshMs,
        tookOverFrom,
      });
    }
    const found = inspectLockNow(file);
    if (found === undefined) continue;
    if (judge(found, me, staleAfterMs) === "in-use") break;
    if (breakStaleLock(context, found) === "in-use") break;
    const owner = parseOwner(found.content);
    if (owner !== undefined && owner.machine === me.machine && owner.host !== undefined) {
      tookOverFrom = `${owner.pid}:${owner.host}`;
    }
  }
  throw new StoreError({ code: "in-use", message: "the maildrop is in use by another session" });
}

let holderCache: { readonly me: ProcessIdentity; readonly text: string } | undefined;

/**
 * `{"host":…,"machine":…,"pid":…,"processStart":…` (no closing brace) for `me`: the same for
 * every lock of the process, so built once, not per login.
 */
function holderJson(me: ProcessIdentity): { text: string } {
  if (holderCache?.me !== me) {
    const { host, machine, pid, processStart } = me;
    holderCache = { me, text: JSON.stringify({ host, machine, pid, processStart }).slice(0, -1) };
  }
  return holderCache;
}

interface Context {
  readonly file: string;
  readonly tmp: string;
  readonly me: ProcessIdentity;
  readonly content: string;
  readonly staleAfterMs: number;
}

/**
 * Removes the stale lock `found`, holding the break file `apop.lock.break` meanwhile so that
 * only one process at a time may remove a lock. Answers "retry" when the lock is gone (now
 * create one) or a dead break file was cleared, "in-use" when someone else is breaking it or
 * the lock is no longer the one judged stale.
 */
function breakStaleLock(context: Context, found: FoundLock): "retry" | "in-use" {
  const { file, tmp, me, content, staleAfterMs } = context;
  const breakFile = `${file}.break`;
  const mine = createLockFile({ file: breakFile, content, inspect: fileIdentity });
  if (mine === undefined) {
    // Another taker holds it: in-use, unless it died in those few milliseconds.
    const other = inspectLockNow(breakFile);
    if (other === undefined) return "retry";
    if (judge(other, me, staleAfterMs) === "in-use") return "in-use";
    return removeIfSameNow({ file: breakFile, tmp, found: other }) ? "retry" : "in-use";
  }
  try {
    // Under the break file nobody else removes or replaces a lock; a new one can only appear
    // where there is none. So the lock is still `found`, or gone, or a new live one.
    const now = inspectLockNow(file);
    if (now === undefined) return "retry";
    if (!sameLock(now, found)) return "in-use";
    return removeIfSameNow({ file, tmp, found }) ? "retry" : "in-use";
  } finally {
    let still: FoundLock | undefined;
    try {
      still = inspectLockNow(breakFile);
    } catch {
      still = undefined;
    }
    if (still?.ino === mine.ino && still.dev === mine.dev && still.content === content) {
      removeFile(breakFile);
    }
  }
}

/** A lock file as read through one descriptor. */
export interface FoundLock {
  readonly content: string;
  readonly ino: number;
  readonly dev: number;
  readonly mtimeMs: number;
}

/** Where a lock file is, known without a descriptor. */
interface FileIdentity {
  readonly ino: number;
  readonly dev: number;
}

/** The device and inode of an open file (`createLockFile`'s `inspect`). */
function fileIdentity(fd: number): FileIdentity {
  const { ino, dev } = fstatSync(fd);
  return { ino, dev };
}

/**
 * Reads a lock file through one descriptor (content and inode agree), or `undefined` when
 * there is none. Exported for tests, like `removeIfSame`.
 */
export async function inspectLock(file: string): Promise<FoundLock | undefined> {
  return inspectLockNow(file);
}

function inspectLockNow(file: string): FoundLock | undefined {
  // One read of the size `fstat` gave, not `readFileSync`'s reads until end of file: a lock
  // still being written reads as unparsable either way: in-use (rule 5). So does anything
  // that is not a regular file of a lock's size (`readMaildirFile`): it turns stale by its
  // mtime (rule 1) like any other.
  const found = readMaildirFile(file, { maxOctets: MAX_LOCK_OCTETS });
  if (found === undefined) return undefined;
  const { content, ino, dev, mtimeMs } = found;
  return { content: content === undefined ? "" : content.toString("utf8"), ino, dev, mtimeMs };
}

/** Applies rules 1-5 of the opening comment. */
function judge(found: FoundLock, me: ProcessIdentity, staleAfterMs: number): "stale" | "in-use" {
  if (Date.now() - found.mtimeMs > staleAfterMs) return "stale";
  const owner = parseOwner(found.content);
  if (owner === undefined || me.machine === undefined || owner.machine !== me.machine) {
    return "in-use";
  }
  if (owner.pid === me.pid) {
    return sameProcessStart(owner.processStart, me.processStart) ? "in-use" : "stale";
  }
  if (!isProcessAlive(owner.pid)) return "stale";
  const start = linuxProcessStart(owner.pid);
  if (
    start !== undefined &&
    owner.processStart.startsWith("linux:") &&
    start !== owner.processStart
  ) {
    return "stale";
  }
  return "in-use";
}

function parseOwner(
  content: string,
): { machine: string; pid: number; processStart: string; host?: string } | undefined {
  try {
    const value: unknown = JSON.parse(content);
    if (typeof value !== "object" || value === null) return undefined;
    const { machine, pid, processStart, host } = value as Record<string, unknown>;
    if (typeof machine !== "string" || typeof processStart !== "string") return undefined;
    if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    return { machine, pid, processStart, ...(typeof host === "string" ? { host } : {}) };
  } catch {
    return undefined;
  }
}

function sameLock(a: FoundLock, b: FoundLock): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.content === b.content;
}

/**
 * Removes `file` if it is still the lock `found`: renames it to `tmp/` and checks that what
 * it moved is that very file (inode and content, which holds a random token). Answers true
 * when `found` is gone. If it moved another lock after all (its owner released it and a new
 * one appeared in between), it links that one back and answers false.
 */
export async function removeIfSame(options: {
  file: string;
  tmp: string;
  found: FoundLock;
}): Promise<boolean> {
  return removeIfSameNow(options);
}

function removeIfSameNow(options: { file: string; tmp: string; found: FoundLock }): boolean {
  const { file, tmp, found } = options;
  const moved = path.join(tmp, `${path.basename(file)}.stale.${randomUUID()}`);
  try {
    renameSync(file, moved);
  } catch (error) {
    if (errnoCode(error) === "ENOENT") return true;
    throw error;
  }
  const what = inspectLockNow(moved);
  if (what !== undefined && sameLock(what, found)) {
    removeFile(moved);
    return true;
  }
  try {
    linkSync(moved, file);
  } catch {
    // a new lock is there already: ours stays moved away
  }
  removeFile(moved);
  return false;
}

class HeldLock implements MaildropLock, RefreshedLock {
  readonly file: string;
  readonly tookOverFrom: string | undefined;
  readonly #identity: FileIdentity;
  /**
   * The end of the content written, `"token":"<token>"}` with its random token (not the whole
   * content, some 230 octets that an idle session would hold): no other lock has it.
   */
  readonly #end: string;
  /** The content's length in octets. */
  readonly #length: number;
  readonly #refreshMs: number;
  #released = false;

  constructor(options: {
    file: string;
    identity: FileIdentity;
    token: string;
    length: number;
    refreshMs: number;
    tookOverFrom: string | undefined;
  }) {
    this.file = options.file;
    this.tookOverFrom = options.tookOverFrom;
    this.#identity = options.identity;
    this.#end = `"token":"${options.token}"}`;
    this.#length = options.length;
    this.#refreshMs = options.refreshMs;
    LockRefresher.add(this, options.refreshMs);
  }

  async isHeld(): Promise<boolean> {
    return this.#heldNow();
  }

  /**
   * Whether `apop.lock` is this very lock: the same device and inode (one `fstat`) and the
   * content of the length written, ending with this lock's token (one read of that length
   * plus one octet, which tells a longer file apart). No `FoundLock`, no JSON parse.
   */
  #heldNow(): boolean {
    if (this.#released) return false;
    let fd: number;
    try {
      // Not followed if a link, not waited on if a FIFO (`OWNER_FILE_READ_FLAGS`): neither is ours.
      fd = openSync(this.file, OWNER_FILE_READ_FLAGS);
    } catch {
      return false;
    }
    try {
      const { ino, dev } = fstatSync(fd);
      if (ino !== this.#identity.ino || dev !== this.#identity.dev) return false;
      const buffer = Buffer.allocUnsafe(this.#length + 1);
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      return (
        length === this.#length &&
        buffer.toString("latin1", length - this.#end.length, length) === this.#end
      );
    } catch {
      return false;
    } finally {
      closeSync(fd);
    }
  }

  /** Idempotent: the work is done (synchronously) by the first call. */
  async release(): Promise<void> {
    if (this.#released) return;
    LockRefresher.remove(this, this.#refreshMs);
    try {
      if (this.#heldNow()) removeFile(this.file);
    } catch {
      // Left behind, the file turns stale and is taken over (rule 1).
    } finally {
      this.#released = true;
    }
  }

  /**
   * Sets the lock file's mtime to `now` if it is still this lock; answers whether it is (a
   * lock taken over is never refreshed again). The check and the `utimes` are two calls: a
   * takeover in between refreshes the new holder's lock once, which only keeps a live lock
   * fresh. A failure is tried again at the next tick; a lock that cannot be refreshed turns
   * stale.
   */
  async refresh(now: Date): Promise<boolean> {
    try {
      if (!this.#heldNow()) return false;
      // `lutimes`: a link put in its place since the check is touched itself, never its target.
      lutimesSync(this.file, now, now);
    } catch {
      // next tick
    }
    return !this.#released;
  }
}
