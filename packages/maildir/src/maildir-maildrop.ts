import { closeSync, lstatSync, readSync, unlinkSync } from "node:fs";
import { LocalProtocolError, type Maildrop, type MessageInfo, StoreError } from "@apop/core";
import { filePath, listNames, openMessageFile, sameFile } from "./file-names.ts";
import { readLastLogin, writeLastLogin } from "./last-login.ts";
import type { MaildirFolders } from "./maildir-folders.ts";
import type { MaildropLock } from "./maildrop-lock.ts";
import { parseMaildirName } from "./parse-maildir-name.ts";
import { readAt } from "./read-at.ts";
import { entryPath, type MaildirEntry } from "./scan-maildir.ts";
import { errnoCode, toStoreError } from "./to-store-error.ts";

/**
 * How much of a message one read takes. Large enough that the fixed cost of a read, an encode
 * and a socket write per chunk is small beside the copying (RETR of 10 MiB: 40 chunks, not
 * 160), small enough that a session holds little memory for it.
 */
const MESSAGE_CHUNK_OCTETS = 256 * 1024;

/**
 * A message up to this size is read in one synchronous call, like the store's metadata
 * (docs/performance.md): from the page cache that is a copy of a few microseconds, where a
 * thread-pool round trip costs more than the read itself. Larger ones stream (`#stream`).
 */
const SYNC_READ_OCTETS = 64 * 1024;

/**
 * `n` as a small integer where it is one. `lstat` gives every figure as a double, and V8 keeps
 * a double held in an object as a separate 16-octet box; a small integer (up to 2^30 - 1) it
 * keeps inside the object. Two per message, for every message of every idle session.
 */
function compactInteger(n: number): number {
  return n >= 0 && n <= 0x3fffffff ? n | 0 : n;
}

/** What a maildrop keeps of each listed message file. */
type HeldEntry = Pick<MaildirEntry, "dir" | "fileName" | "dev" | "ino">;

/**
 * An open, locked Maildir: the snapshot taken at `open`, reads that stream, and the deletes
 * of the UPDATE state.
 *
 * A message file may have moved since the snapshot (`new/` to `cur/`, or a flag change by
 * another mail client): `read` and `commit` then look for its unique name in `cur/` and
 * `new/`. A message that is gone for good makes `read` fail with `sys-temp` and is no error
 * for `commit`. Only the very file listed (same device and inode; a rename keeps both) is
 * ever read or deleted. Deletes go through the folders pinned again for `commit`
 * (`MaildirFolders.pin`, which checks they are the directories seen at login): a folder
 * swapped for a link since then makes `commit` delete nothing; a `read` through it finds no
 * file with the listed device and inode and fails.
 */
export class MaildirMaildrop implements Maildrop {
  readonly messages: readonly MessageInfo[];
  readonly #folders: MaildirFolders;
  readonly #entries: HeldEntry[];
  readonly #lock: MaildropLock;
  #open = true;

  constructor(options: {
    folders: MaildirFolders;
    entries: readonly MaildirEntry[];
    messages: readonly MessageInfo[];
    lock: MaildropLock;
  }) {
    this.#folders = options.folders;
    // Only what reads and deletes need: an idle session holds this for every message.
    // The unique name is not kept: only `#relocate` needs it, and parses it from the file name.
    this.#entries = options.entries.map(({ dir, fileName, dev, ino }) => ({
      dir,
      fileName,
      dev: compactInteger(dev),
      ino: compactInteger(ino),
    }));
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
   * Streams message `index` from its file in chunks of up to 256 KiB; never reads it whole.
   * Throws `LocalProtocolError` at once for a bad index or a closed maildrop; the iteration
   * rejects with `StoreError` `sys-temp` when the file has vanished or cannot be read.
   */
  read(index: number): AsyncIterable<Uint8Array> {
    this.#checkOpen("read");
    this.#entry(index);
    return this.#stream(index);
  }

  /**
   * Reads ahead: the next chunk's read is started before the current one is handed out, so
   * the disk works while the driver encodes and the socket sends (RETR moves a large message
   * at the speed of the slower of the two, not of their sum). Reads stop at the size the
   * file had when opened: a Maildir message never changes, and the size saves the read that
   * would only answer "end of file" (one call of four for a small message).
   *
   * Two buffers take turns: one holds the chunk the reader has, the other the chunk being
   * read ahead. When the reader asks for the next chunk it is done with its current one
   * (`Maildrop.read`), so that buffer takes the read after. A 10 MiB message then costs two
   * allocations, not forty: fresh memory is paid page by page and collected by the garbage
   * collector (docs/performance.md).
   */
  async *#stream(index: number): AsyncGenerator<Uint8Array> {
    const { fd, size } = this.#openMessage(index);
    let ahead: Promise<Uint8Array> | undefined;
    try {
      if (size <= SYNC_READ_OCTETS) {
        const buffer = new Uint8Array(size);
        const bytesRead = size === 0 ? 0 : readSync(fd, buffer, 0, size, 0);
        if (bytesRead > 0) yield buffer.subarray(0, bytesRead);
        return;
      }
      // Not zero-filled: each read overwrites the part of the buffer it hands out.
      const length = Math.min(MESSAGE_CHUNK_OCTETS, size);
      let spare = Buffer.allocUnsafe(length);
      let next = Buffer.allocUnsafe(length);
      const readChunk = async (buffer: Buffer, offset: number): Promise<Uint8Array> => {
        const wanted = Math.min(length, size - offset);
        if (wanted <= 0) return new Uint8Array(0);
        const bytesRead = await readAt({ fd, buffer, length: wanted, position: offset });
        return buffer.subarray(0, bytesRead);
      };
      ahead = readChunk(next, 0);
      let offset = 0;
      while (ahead !== undefined) {
        const chunk: Uint8Array = await ahead;
        ahead = undefined;
        // Shorter than the file was at open: cut since; what was read is all there is.
        if (chunk.length === 0) break;
        offset += chunk.length;
        // This chunk's buffer becomes `spare`; the one handed out before it (the reader has
        // asked for more, so it is done with it) takes the next read.
        [spare, next] = [next, spare];
        if (offset < size) ahead = readChunk(next, offset);
        yield chunk;
      }
    } catch (error) {
      throw toStoreError({ error, message: `cannot read message ${index + 1}` });
    } finally {
      // A read still in flight (the reader stopped early) must end before the close.
      await ahead?.catch(() => undefined);
      closeSync(fd);
    }
  }

  #openMessage(index: number): { fd: number; size: number } {
    const entry = this.#entry(index);
    try {
      // Not the listed regular file any more (a symlink, a FIFO or another file put in its
      // place, or a folder swapped for a link: no file elsewhere has the listed device and
      // inode): treated as vanished.
      const opened = openMessageFile(entryPath({ folders: this.#folders, entry }), entry);
      if (opened !== undefined) return { fd: opened.fd, size: opened.stats.size };
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") {
        throw toStoreError({ error, message: `cannot open message ${index + 1}` });
      }
    }
    let moved: string | Buffer | undefined;
    try {
      moved = this.#relocate(index);
    } catch {
      moved = undefined;
    }
    if (moved !== undefined) {
      try {
        const opened = openMessageFile(moved, entry);
        if (opened !== undefined) return { fd: opened.fd, size: opened.stats.size };
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
      await this.#folders.pin();
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
      const file = entryPath({ folders: this.#folders, entry });
      if (this.#unlinkIfListed(file, entry)) return undefined;
    } catch (error) {
      if (errnoCode(error) !== "ENOENT") return error;
    }
    try {
      const moved = this.#relocate(index);
      if (moved !== undefined) {
        await this.#folders.verify(this.#entry(index).dir);
        this.#unlinkIfListed(moved, entry);
      }
      return undefined;
    } catch (error) {
      return errnoCode(error) === "ENOENT" ? undefined : error;
    }
  }

  /** Unlinks `file` if it is the listed message; false (nothing done) when it is another. */
  #unlinkIfListed(file: string | Buffer, entry: HeldEntry): boolean {
    if (!sameFile(lstatSync(file), entry)) return false;
    unlinkSync(file);
    return true;
  }

  /**
   * Finds the current file of message `index` by its unique name in `cur/`, then `new/`,
   * skipping the files of the other messages of the snapshot (so duplicates stay apart).
   */
  #relocate(index: number): string | Buffer | undefined {
    const entry = this.#entry(index);
    const { uniqueName } = parseMaildirName(entry.fileName);
    const others = new Set(
      this.#entries.filter((_, i) => i !== index).map((e) => `${e.dir}/${e.fileName}`),
    );
    for (const dir of ["cur", "new"] as const) {
      const folder = this.#folders.path(dir);
      let names: string[];
      try {
        names = listNames(folder);
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw error;
        names = [];
      }
      for (const name of names) {
        if (parseMaildirName(name).uniqueName === uniqueName && !others.has(`${dir}/${name}`)) {
          this.#entries[index] = { ...entry, dir, fileName: name };
          return filePath(folder, name);
        }
      }
    }
    return undefined;
  }

  #entry(index: number): HeldEntry {
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
