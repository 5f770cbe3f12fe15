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

/** `#delete`'s answer for a message no longer at its listed name. */
const MOVED: unique symbol = Symbol("moved");

/** Where a message file is now: its folder and file name (`#relocate`). */
interface Place {
  readonly dir: "cur" | "new";
  readonly name: string;
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
  /** The store's set of users with an open maildrop, and this one's user (`onEnd`). */
  #busy: Set<string> | undefined;
  #user = "";

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

  /**
   * Takes `user` out of `busy` when this maildrop ends (`commit` or `release`), exactly once:
   * the store keeps one open maildrop per user (`createMaildirStore`).
   */
  onEnd(busy: Set<string>, user: string): void {
    this.#busy = busy;
    this.#user = user;
  }

  #ended(): void {
    this.#busy?.delete(this.#user);
    this.#busy = undefined;
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
    try {
      // Through `tmp/` as seen at login, never through a link swapped in since: the temporary
      // file would be created, and renamed or removed, in the link's target.
      this.#folders.within("tmp", (tmp) =>
        writeLastLogin({ maildir: this.#folders.maildir, tmp, at }),
      );
    } catch (error) {
      throw toStoreError({ error, message: "cannot record the login time" });
    }
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
      // The second buffer only once a second read is due: a message of one chunk, the usual
      // case above SYNC_READ_OCTETS, is read once.
      let spare: Buffer | null = null;
      let next: Buffer = Buffer.allocUnsafe(length);
      const readChunk = async (buffer: Buffer, offset: number): Promise<Uint8Array> => {
        const wanted = Math.min(length, size - offset);
        if (wanted <= 0) return new Uint8Array(0);
        const bytesRead = await readAt({ fd, buffer, length: wanted, position: offset });
        return buffer.subarray(0, bytesRead);
      };
      ahead = readChunk(next, 0);
      // Handled now, awaited later: a read ahead that fails while the reader holds the
      // previous chunk must not count as an unhandled rejection (which ends a Node process).
      ahead.catch(ignore);
      let offset = 0;
      while (ahead !== undefined) {
        const chunk: Uint8Array = await ahead;
        ahead = undefined;
        // Shorter than the file was at open: cut since; what was read is all there is.
        if (chunk.length === 0) break;
        offset += chunk.length;
        // This chunk's buffer becomes `spare`; the one handed out before it (the reader has
        // asked for more, so it is done with it) takes the next read, made at the first.
        const handedOutBefore = spare;
        spare = next;
        if (offset < size) {
          next = handedOutBefore ?? Buffer.allocUnsafe(length);
          ahead = readChunk(next, offset);
          ahead.catch(ignore);
        }
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
    // Not the listed regular file any more (a symlink, a FIFO or another file put in its
    // place): treated as moved, then as vanished. A folder swapped since login is never
    // followed (`MaildirFolders.within`): `sys-temp`.
    const opened = this.#openListed(index);
    if (opened !== undefined) return opened;
    try {
      this.#relocate([index]);
    } catch {
      // The folders cannot be listed now (gone, replaced): the message has vanished.
    }
    const moved = this.#openListed(index);
    if (moved !== undefined) return moved;
    throw new StoreError({ code: "sys-temp", message: `message ${index + 1} has vanished` });
  }

  /** Opens message `index` where it is listed now, or `undefined` when it is not there. */
  #openListed(index: number): { fd: number; size: number } | undefined {
    const entry = this.#entry(index);
    try {
      const opened = this.#folders.within(entry.dir, (folder) =>
        openMessageFile(filePath(folder, entry.fileName), entry),
      );
      return opened === undefined ? undefined : { fd: opened.fd, size: opened.stats.size };
    } catch (error) {
      if (StoreError.isInstance(error)) throw error;
      if (errnoCode(error) === "ENOENT") return undefined;
      throw toStoreError({ error, message: `cannot open message ${index + 1}` });
    }
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
      const moved: number[] = [];
      for (const index of indexes) {
        const outcome = await this.#delete(index);
        if (outcome === MOVED) moved.push(index);
        else if (outcome !== undefined) failures.push(outcome);
      }
      // Those no longer at their listed name are looked for all at once (`#relocate`).
      if (moved.length > 0) {
        try {
          this.#relocate(moved);
          for (const index of moved) {
            const outcome = await this.#delete(index);
            if (outcome !== undefined && outcome !== MOVED) failures.push(outcome);
          }
        } catch (error) {
          if (errnoCode(error) !== "ENOENT") failures.push(error);
        }
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
      this.#ended();
    }
  }

  /** Releases the lock; deletes nothing. Idempotent. */
  async release(): Promise<void> {
    this.#open = false;
    await this.#lock.release();
    await this.#folders.close();
    this.#ended();
  }

  /**
   * Deletes message `index` at its listed name; answers the error, if any, but ENOENT, or
   * `MOVED` when no file of that name is there. A file of that name that is not the one
   * listed (another device or inode) is left alone, and counts as moved.
   */
  async #delete(index: number): Promise<unknown> {
    const entry = this.#entry(index);
    try {
      await this.#folders.verify(entry.dir);
      const file = entryPath({ folders: this.#folders, entry });
      return this.#unlinkIfListed(file, entry) ? undefined : MOVED;
    } catch (error) {
      return errnoCode(error) === "ENOENT" ? MOVED : error;
    }
  }

  /** Unlinks `file` if it is the listed message; false (nothing done) when it is another. */
  #unlinkIfListed(file: string | Buffer, entry: HeldEntry): boolean {
    if (!sameFile(lstatSync(file), entry)) return false;
    unlinkSync(file);
    return true;
  }

  /**
   * Finds where the messages `indexes` are now, by their unique names, and records it in
   * `#entries` (an entry not found stays as it was). `cur/` and `new/` are listed once for all
   * of them, not once per message: a QUIT deleting n messages that all moved (a flag change
   * by another client moves each) would otherwise list n times and compare n names each time,
   * quadratic work a mailbox owner could make huge. Files of the other messages of the
   * snapshot are skipped, so duplicates stay apart; `cur/` before `new/`.
   */
  #relocate(indexes: readonly number[]): void {
    const found = new Map<string, Place[]>();
    for (const dir of ["cur", "new"] as const) {
      let names: string[];
      try {
        names = this.#folders.within(dir, listNames);
      } catch (error) {
        if (errnoCode(error) !== "ENOENT") throw error;
        names = [];
      }
      for (const name of names) {
        const { uniqueName } = parseMaildirName(name);
        const places = found.get(uniqueName);
        if (places === undefined) found.set(uniqueName, [{ dir, name }]);
        else places.push({ dir, name });
      }
    }
    const taken = new Set(this.#entries.map((e) => `${e.dir}/${e.fileName}`));
    const identified = new Map<string, Map<string, Place>>();
    for (const index of indexes) {
      const entry = this.#entry(index);
      const { uniqueName } = parseMaildirName(entry.fileName);
      // The file with this unique name that is this very file (a rename keeps device and
      // inode), not just any: a duplicate's file may carry the same unique name. Each is
      // looked at once, whatever the number of messages asking.
      let files = identified.get(uniqueName);
      if (files === undefined) {
        files = this.#identify(found.get(uniqueName) ?? []);
        identified.set(uniqueName, files);
      }
      const place = files.get(`${entry.dev}:${entry.ino}`);
      if (place === undefined || taken.has(`${place.dir}/${place.name}`)) continue;
      this.#entries[index] = { ...entry, dir: place.dir, fileName: place.name };
      taken.add(`${place.dir}/${place.name}`);
    }
  }

  /** The files at `places` by device and inode (`<dev>:<ino>`); those gone are left out. */
  #identify(places: readonly Place[]): Map<string, Place> {
    const files = new Map<string, Place>();
    for (const place of places) {
      try {
        const stats = this.#folders.within(place.dir, (folder) =>
          lstatSync(filePath(folder, place.name)),
        );
        files.set(`${compactInteger(stats.dev)}:${compactInteger(stats.ino)}`, place);
      } catch {
        // gone since the listing, or its folder replaced: not a candidate
      }
    }
    return files;
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

function ignore(): void {}
