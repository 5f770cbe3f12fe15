import { lstatSync, mkdirSync, realpathSync, statSync } from "node:fs";
import path from "node:path";
import { type Maildrop, type MailStore, type MessageInfo, StoreError } from "@apop/core";
import { uniqueIdFrom, uniqueIds } from "@apop/core/internal";
import { childPath, isOneComponent } from "./child-path.ts";
import { countWireSize } from "./count-wire-size.ts";
import {
  acquireDovecotSessionLock,
  DOVECOT_SESSION_LOCK,
  withDovecotSessionLock,
} from "./dovecot-session-lock.ts";
import { EmptyMaildrop } from "./empty-maildrop.ts";
import { encodeFileName } from "./file-names.ts";
import { MaildirFolders } from "./maildir-folders.ts";
import { MaildirMaildrop } from "./maildir-maildrop.ts";
import { maildirUserPath } from "./maildir-user-path.ts";
import { acquireMaildropLock, lockTimings, type MaildropLockTimings } from "./maildrop-lock.ts";
import { mapLimit } from "./map-limit.ts";
import { entryPath, type MaildirEntry, scanMaildir } from "./scan-maildir.ts";
import { readSizeCache, sizeCacheKey, writeSizeCache } from "./size-cache.ts";
import { errnoCode, toStoreError } from "./to-store-error.ts";
import type { UidSource } from "./uid-source.ts";

/** Options of `createMaildirStore`. */
export interface MaildirStoreOptions {
  /** The directory holding one Maildir per user: `<root>/<user>/{cur,new,tmp}`. */
  readonly root: string;
  /**
   * Where UIDs come from; messages it has no answer for use their Maildir unique name.
   * Default: the unique name for all. See `dovecotUidlistSource`.
   */
  readonly uidSource?: UidSource;
  /** Lock timings (defaults 120 s stale, 30 s refresh). See `maildrop-lock.ts`. */
  readonly lock?: MaildropLockTimings;
  /**
   * A user whose Maildir does not exist:
   * - `"refuse"` (default): `StoreError` `sys-perm` "no mailbox"; nothing is created.
   * - `"empty"`: an empty maildrop; nothing is created (for MTAs that create the Maildir
   *   on the first delivery, like Postfix).
   * - `"create"`: `<root>/<user>/{cur,new,tmp}` is created (mode 0700), then opened.
   */
  readonly missingMailbox?: "refuse" | "empty" | "create";
  /**
   * Dovecot's POP3 session dotlock, taken as well as apop's own, relative to the Maildir
   * (default `dovecot-pop3-session.lock`, where Dovecot 2.3 takes it for `maildir:~/Maildir`
   * with `pop3_lock_session = yes`); `false` takes only apop's. See `dovecot-session-lock.ts`.
   */
  readonly dovecotSessionLock?: string | false;
  /** Keep counted wire sizes in `<maildir>/apop-sizes` (default true). */
  readonly sizeCache?: boolean;
}

/** How many message files are counted at once on a first open. */
const COUNT_CONCURRENCY = 8;

/**
 * A `MailStore` over Maildirs as Postfix, Exim, procmail or Dovecot deliver them, one per
 * user at `<root>/<user>/`.
 *
 * `open(user)`:
 * 1. refuses a user name that could leave `root` (`maildirUserPath`), with `sys-perm`;
 * 2. finds the Maildir (`missingMailbox`); a missing `tmp/` is created (the lock and the size
 *    cache are written through it); `<root>/<user>` may be a symbolic link, but `cur/`, `new/`
 *    and `tmp/` must be real directories, checked and recorded (`MaildirFolders`): anything
 *    else is `sys-perm`;
 * 3. takes the maildrop lock (`in-use` when another session holds it);
 * 4. snapshots `new/` and `cur/` (`scanMaildir` order), with UIDs (`uidSource`, else the
 *    unique name; made valid and unique by core's `uniqueIdFrom` and `uniqueIds`, the rule the
 *    server session applies to every store) and wire sizes (`,W=`,
 *    else the size cache, else counted by streaming the file).
 * File-system faults are `sys-perm` (access, layout) or `sys-temp` (the rest); the lock is
 * released when the snapshot fails. Throws `RangeError` at once for bad lock timings.
 */
export function createMaildirStore(options: MaildirStoreOptions): MailStore {
  const root = path.resolve(options.root);
  const timings = lockTimings(options.lock);
  const missingMailbox = options.missingMailbox ?? "refuse";
  const useSizeCache = options.sizeCache ?? true;
  const dovecotLock = options.dovecotSessionLock ?? DOVECOT_SESSION_LOCK;
  // The usual setting is one file name: then the lock's path is a plain concatenation.
  const dovecotLockPath =
    dovecotLock === false
      ? undefined
      : isOneComponent(dovecotLock)
        ? (maildir: string) => childPath(maildir, dovecotLock)
        : (maildir: string) => path.resolve(maildir, dovecotLock);
  // The root's real path, resolved at the first login and again after any login whose Maildir
  // was not a plain directory under it (a link, missing: the root may have been moved). A
  // login then resolves only its own `<user>`, not every component of the root again
  // (`MaildirFolders.open`).
  let realRoot: string | undefined;
  const busy = busyUsersOf(root);
  return {
    // LOGIN-DELAY's last login lives in each Maildir (`last-login.ts`).
    keepsLastLogin: true,
    async open(user: string): Promise<Maildrop> {
      const maildir = maildirUserPath({ root, user });
      if (busy.has(user)) {
        throw new StoreError({
          code: "in-use",
          message: "the maildrop is in use by another session",
        });
      }
      busy.add(user);
      try {
        const drop = await openMaildrop(user, maildir);
        if (drop instanceof MaildirMaildrop) drop.onEnd(busy, user);
        else busy.delete(user);
        return drop;
      } catch (error) {
        busy.delete(user);
        throw error;
      }
    },
  };

  async function openMaildrop(user: string, maildir: string): Promise<Maildrop> {
    realRoot ??= realPathOrUndefined(root);
    const inRealParent = realRoot === undefined ? undefined : childPath(realRoot, user);
    // Opened first, prepared only when that fails: the Maildir is almost always there, and
    // `prepareMaildir` costs two `stat` calls per login. Whatever made the first try fail
    // (no Maildir, no `tmp/`, a link) is then judged by `prepareMaildir` and a second try.
    let folders = await MaildirFolders.open({ maildir, inRealParent }).catch(() => undefined);
    if (folders?.realPath !== inRealParent) realRoot = undefined;
    if (folders === undefined) {
      if (!prepareMaildir({ maildir, missingMailbox })) return new EmptyMaildrop();
      folders = await MaildirFolders.open({ maildir }).catch((error: unknown) => {
        throw toStoreError({ error, message: "cannot open the Maildir" });
      });
    }
    const own = await acquireMaildropLock({
      maildir: folders.maildir,
      tmp: folders.path("tmp"),
      heldMaildir: folders.realPath,
      ...timings,
    }).catch(async (error: unknown) => {
      await folders.close();
      throw toStoreError({ error, message: "cannot lock the maildrop" });
    });
    let lock = own;
    if (dovecotLockPath !== undefined) {
      // Beside Dovecot: its session lock too, so neither serves what the other holds. By
      // the real path, as apop's own lock is held: `folders.maildir` may be a descriptor
      // (`/proc/self/fd/N`) closed after login, whose number another session reuses.
      const dovecot = await acquireDovecotSessionLock({
        file: dovecotLockPath(folders.realPath),
        staleHolder: own.tookOverFrom,
        ...timings,
      }).catch(async (error: unknown) => {
        await own.release();
        await folders.close();
        throw toStoreError({ error, message: "cannot take Dovecot's session lock" });
      });
      lock = withDovecotSessionLock(own, dovecot);
    }
    try {
      const snapshot = await takeSnapshot({
        folders,
        uidSource: options.uidSource,
        useSizeCache,
      });
      // An idle session keeps no descriptor but its socket: the folders are pinned again
      // only to delete (see `MaildirFolders`).
      await folders.close();
      return new MaildirMaildrop({ folders, lock, ...snapshot });
    } catch (error) {
      await lock.release();
      await folders.close();
      throw toStoreError({ error, message: "cannot read the maildrop" });
    }
  }
}

/**
 * Per Maildir root, the users whose maildrop a store of this process is opening or holds; one
 * set for every store on the same root (a server may make one per listener). The lock files
 * keep sessions of different processes apart, but the mailbox owner can delete them, and an
 * open that takes long (a large message counted) must not be joined by more opens of the same
 * maildrop, each holding descriptors and thread-pool reads (docs/security.md).
 */
const BUSY_USERS = new Map<string, Set<string>>();

function busyUsersOf(root: string): Set<string> {
  let users = BUSY_USERS.get(root);
  if (users === undefined) {
    users = new Set();
    BUSY_USERS.set(root, users);
  }
  return users;
}

function realPathOrUndefined(file: string): string | undefined {
  try {
    return realpathSync.native(file);
  } catch {
    return undefined;
  }
}

/** True when the Maildir is there (or was created); false to serve an empty maildrop. */
function prepareMaildir(options: {
  maildir: string;
  missingMailbox: "refuse" | "empty" | "create";
}): boolean {
  const { maildir, missingMailbox } = options;
  try {
    let stats = statSync(maildir, { throwIfNoEntry: false });
    if (stats === undefined) {
      if (missingMailbox === "refuse") {
        throw new StoreError({ code: "sys-perm", message: "no mailbox" });
      }
      if (missingMailbox === "empty") return false;
      // Not recursive: a missing root (an unmounted volume?) is not papered over.
      try {
        mkdirSync(maildir, { mode: 0o700 });
      } catch (error) {
        if (errnoCode(error) !== "EEXIST") throw error;
      }
      for (const dir of ["cur", "new", "tmp"]) {
        mkdirSync(path.join(maildir, dir), { recursive: true, mode: 0o700 });
      }
      stats = statSync(maildir);
    }
    if (!stats.isDirectory()) throw new StoreError({ code: "sys-perm", message: "no mailbox" });
    // Not recursive, and whatever is there already is left for `MaildirFolders` to judge
    // (looked at first: a login is not worth an EEXIST error object).
    const tmp = path.join(maildir, "tmp");
    if (lstatSync(tmp, { throwIfNoEntry: false }) === undefined) {
      try {
        mkdirSync(tmp, { mode: 0o700 });
      } catch (error) {
        if (errnoCode(error) !== "EEXIST") throw error;
      }
    }
    return true;
  } catch (error) {
    if (StoreError.isInstance(error)) throw error;
    if (errnoCode(error) === "ENOENT") {
      throw new StoreError({ code: "sys-perm", message: "no mailbox", cause: error });
    }
    throw toStoreError({ error, message: "cannot open the Maildir" });
  }
}

async function takeSnapshot(options: {
  folders: MaildirFolders;
  uidSource: UidSource | undefined;
  useSizeCache: boolean;
}): Promise<{ entries: MaildirEntry[]; messages: MessageInfo[] }> {
  const { folders, uidSource, useSizeCache } = options;
  const maildir = folders.maildir;
  const tmp = folders.path("tmp");
  const scanned = await scanMaildir({ folders });
  const lookup =
    uidSource === undefined ? undefined : await uidSource.load({ maildir, messages: scanned });
  // Every name with its `,W=` (as Dovecot and the usual MTAs deliver): nothing to look up
  // or count, so neither the size cache nor a call per message. (An entry of a message
  // since gone stays in the cache until the next write prunes it.)
  const unsized = scanned.some((entry) => entry.wireSize === undefined);
  const cache =
    useSizeCache && unsized
      ? readSizeCache({ maildir, messageCount: scanned.length })
      : new Map<string, number>();
  const kept = new Map<string, number>();
  let counted = false;
  const sizes: (number | undefined)[] = !unsized
    ? scanned.map((entry) => entry.wireSize)
    : await mapLimit({
        items: scanned,
        limit: COUNT_CONCURRENCY,
        fn: async (entry) => {
          if (entry.wireSize !== undefined) return entry.wireSize;
          const key = sizeCacheKey(entry);
          const cached = key === undefined ? undefined : cache.get(key);
          if (key !== undefined && cached !== undefined) {
            kept.set(key, cached);
            return cached;
          }
          try {
            const size = await countWireSize({
              file: entryPath({ folders, entry }),
              expect: entry,
            });
            // No longer a regular file (swapped for a symlink since the scan): not a message.
            if (size === undefined) return undefined;
            if (key !== undefined) kept.set(key, size);
            counted = true;
            return size;
          } catch (error) {
            // Vanished since the scan (deleted, or moved by another client): not in this snapshot.
            if (errnoCode(error) === "ENOENT") return undefined;
            throw error;
          }
        },
      });
  if (useSizeCache && (counted || kept.size !== cache.size)) {
    await writeSizeCache({ maildir, tmp, sizes: kept });
  }
  const entries = scanned.filter((_, i) => sizes[i] !== undefined);
  const entrySizes = sizes.filter((size) => size !== undefined);
  // A file name that is not UTF-8 is hashed as its raw bytes, so its unique-id stays stable.
  const uids = uniqueIds(
    entries.map((entry) => {
      const candidate = lookup?.(entry) ?? entry.uniqueName;
      return uniqueIdFrom({ candidate, bytes: encodeFileName(candidate) });
    }),
  );
  const messages = entries.map((_, i) => ({
    uid: uids[i] as string,
    size: entrySizes[i] as number,
  }));
  return { entries, messages };
}
