import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import type { StateFile } from "../state/state-file.ts";
import { acquireDotlock } from "./dotlock.ts";
import { writingLocally } from "./local-write-error.ts";
import { MBOX_LOCK_STALE_MS } from "./mbox-destination.ts";

const CHUNK = 64 * 1024;

/**
 * Finishes the bookkeeping of an mbox append that a crash interrupted (see
 * `MboxDestination`). The journal says where the message was going (mbox length before,
 * separator, spool length and hash); under the mbox lock, the mbox now shows one of:
 *
 * - its old length: nothing was appended; the message will be fetched again;
 * - the whole message at that offset (separator and spool bytes, same hash): the append
 *   completed; the UID is recorded now, so the message is not fetched twice;
 * - a strict prefix of the message and nothing after it: the append was cut short; the mbox
 *   is truncated back to its old length and the message will be fetched again;
 * - anything else (a mail reader rewrote the mbox since): apop cannot tell, warns, and
 *   fetches the message again. This is the one case that can give a duplicate, never a loss:
 *   it needs a crash in the instant between the mbox fsync and the state save, then a
 *   rewrite of the mbox before the next run.
 *
 * Then the journal is cleared and the state saved.
 */
export async function recoverMboxJournal(options: {
  readonly state: StateFile;
  readonly warn: (message: string) => void;
}): Promise<void> {
  const { state, warn } = options;
  const journal = state.journal;
  if (journal === null) return;
  const path = journal.mbox;
  const lock = await acquireDotlock({
    path: `${path}.lock`,
    what: `the mbox ${path}`,
    staleAfterMs: MBOX_LOCK_STALE_MS,
    waitMs: 30_000,
  });
  try {
    await writingLocally({ what: "check the mbox", path }, async () => {
      const mbox = await open(path, "r+").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return null;
        throw error;
      });
      if (mbox === null) {
        warn(`${path} is gone; message ${journal.uid} will be fetched again`);
        return;
      }
      try {
        const length = (await mbox.stat()).size;
        const total = journal.prefix.length + journal.spoolLength;
        if (length === journal.offset) return;
        if (length >= journal.offset + total && (await holdsMessage(mbox, journal))) {
          state.record(journal.uid, journal.size, new Date());
          return;
        }
        // Rare (a crash mid-append), so the spool is simply read whole.
        const spool =
          length > journal.offset && length < journal.offset + total
            ? await readSpool(journal.spool, journal.spoolLength, journal.spoolSha256)
            : null;
        const expected =
          spool === null ? null : Buffer.concat([Buffer.from(journal.prefix, "latin1"), spool]);
        if (expected !== null && (await isPrefix(mbox, journal.offset, length, expected))) {
          await mbox.truncate(journal.offset);
          await mbox.sync();
          warn(
            `removed the partial message ${journal.uid} an interrupted run left at the end of ${path}`,
          );
          return;
        }
        warn(
          `cannot tell whether message ${journal.uid} reached ${path} before the last run stopped (the mbox changed since); fetching it again, so it may appear twice`,
        );
      } finally {
        await mbox.close();
      }
    });
    state.journal = null;
    await state.save();
  } finally {
    await lock.release();
  }
}

/** The spool's bytes if it still holds exactly the journalled message, else null. */
async function readSpool(path: string, length: number, sha256: string): Promise<Buffer | null> {
  try {
    const handle = await open(path, "r");
    try {
      if ((await handle.stat()).size !== length) return null;
      const bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, 0);
      return createHash("sha256").update(bytes).digest("hex") === sha256 ? bytes : null;
    } finally {
      await handle.close();
    }
  } catch {
    return null;
  }
}

async function holdsMessage(
  mbox: FileHandle,
  journal: { offset: number; prefix: string; spoolLength: number; spoolSha256: string },
): Promise<boolean> {
  const prefix = Buffer.alloc(journal.prefix.length);
  await mbox.read(prefix, 0, prefix.length, journal.offset);
  if (prefix.toString("latin1") !== journal.prefix) return false;
  const hash = createHash("sha256");
  const buffer = Buffer.alloc(CHUNK);
  let position = journal.offset + prefix.length;
  let left = journal.spoolLength;
  while (left > 0) {
    const { bytesRead } = await mbox.read(buffer, 0, Math.min(CHUNK, left), position);
    if (bytesRead === 0) return false;
    hash.update(buffer.subarray(0, bytesRead));
    position += bytesRead;
    left -= bytesRead;
  }
  return hash.digest("hex") === journal.spoolSha256;
}

async function isPrefix(
  mbox: FileHandle,
  offset: number,
  length: number,
  expected: Buffer,
): Promise<boolean> {
  const actual = Buffer.alloc(length - offset);
  await mbox.read(actual, 0, actual.length, offset);
  return expected.subarray(0, actual.length).equals(actual);
}
