import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  realpathSync,
  type Stats,
  statSync,
} from "node:fs";
import { StoreError } from "@apop/core";
import { childPath } from "./child-path.ts";
import { errnoCode, toStoreError } from "./to-store-error.ts";

/** The folders of a Maildir the store reads and writes through. */
export type MaildirFolder = "cur" | "new" | "tmp";

const FOLDERS: readonly MaildirFolder[] = ["cur", "new", "tmp"];

/** How a folder is pinned: a directory, never through a link in its last component. */
const DIRECTORY_FLAGS =
  constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NOCTTY;

/** Where the kernel shows a process's open descriptors as links to what they are open on. */
const PROC_FD = "/proc/self/fd";

interface Pinned {
  /** The path as named: `<real maildir>` or `<real maildir>/<folder>`. */
  readonly named: string;
  /** The open directory (`O_DIRECTORY`). */
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
}

/** A folder as seen at login: where it is and which directory it was. */
interface Seen {
  readonly named: string;
  readonly dev: number;
  readonly ino: number;
}

/** Whether `/proc/self/fd` works in this process; asked once (it does not change). */
let procAnswer: boolean | undefined;

/**
 * The Maildir directory and its `cur/`, `new/` and `tmp/`, checked at login and pinned while
 * the store lists or deletes.
 *
 * Whoever can write a Maildir (its owner, a delivery agent) could make `cur/` a symbolic link
 * to another directory; every regular file there would then be listed, served by RETR and
 * unlinked by DELE+QUIT with the server's rights. So at `open`:
 * - `<root>/<user>` itself may be a link (an administrator may place Maildirs elsewhere); it is
 *   resolved once (`realpath`) and every later access goes to that directory;
 * - `cur/`, `new/` and `tmp/` must be real directories: each is opened with
 *   `O_DIRECTORY | O_NOFOLLOW` (a link or anything else is refused with `sys-perm`), and its
 *   device and inode are recorded for the session.
 *
 * Node has no `openat`/`unlinkat`. On Linux (when `/proc` is mounted), while the folders are
 * pinned, the store reaches the files through `/proc/self/fd/<descriptor>/<name>`, which the
 * kernel resolves through the open descriptor, not by name. They are pinned while the login
 * lists the Maildir and takes the lock, and again (`pin`, which checks that each folder is
 * still the directory recorded at login) while the UPDATE state unlinks; in between, an idle
 * session holds no descriptor of its own but its socket. A RETR in between opens the file by
 * its real path and reads it only if it is the very file listed (device and inode), so a
 * folder swapped for a link cannot make it serve another file. Elsewhere (no `/proc`) the
 * store uses the real path and `verify` compares device and inode before each unlink; a swap
 * in the instant between that check and the call remains possible there (`docs/security.md`).
 *
 * Every call here is synchronous, like all the store's metadata calls (docs/performance.md).
 */
export class MaildirFolders {
  /** The Maildir's real path. */
  readonly #real: string;
  /**
   * Device and inode seen at login: of the Maildir, then of each of `FOLDERS` in order. Only
   * numbers are kept, not an object and a path per folder (the paths are derived from
   * `#real`): an idle session holds this for as long as it stays logged in.
   */
  readonly #ids: readonly number[];
  readonly #viaProc: boolean;
  #pinned: { maildir: Pinned; folders: Map<MaildirFolder, Pinned> } | undefined;

  private constructor(options: {
    maildir: Pinned;
    folders: Map<MaildirFolder, Pinned>;
    viaProc: boolean;
  }) {
    this.#real = options.maildir.named;
    const ids = [options.maildir.dev, options.maildir.ino];
    for (const name of FOLDERS) {
      const pinned = options.folders.get(name) as Pinned;
      ids.push(pinned.dev, pinned.ino);
    }
    // Copied to its exact length: `push` leaves room for more, which an idle session holds.
    this.#ids = ids.slice();
    this.#viaProc = options.viaProc;
    this.#pinned = { maildir: options.maildir, folders: options.folders };
  }

  /**
   * Checks and pins the Maildir at `maildir` (which must exist with `cur/`, `new/` and
   * `tmp/`). Throws `StoreError` `sys-perm` when a folder is missing, a symbolic link or not a
   * directory. The folders stay pinned until `close`.
   */
  static async open(options: {
    maildir: string;
    /**
     * The same Maildir as `<real parent>/<name>`, a parent already resolved (the store's root,
     * resolved once): when that is a directory and not a link, it is a real path as it stands,
     * and realpath(3), one `readlink` per component of the root, is skipped. Otherwise (a
     * link, missing, anything else) `maildir` is resolved as without it.
     */
    inRealParent?: string | undefined;
  }): Promise<MaildirFolders> {
    const maildir =
      (options.inRealParent === undefined ? undefined : pinIfRealDirectory(options.inRealParent)) ??
      // `.native`: realpath(3), as the promise API has it, not Node's own walk of lstat calls.
      pin({ named: realpathSync.native(options.maildir), label: "the Maildir" });
    procAnswer ??= procWorks(maildir);
    let folders: Map<MaildirFolder, Pinned>;
    try {
      folders = pinFolders({ maildir, viaProc: procAnswer, real: maildir.named });
    } catch (error) {
      closeQuietly(maildir.fd);
      throw error;
    }
    return new MaildirFolders({ maildir, folders, viaProc: procAnswer });
  }

  /**
   * Pins the folders again, for a listing or unlinks after login. Throws `StoreError`
   * `sys-temp` when the Maildir or a folder is no longer the directory recorded at login (it
   * was swapped or replaced): then nothing is read or deleted. A no-op while pinned.
   */
  async pin(): Promise<void> {
    if (this.#pinned !== undefined) return;
    const replaced = (cause?: unknown): StoreError =>
      new StoreError({ code: "sys-temp", message: "the Maildir was replaced since login", cause });
    let maildir: Pinned;
    try {
      maildir = pin({ named: this.#real, label: "the Maildir" });
    } catch (error) {
      throw replaced(error);
    }
    if (!sameDirectory(maildir, this.#seen(undefined))) {
      closeQuietly(maildir.fd);
      throw replaced();
    }
    let folders: Map<MaildirFolder, Pinned>;
    try {
      folders = pinFolders({ maildir, viaProc: this.#viaProc, real: this.#real });
    } catch (error) {
      closeQuietly(maildir.fd);
      throw replaced(error);
    }
    this.#pinned = { maildir, folders };
    for (const [name, pinned] of folders) {
      if (!sameDirectory(pinned, this.#seen(name))) {
        await this.close();
        throw replaced();
      }
    }
  }

  /** The Maildir's real path, as resolved at login (reached by name, not by descriptor). */
  get realPath(): string {
    return this.#real;
  }

  /** The path to reach the Maildir directory itself by (for the lock and the caches). */
  get maildir(): string {
    const pinned = this.#pinned?.maildir;
    return this.#viaProc && pinned !== undefined ? procPath(pinned) : this.#real;
  }

  /**
   * The path to reach `folder` by: through its descriptor on Linux while pinned, else its
   * real path.
   */
  path(folder: MaildirFolder): string {
    const pinned = this.#pinned?.folders.get(folder);
    return this.#viaProc && pinned !== undefined ? procPath(pinned) : this.#seen(folder).named;
  }

  /**
   * Runs `use` with a path to `folder` that reaches the very directory seen at login, for a
   * read or a search between commands (RETR, a message that moved), when nothing is pinned:
   * `folder` is opened for the call (`O_DIRECTORY | O_NOFOLLOW`), checked to be the device and
   * inode seen at login, and reached through its descriptor (`/proc/self/fd/<n>`), which is
   * closed after. So a folder swapped for a link since login is never followed: opening a file
   * elsewhere can have effects of its own (a terminal becomes the server's controlling
   * terminal, a watchdog device is armed), so checking the file after the open is too late.
   * While pinned, the pinned folder; without `/proc`, the real path (docs/security.md).
   * Throws `StoreError` `sys-temp` when the folder was replaced.
   */
  within<T>(folder: MaildirFolder, use: (path: string) => T): T {
    if (!this.#viaProc || this.#pinned !== undefined) return use(this.path(folder));
    const seen = this.#seen(folder);
    let opened: Pinned;
    try {
      opened = pin({ named: seen.named, label: `${folder}/` });
    } catch (error) {
      throw folderReplaced(folder, error);
    }
    try {
      if (!sameDirectory(opened, seen)) throw folderReplaced(folder);
      return use(procPath(opened));
    } finally {
      closeQuietly(opened.fd);
    }
  }

  /**
   * Throws `StoreError` `sys-temp` unless the Maildir and `folder` are, at their real paths,
   * still the directories seen at login (same device and inode, not a link): a folder was
   * swapped since login, so nothing is deleted.
   */
  async verify(folder: MaildirFolder): Promise<void> {
    for (const recorded of [this.#seen(undefined), this.#seen(folder)]) {
      const now = lstatOrUndefined(recorded.named);
      if (now?.isDirectory() !== true || !sameDirectory(now, recorded)) {
        throw folderReplaced(folder);
      }
    }
  }

  /** The Maildir (`undefined`) or one of its folders as seen at login. */
  #seen(folder: MaildirFolder | undefined): Seen {
    const at = folder === undefined ? 0 : 2 + 2 * FOLDERS.indexOf(folder);
    return {
      named: folder === undefined ? this.#real : childPath(this.#real, folder),
      dev: this.#ids[at] as number,
      ino: this.#ids[at + 1] as number,
    };
  }

  /** Closes the descriptors (`pin` opens them again). Idempotent; never throws. */
  async close(): Promise<void> {
    const pinned = this.#pinned;
    this.#pinned = undefined;
    if (pinned === undefined) return;
    closeQuietly(pinned.maildir.fd);
    for (const folder of pinned.folders.values()) closeQuietly(folder.fd);
  }
}

function folderReplaced(folder: MaildirFolder, cause?: unknown): StoreError {
  return new StoreError({
    code: "sys-temp",
    message: `the Maildir's ${folder}/ was replaced since login`,
    ...(cause === undefined ? {} : { cause }),
  });
}

function sameDirectory(a: { dev: number; ino: number }, b: { dev: number; ino: number }) {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Pins `cur/`, `new/` and `tmp/` of the pinned Maildir (through it, on Linux). */
function pinFolders(options: {
  maildir: Pinned;
  viaProc: boolean;
  real: string;
}): Map<MaildirFolder, Pinned> {
  const { maildir, viaProc, real } = options;
  const folders = new Map<MaildirFolder, Pinned>();
  try {
    for (const name of FOLDERS) {
      // Opened through the pinned Maildir, so each is a child of that very directory.
      const named = childPath(real, name);
      const access = viaProc ? `${procPath(maildir)}/${name}` : named;
      folders.set(name, pin({ named, access, label: `${name}/` }));
    }
    return folders;
  } catch (error) {
    for (const pinned of folders.values()) closeQuietly(pinned.fd);
    throw error;
  }
}

function procPath(pinned: Pinned): string {
  return `${PROC_FD}/${pinned.fd}`;
}

function lstatOrUndefined(file: string): Stats | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing held
  }
}

function pin(options: { named: string; access?: string; label: string }): Pinned {
  const { named, label } = options;
  let fd: number;
  try {
    fd = openSync(options.access ?? named, DIRECTORY_FLAGS);
  } catch (error) {
    const code = errnoCode(error);
    // With O_DIRECTORY, Linux answers ENOTDIR for a link too: lstat tells them apart.
    const link =
      (code === "ELOOP" || code === "ENOTDIR") &&
      lstatOrUndefined(options.access ?? named)?.isSymbolicLink() === true;
    const why = link
      ? `${label} is a symbolic link`
      : code === "ELOOP" || code === "ENOTDIR"
        ? `${label} is not a directory`
        : code === "ENOENT"
          ? `no ${label}`
          : undefined;
    if (why === undefined) throw toStoreError({ error, message: `cannot open ${label}` });
    throw new StoreError({ code: "sys-perm", message: `not a Maildir: ${why}`, cause: error });
  }
  try {
    const stats = fstatSync(fd);
    return { named, fd, dev: stats.dev, ino: stats.ino };
  } catch (error) {
    closeQuietly(fd);
    throw error;
  }
}

/**
 * `named` pinned when it is a directory reached without following a link in its last
 * component (`O_NOFOLLOW`), else `undefined`: the caller then resolves and reports it.
 */
function pinIfRealDirectory(named: string): Pinned | undefined {
  try {
    return pin({ named, label: "the Maildir" });
  } catch {
    return undefined;
  }
}

/** True when `/proc/self/fd/<fd>` reaches the pinned directory (Linux with /proc mounted). */
function procWorks(pinned: Pinned): boolean {
  let seen: Stats | undefined;
  try {
    seen = statSync(`${PROC_FD}/${pinned.fd}`);
  } catch {
    return false;
  }
  return seen?.isDirectory() === true && seen.dev === pinned.dev && seen.ino === pinned.ino;
}
