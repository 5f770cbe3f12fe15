/**
 * Gives mail that Dovecot has not indexed yet its Dovecot UID, so that both servers show the
 * same UIDL for it later (docs/scaling.md, "Beside Dovecot"). As Dovecot 2.3 does for new
 * mail (src/lib-storage/index/maildir/maildir-uidlist.c, `maildir_uidlist_sync_update`): under
 * the dotlock `dovecot-uidlist.lock`, re-read the file, then append one line per new message,
 * `<uid> :<base file name>`, UIDs counting up from the header's next UID (`N`) or past the last
 * record, whichever is higher; the header is left alone (Dovecot raises its next UID past the
 * highest record it reads), and the file is synced before the lock goes.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreError } from "@apop/core";
import { acquireDovecotDotlock, type DovecotDotlock } from "./dovecot-dotlock.ts";
import {
  type DovecotUidlist,
  type DovecotUidlistRecord,
  NO_EXTENSIONS,
  parseDovecotUidlistFor,
} from "./parse-dovecot-uidlist.ts";
import { type MaildirName, parseMaildirName } from "./parse-maildir-name.ts";
import { readDovecotUidlist } from "./read-dovecot-uidlist.ts";

/** Dovecot's MAILDIR_UIDLIST_LOCK_STALE_TIMEOUT: 2 minutes. */
const UIDLIST_LOCK_STALE_MS = 120_000;

const APPEND_FLAGS =
  constants.O_WRONLY |
  constants.O_APPEND |
  constants.O_NOFOLLOW |
  constants.O_NONBLOCK |
  constants.O_NOCTTY;

/** A base name Dovecot reads back as it was written: printable ASCII, no `/`, no `:`. */
const PLAIN_NAME = /^[\x21-\x2e\x30-\x39\x3b-\x7e]+$/;

/** The messages of `messages` that `uidlist` has no record for, by Maildir unique name. */
export function unlistedMessages(
  uidlist: DovecotUidlist,
  messages: readonly MaildirName[],
): MaildirName[] {
  const known = new Set(
    uidlist.records.map((record) => parseMaildirName(record.fileName).uniqueName),
  );
  return messages.filter((message) => !known.has(message.uniqueName));
}

/**
 * Appends records for the messages the uidlist at `file` lacks, under Dovecot's dotlock, and
 * answers the uidlist as it is then. Writes nothing, and answers what it read, when the file is
 * not version 3 with a UIDVALIDITY, or does not end with a newline (a torn write: appending
 * would join two lines, and Dovecot deletes a file it cannot parse, renumbering everything).
 * Answers `undefined` when the file has gone. Waits up to `lockWaitMs` while Dovecot holds the
 * lock (it does only while it syncs), then throws `StoreError` `sys-temp`.
 */
export async function appendDovecotUidlist(options: {
  readonly file: string;
  readonly messages: readonly MaildirName[];
  readonly lockWaitMs: number;
}): Promise<DovecotUidlist | undefined> {
  const { file } = options;
  const lock = await takeUidlistLock(`${file}.lock`, options.lockWaitMs);
  try {
    const { messages } = options;
    const read = readDovecotUidlist({ file, messageCount: messages.length });
    if (read === undefined) return undefined;
    const { text } = read;
    const uidlist = parseDovecotUidlistFor({
      text,
      uniqueNames: new Set(messages.map((message) => message.uniqueName)),
    });
    if (uidlist === undefined) return uidlist;
    if (uidlist.version !== 3 || uidlist.uidValidity === undefined || !text.endsWith("\n"))
      return uidlist;
    const fresh = unlistedMessages(uidlist, messages).filter((message) =>
      PLAIN_NAME.test(message.base),
    );
    if (fresh.length === 0) return uidlist;
    // The highest UID of all records, kept or not, as the parser counted it (a loop: not
    // `Math.max(...uids)`, which overflows the stack above some 120,000 records).
    let uid = Math.max(uidlist.nextUid ?? 1, uidlist.afterLastUid);
    const added: DovecotUidlistRecord[] = fresh.map((message) => ({
      uid: uid++,
      extensions: NO_EXTENSIONS,
      fileName: message.base,
    }));
    // Appended only to the very file just read: never through a link, never to a FIFO.
    const handle = await open(file, APPEND_FLAGS);
    try {
      const now = await handle.stat();
      if (!now.isFile() || now.ino !== read.found.ino || now.dev !== read.found.dev) {
        throw new StoreError({
          code: "sys-temp",
          message: "dovecot-uidlist was replaced while locked",
        });
      }
      await handle.writeFile(added.map((record) => `${record.uid} :${record.fileName}\n`).join(""));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return { ...uidlist, records: [...uidlist.records, ...added] };
  } finally {
    await lock.release();
  }
}

async function takeUidlistLock(file: string, waitMs: number): Promise<DovecotDotlock> {
  const deadline = Date.now() + waitMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 500)) {
    try {
      return await acquireDovecotDotlock({
        file,
        staleAfterMs: UIDLIST_LOCK_STALE_MS,
        refreshMs: UIDLIST_LOCK_STALE_MS / 4,
        busy: "Dovecot holds dovecot-uidlist.lock",
      });
    } catch (error) {
      if (!StoreError.isInstance(error) || error.code !== "in-use") throw error;
      if (Date.now() >= deadline) {
        throw new StoreError({
          code: "sys-temp",
          message: "Dovecot holds dovecot-uidlist.lock; try again later",
          cause: error,
        });
      }
    }
    await sleep(pause);
  }
}
