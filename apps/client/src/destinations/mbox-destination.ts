import { createHash } from "node:crypto";
import { constants, type FileHandle, open } from "node:fs/promises";
import type { StateFile } from "../state/state-file.ts";
import { BufferedFileWriter } from "./buffered-file-writer.ts";
import { crashPoint } from "./crash-point.ts";
import { CrlfToLf } from "./crlf-to-lf.ts";
import { acquireDotlock } from "./dotlock.ts";
import { localWriteError, writingLocally, writingLocallySync } from "./local-write-error.ts";
import { MboxrdMessage } from "./mboxrd-message.ts";
import { writeAll } from "./write-all.ts";

/** How long a `.lock` may sit untouched before it is stale (liblockfile's 5 minutes). */
export const MBOX_LOCK_STALE_MS = 5 * 60 * 1000;
/** How long to wait for a mail reader or MDA holding the mbox lock. */
const MBOX_LOCK_WAIT_MS = 30 * 1000;
const COPY_CHUNK = 64 * 1024;

/**
 * An mbox file (mboxrd) that apop appends to, one message at a time:
 *
 * 1. the message streams into the spool file (beside the state file), already in its mboxrd
 *    form (`MboxrdMessage`), and is fsync'd. The mbox is not locked while the network is slow;
 * 2. the dot-lock `<mbox>.lock` is taken (`acquireDotlock`). Node has no fcntl(2), so no
 *    fcntl/flock lock is taken: readers that rely only on fcntl locks (and not on dot-locks)
 *    are not excluded. mutt, procmail, Dovecot and the liblockfile family honour dot-locks;
 * 3. a journal entry (UID, mbox length before, spool length and SHA-256) is saved in the
 *    state file (fsync'd);
 * 4. the spool is appended at the old end (after a newline or two if the mbox did not end
 *    with an empty line), and the mbox fsync'd. If any write fails the mbox is truncated back
 *    to its old length (and fsync'd), the journal cleared, and the failure is exit 7;
 * 5. the UID is recorded and the journal cleared in one save of the state file;
 * 6. the lock is released. Only now may the caller DELE the message.
 *
 * A crash between 4 and 5 leaves a journal: the next run (`recoverMboxJournal`) compares
 * the mbox with it and records the UID if the message is there whole, so it is not fetched
 * twice.
 */
export class MboxDestination {
  readonly path: string;
  readonly #state: StateFile;
  readonly #spool: string;

  constructor(options: { path: string; state: StateFile; spool: string }) {
    this.path = options.path;
    this.#state = options.state;
    this.#spool = options.spool;
  }

  /** Delivers one message (see the class comment). `size` is its LIST size, for the record. */
  async deliver(options: {
    readonly uid: string;
    readonly size: number;
    readonly body: AsyncIterable<Uint8Array>;
    readonly onBytes: (count: number) => void;
  }): Promise<void> {
    const spooled = await this.#spoolMessage(options.body, options.onBytes);
    crashPoint("mbox-after-spool");
    const lock = await acquireDotlock({
      path: `${this.path}.lock`,
      what: `the mbox ${this.path}`,
      staleAfterMs: MBOX_LOCK_STALE_MS,
      waitMs: MBOX_LOCK_WAIT_MS,
    });
    try {
      await this.#append(options.uid, options.size, spooled);
    } finally {
      await lock.release();
    }
  }

  async #spoolMessage(
    body: AsyncIterable<Uint8Array>,
    onBytes: (count: number) => void,
  ): Promise<{ length: number; sha256: string }> {
    const path = this.#spool;
    const write = { what: "write the spool file", path };
    const handle = await writingLocally(write, () => open(path, "w", 0o600));
    try {
      const hash = createHash("sha256");
      let length = 0;
      const lines = new CrlfToLf();
      const message = new MboxrdMessage({ now: new Date() });
      const file = new BufferedFileWriter(handle.fd);
      const put = (bytes: Uint8Array): void => {
        hash.update(bytes);
        length += bytes.length;
        writingLocallySync(write, () => file.write(bytes));
      };
      for await (const chunk of body) {
        onBytes(chunk.length);
        put(message.push(lines.push(chunk)));
      }
      put(message.push(lines.end()));
      put(message.end());
      writingLocallySync(write, () => file.flush());
      await writingLocally(write, () => handle.sync());
      return { length, sha256: hash.digest("hex") };
    } finally {
      await handle.close().catch(() => {});
    }
  }

  async #append(
    uid: string,
    size: number,
    spooled: { length: number; sha256: string },
  ): Promise<void> {
    const path = this.path;
    const mbox = await writingLocally({ what: "open the mbox", path }, () =>
      open(path, constants.O_RDWR | constants.O_CREAT, 0o600),
    );
    try {
      const offset = (await writingLocally({ what: "read the mbox", path }, () => mbox.stat()))
        .size;
      const prefix = await separatorNeeded(mbox, offset);
      this.#state.journal = {
        uid,
        size,
        mbox: path,
        offset,
        prefix,
        spool: this.#spool,
        spoolLength: spooled.length,
        spoolSha256: spooled.sha256,
      };
      await this.#state.save();
      crashPoint("mbox-after-journal");
      try {
        await this.#copySpool(mbox, offset, prefix, spooled.length);
        await mbox.sync();
      } catch (error) {
        await this.#undo(mbox, offset, error);
      }
      crashPoint("mbox-after-append");
      this.#state.record(uid, size, new Date());
      this.#state.journal = null;
      await this.#state.save();
    } finally {
      await mbox.close().catch(() => {});
    }
  }

  async #copySpool(
    mbox: FileHandle,
    offset: number,
    prefix: string,
    length: number,
  ): Promise<void> {
    let position = (await writeAll(mbox, Buffer.from(prefix, "latin1"), offset)) as number;
    const spool = await open(this.#spool, "r");
    try {
      const buffer = Buffer.alloc(COPY_CHUNK);
      let copied = 0;
      let halfway = false;
      while (copied < length) {
        const { bytesRead } = await spool.read(
          buffer,
          0,
          Math.min(COPY_CHUNK, length - copied),
          copied,
        );
        if (bytesRead === 0) throw new Error("the spool file is shorter than written");
        position = (await writeAll(mbox, buffer.subarray(0, bytesRead), position)) as number;
        copied += bytesRead;
        if (!halfway && copied * 2 >= length) {
          halfway = true;
          crashPoint("mbox-mid-append");
        }
      }
    } finally {
      await spool.close();
    }
  }

  /** A failed append: cut the mbox back to where it was, so no partial message stays. */
  async #undo(mbox: FileHandle, offset: number, error: unknown): Promise<never> {
    try {
      await mbox.truncate(offset);
      await mbox.sync();
    } catch {
      // The journal stays: the next run finds the partial message and removes it.
      throw localWriteError({
        what: `append to (and then truncate back to ${offset} bytes) the mbox`,
        path: this.path,
        error,
      });
    }
    this.#state.journal = null;
    await this.#state.save().catch(() => {});
    throw localWriteError({ what: "append to the mbox", path: this.path, error });
  }
}

/**
 * What must come before the next `From ` line so it starts a line after an empty line: nothing
 * for an empty mbox or one ending in an empty line, else one or two LFs.
 */
async function separatorNeeded(mbox: FileHandle, length: number): Promise<string> {
  if (length === 0) return "";
  const tail = Buffer.alloc(Math.min(2, length));
  await mbox.read(tail, 0, tail.length, length - tail.length);
  if (tail.length === 1) return tail[0] === LF ? "\n" : "\n\n";
  if (tail[1] !== LF) return "\n\n";
  return tail[0] === LF ? "" : "\n";
}

const LF = 0x0a;
