import type { FileHandle } from "node:fs/promises";
import { lstat, unlink } from "node:fs/promises";
import { LocalProtocolError, type Maildrop, type MessageInfo, StoreError } from "@apop/core";
import { READ_CHUNK_OCTETS } from "./count-wire-size.ts";
import { filePath, listNames, openMessageFile, sameFile } from "./file-names.ts";
import { readLastLogin, writeLastLogin } from "./last-login.ts";
import type { MaildirFolders } from "./maildir-folders.ts";
import type { MaildropLock } from "./maildrop-lock.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";
import type { MaildirEntry } from "./scan-maildir.ts";
import { errnoCode, toStoreError } from "./to-store-error.ts";

/**
 * An open, locked Maildir: the snapshot taken at `open`, reads that stream, and the deletes
 * of the UPDATE state.
 *
 * A message file may have moved since the snapshot (`new/` to `cur/`, or a flag change by
 * another mail client): `read` and `commit` then look for its unique name in `cur/` and
 * `new/`. A message that is gone for good makes `read` fail with `sys-temp` and is no error
 * for `commit`. Only the very file listed (same device and inode; a rename keeps both) is
 * ever read or deleted, and only through the folders pinned at open (`MaildirFolders`): a
 * folder swapped for a link since then makes `read` fail and `commit` delete nothing.
 */
export class MaildirMaildrop implements Maildrop {
  readonly messages: readonly MessageInfo[];
  readonly #folders: MaildirFolders;
  readonly #entries: MaildirEntry[];
  readonly #lock: MaildropLock;
  #open = true;

  constructor(options: {
    folders: MaildirFolders;
    entries: readonly MaildirEntry[];
    messages: readonly MessageInfo[];
    lock: MaildropLock;
  }) {
    this.#folders = options.folders;
    this.#entries = [...options.entries];
    this.messages = options.messages;
    this.#lock = options.lock;
  }

  /** When this Maildir was last logged in to (`last-login.ts`); for LOGIN-DELAY. */
  async lastLogin(): Promise<number | null> {
    this.#checkOpen("lastLogin");
    return readLastLogin({ maildir: this.#folders.maildir }).catch((error: unknown) => {
      throw toStoreError({ error, message: "cannot read the last login time" });
    });
  }

  /** Records a login at `at` in the Maildir (`last-login.ts`). */
  async recordLogin(at: number): Promise<void> {
    this.#checkOpen("recordLogin");
    await writeLastLogin({
      maildir: this.#folders.maildir,
      tmp: this.#folders.path("tmp"),
      at,
    }).catch((error: unknown) => {
      throw toStoreError({ error, message: "cannot record the login time" });
    });
  }

  /**
   * Streams message `index` from its file in chunks of up to 64 KiB; never reads it whole.
   * Throws `LocalProtocolError` at once for a bad index or a closed maildrop; the iteration
   * rejects with `StoreError` `sys-temp` when the file has vanished or cannot be read.
   */
  read(index: number): AsyncIterable<Uint8Array> {
    this.#checkOpen("read");
    this.#entry(index);
    return this.#stream(index);
  }

  async *#stream(index: number): AsyncGenerator<Uint8Array> {
    const handle = await this.#openMessage(index);
    const stream = handle.createReadStream({ highWaterMark: READ_CHUNK_OCTETS });
    try {
      for await (const chunk of stream) yield chunk as Uint8Array;
    } catch (error) {
      throw toStoreError({ error, message: `cannot read message ${index + 1}` });
    } finally {
      stream.destroy();
    }
  }

  async #openMessage(index: number): Promise<FileHandle> {
    const entry = this.#entry(index);
    await this.#folders.verify(entry.dir);
    try {
      // Not the listed regular file any more (a symlink, a FIFO or another file put in its
      // place): treated as vanished.
      const opened = await openMessageFile(entry.path, entry);
      if (opened !== undefined) return opened.handle;
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") {
        throw toStoreError({ error, message: `cannot open message ${index + 1}` });
      }
    }
    const moved = await this.#relocate(index).catch(() => undefined);
    if (moved !== undefined) {
      try {
        const opened = await openMessageFile(moved, entry);
        if (opened !== undefined) return opened.handle;
      } catch {
        // Gone again, or not the message that was listed: vanished.
      }
    }
    throw new StoreError({ code: "sys-temp", message: `message ${index + 1} has vanished` });
  }

  /**
   * Applies the deletes and releases the lock. Deletes nothing, with `sys-temp`, if the lock
   * was lost (taken over as stale). Every named message is tried; one that is already gone is
   * fine; any other failure makes the whole `sys-perm` once all were tried.
   */
  async commit(deleted: readonly number[]): Promise<void> {
    this.#checkOpen("commit");
    this.#open = false;
    try {
      const indexes = [...new Set(deleted)];
      for (const index of indexes) this.#entry(index);
      if (indexes.length === 0) return;
      if (!(await this.#lock.isHeld())) {
        throw new StoreError({
          code: "sys-temp",
          message: "the maildrop lock was lost; no message was deleted",
        });
      }
      // A folder swapped since login: delete nothing rather than unlink in its new target.
      await this.#folders.verify("cur");
      await this.#folders.verify("new");
      const failures: unknown[] = [];
      for (const index of indexes) {
        const error = await this.#delete(index);
        if (error !== undefined) failures.push(error);
      }
      if (failures.length > 0) {
        throw new StoreError({
          code: "sys-perm",
          message: `${failures.length} of ${indexes.length} messages could not be deleted`,
          cause: new AggregateError(failures),
        });
      }
    } finally {
      await this.#lock.release();
      await this.#folders.close();
    }
  }

  /** Releases the lock; deletes nothing. Idempotent. */
  async release(): Promise<void> {
    this.#open = false;
    await this.#lock.release();
    await this.#folders.close();
  }

  /**
   * Deletes one message wherever it is now; answers the error, if any, but ENOENT. A file of
   * that name that is not the one listed (another device or inode) is left alone.
   */
  async #delete(index: number): Promise<unknown> {
    const entry = this.#entry(index);
    try {
      await this.#folders.verify(entry.dir);
      if (await this.#unlinkIfListed(entry.path, entry)) return undefined;
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") return error;
    }
    try {
      const moved = await this.#relocate(index);
      if (moved !== undefined) {
        await this.#folders.verify(this.#entry(index).dir);
        await this.#unlinkIfListed(moved, entry);
      }
      return undefined;
    } catch (error) {
      return errnoCode(error) === "ENOENT" ? undefined : error;
    }
  }

  /** Unlinks `file` if it is the listed message; false (nothing done) when it is another. */
  async #unlinkIfListed(file: string | Buffer, entry: MaildirEntry): Promise<boolean> {
    if (!sameFile(await lstat(file), entry)) return false;
    await unlink(file);
    return true;
  }

  /**
   * Finds the current file of message `index` by its unique name in `cur/`, then `new/`,
   * skipping the files of the other messages of the snapshot (so duplicates stay apart).
   */
  async #relocate(index: number): Promise<string | Buffer | undefined> {
    const entry = this.#entry(index);
    const others = new Set(
      this.#entries.filter((_, i) => i !== index).map((e) => `${e.dir}/${e.fileName}`),
    );
    for (const dir of ["cur", "new"] as const) {
      const folder = this.#folders.path(dir);
      const names = await listNames(folder).catch((error: unknown) => {
        if (errnoCode(error) === "ENOENT") return [];
        throw error;
      });
      for (const name of names) {
        if (
          parseMaildirName(name).uniqueName === entry.uniqueName &&
          !others.has(`${dir}/${name}`)
        ) {
          const file = filePath(folder, name);
          this.#entries[index] = { ...entry, dir, path: file, fileName: name };
          return file;
        }
      }
    }
    return undefined;
  }

  #entry(index: number): MaildirEntry {
    const entry = Number.isInteger(index) ? this.#entries[index] : undefined;
    if (entry === undefined) {
      throw new LocalProtocolError({
        code: "invalid-argument",
        message: `no message at index ${index}`,
      });
    }
    return entry;
  }

  #checkOpen(what: string): void {
    if (!this.#open) {
      throw new LocalProtocolError({
        code: "invalid-state",
        message: `${what} after the maildrop was committed or released`,
      });
    }
  }
}
