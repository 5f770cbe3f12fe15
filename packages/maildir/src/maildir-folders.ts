import { constants } from "node:fs";
import { type FileHandle, lstat, open, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { StoreError } from "@apop/core";
import { errnoCode, toStoreError } from "./to-store-error.ts";

/** The folders of a Maildir the store reads and writes through. */
export type MaildirFolder = "cur" | "new" | "tmp";

const FOLDERS: readonly MaildirFolder[] = ["cur", "new", "tmp"];

/** Where the kernel shows a process's open descriptors as links to what they are open on. */
const PROC_FD = "/proc/self/fd";

interface Pinned {
  /** The path as named: `<real maildir>` or `<real maildir>/<folder>`. */
  readonly named: string;
  readonly handle: FileHandle;
  readonly dev: number;
  readonly ino: number;
}

/**
 * The Maildir directory and its `cur/`, `new/` and `tmp/`, pinned for one session.
 *
 * Whoever can write a Maildir (its owner, a delivery agent) could make `cur/` a symbolic link
 * to another directory; every regular file there would then be listed, served by RETR and
 * unlinked by DELE+QUIT with the server's rights. So at `open`:
 * - `<root>/<user>` itself may be a link (an administrator may place Maildirs elsewhere); it is
 *   resolved once (`realpath`) and every later access goes to that directory;
 * - `cur/`, `new/` and `tmp/` must be real directories: each is opened with
 *   `O_DIRECTORY | O_NOFOLLOW` (a link or anything else is refused with `sys-perm`), and the
 *   descriptor, device and inode are kept until `close`.
 *
 * Node has no `openat`/`unlinkat`. On Linux (when `/proc` is mounted) the store reaches the
 * files through `/proc/self/fd/<descriptor>/<name>`, which the kernel resolves through the
 * open descriptor, not by name: swapping a folder for a link after login changes nothing.
 * Elsewhere the store uses the real path and `verify` compares device and inode before each
 * open and unlink; a swap in the instant between that check and the call remains possible
 * there (`docs/security.md`). Every message file is also checked after opening against the
 * device and inode it had when listed.
 */
export class MaildirFolders {
  readonly #maildir: Pinned;
  readonly #folders: ReadonlyMap<MaildirFolder, Pinned>;
  readonly #viaProc: boolean;

  private constructor(maildir: Pinned, folders: Map<MaildirFolder, Pinned>, viaProc: boolean) {
    this.#maildir = maildir;
    this.#folders = folders;
    this.#viaProc = viaProc;
  }

  /**
   * Pins the Maildir at `maildir` (which must exist with `cur/`, `new/` and `tmp/`). Throws
   * `StoreError` `sys-perm` when a folder is missing, a symbolic link or not a directory.
   */
  static async open(options: { maildir: string }): Promise<MaildirFolders> {
    const real = await realpath(options.maildir);
    const opened: Pinned[] = [];
    try {
      const maildir = await pin({ named: real, label: "the Maildir" });
      opened.push(maildir);
      const viaProc = await procWorks(maildir);
      const folders = new Map<MaildirFolder, Pinned>();
      for (const name of FOLDERS) {
        // Opened through the pinned Maildir, so each is a child of that very directory.
        const access = viaProc ? procPath(maildir, name) : path.join(real, name);
        const folder = await pin({ named: path.join(real, name), access, label: `${name}/` });
        opened.push(folder);
        folders.set(name, folder);
      }
      return new MaildirFolders(maildir, folders, viaProc);
    } catch (error) {
      await Promise.all(opened.map((p) => p.handle.close().catch(() => undefined)));
      throw error;
    }
  }

  /** The path to reach the Maildir directory itself by (for the lock and the caches). */
  get maildir(): string {
    return this.#access(this.#maildir);
  }

  /** The path to reach `folder` by: through its descriptor on Linux, else its real path. */
  path(folder: MaildirFolder): string {
    return this.#access(this.#folder(folder));
  }

  /**
   * Throws `StoreError` `sys-temp` unless the Maildir and `folder` are, at their real paths,
   * still the directories pinned at open (same device and inode, not a link): a folder was
   * swapped since login, so nothing is read or deleted.
   */
  async verify(folder: MaildirFolder): Promise<void> {
    for (const pinned of [this.#maildir, this.#folder(folder)]) {
      const now = await lstat(pinned.named).catch(() => undefined);
      if (now?.isDirectory() !== true || now.dev !== pinned.dev || now.ino !== pinned.ino) {
        throw new StoreError({
          code: "sys-temp",
          message: `the Maildir's ${folder}/ was replaced since login`,
        });
      }
    }
  }

  /** Closes the descriptors. Idempotent; never throws. */
  async close(): Promise<void> {
    const all = [this.#maildir, ...this.#folders.values()];
    await Promise.all(all.map((p) => p.handle.close().catch(() => undefined)));
  }

  #access(pinned: Pinned): string {
    return this.#viaProc ? `${PROC_FD}/${pinned.handle.fd}` : pinned.named;
  }

  #folder(folder: MaildirFolder): Pinned {
    return this.#folders.get(folder) as Pinned;
  }
}

function procPath(pinned: Pinned, name: string): string {
  return `${PROC_FD}/${pinned.handle.fd}/${name}`;
}

async function pin(options: { named: string; access?: string; label: string }): Promise<Pinned> {
  const { named, label } = options;
  let handle: FileHandle;
  try {
    handle = await open(
      options.access ?? named,
      constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
    );
  } catch (error) {
    const code = errnoCode(error);
    // With O_DIRECTORY, Linux answers ENOTDIR for a link too: lstat tells them apart.
    const link =
      (code === "ELOOP" || code === "ENOTDIR") &&
      (await lstat(options.access ?? named).catch(() => undefined))?.isSymbolicLink() === true;
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
  const stats = await handle.stat();
  return { named, handle, dev: stats.dev, ino: stats.ino };
}

/** True when `/proc/self/fd/<fd>` reaches the pinned directory (Linux with /proc mounted). */
async function procWorks(pinned: Pinned): Promise<boolean> {
  const seen = await stat(`${PROC_FD}/${pinned.handle.fd}`).catch(() => undefined);
  return seen?.isDirectory() === true && seen.dev === pinned.dev && seen.ino === pinned.ino;
}
