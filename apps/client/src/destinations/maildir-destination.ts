import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Account } from "../state/account.ts";
import { BufferedFileWriter } from "./buffered-file-writer.ts";
import { crashPoint } from "./crash-point.ts";
import { CrlfToLf } from "./crlf-to-lf.ts";
import { fsyncDirectory } from "./fsync-directory.ts";
import { isProcessAlive } from "./is-process-alive.ts";
import { writingLocally } from "./local-write-error.ts";
import {
  formatMaildirFileName,
  maildirHostName,
  parseMaildirFileName,
} from "./maildir-file-name.ts";
import { uidKey } from "./uid-key.ts";

/** The Maildir convention: a tmp/ file untouched this long is a dead delivery. */
const DEAD_TMP_AFTER_MS = 36 * 60 * 60 * 1000;

/**
 * A Maildir that apop delivers into, the way qmail defined it (cr.yp.to/proto/maildir.html),
 * so that a message is either wholly in `new/` or not there at all:
 *
 * 1. the message streams into `tmp/<name>` (created O_EXCL, mode 0600), CRLF turned to LF;
 * 2. the file is fsync'd and closed;
 * 3. it is renamed into `new/<name>` (atomic: readers never see a partial message);
 * 4. `new/` is fsync'd, so the rename itself survives a power loss.
 *
 * Only then is the delivery done, and only then may the caller DELE the message. The name
 * carries the account tag and the UID key (`maildir-file-name.ts`), so `open` knows from
 * `new/` and `cur/` alone which UIDs are here, even when the state file was not saved
 * before a crash. A crash before step 3 leaves a file in `tmp/`, which no mail reader counts;
 * `open` removes apop's own dead ones.
 *
 * Every file-system failure is `CliError` exit 7; failures of the message stream (the
 * network) pass through unchanged, after the tmp/ file is removed.
 */
export class MaildirDestination {
  readonly directory: string;
  readonly #account: Account;
  readonly #present: Set<string>;
  #counter = 0;

  private constructor(directory: string, account: Account, present: Set<string>) {
    this.directory = directory;
    this.#account = account;
    this.#present = present;
  }

  /**
   * Creates `new/ cur/ tmp/` if missing (mode 0700), removes dead apop files from `tmp/` (of
   * this mailbox, written on this host by a process that is gone, or older than 36 hours),
   * and reads which UIDs of this mailbox `new/` and `cur/` already hold.
   */
  static async open(options: { directory: string; account: Account }): Promise<MaildirDestination> {
    const { directory, account } = options;
    const present = new Set<string>();
    await writingLocally({ what: "prepare the Maildir", path: directory }, async () => {
      for (const sub of ["tmp", "new", "cur"])
        await mkdir(join(directory, sub), { recursive: true, mode: 0o700 });
      await removeDeadTemporaries(join(directory, "tmp"), account);
      for (const sub of ["new", "cur"]) {
        for (const name of await readdir(join(directory, sub))) {
          const parsed = parseMaildirFileName(name);
          if (parsed !== null && parsed.accountTag === account.tag) present.add(parsed.uidKey);
        }
      }
    });
    return new MaildirDestination(directory, account, present);
  }

  /** Is a message with this UID of this mailbox already in `new/` or `cur/`? */
  has(uid: string): boolean {
    return this.#present.has(uidKey(uid));
  }

  /**
   * Delivers one message (see the class comment for the steps). `onBytes` hears how many
   * bytes arrived, for the progress bar. Resolves once the message is durable in `new/`.
   */
  async deliver(options: {
    readonly uid: string;
    readonly body: AsyncIterable<Uint8Array>;
    readonly onBytes: (count: number) => void;
  }): Promise<void> {
    const key = uidKey(options.uid);
    const name = formatMaildirFileName({
      nowMs: Date.now(),
      pid: process.pid,
      counter: ++this.#counter,
      accountTag: this.#account.tag,
      uidKey: key,
      host: hostname(),
    });
    const temporary = join(this.directory, "tmp", name);
    const final = join(this.directory, "new", name);
    const write = { what: "write the message to", path: temporary };
    const handle = await writingLocally(write, () => open(temporary, "wx", 0o600));
    let closed = false;
    try {
      const lines = new CrlfToLf();
      const file = new BufferedFileWriter(handle);
      for await (const chunk of options.body) {
        options.onBytes(chunk.length);
        await writingLocally(write, () => file.write(lines.push(chunk)));
      }
      await writingLocally(write, async () => {
        await file.write(lines.end());
        await file.flush();
      });
      crashPoint("maildir-after-write");
      await writingLocally({ what: "sync", path: temporary }, () => handle.sync());
      closed = true;
      await writingLocally({ what: "close", path: temporary }, () => handle.close());
      await writingLocally({ what: "move the message into", path: final }, () =>
        rename(temporary, final),
      );
    } catch (error) {
      if (!closed) await handle.close().catch(() => {});
      await unlink(temporary).catch(() => {});
      throw error;
    }
    crashPoint("maildir-after-rename");
    await writingLocally({ what: "sync the directory", path: join(this.directory, "new") }, () =>
      fsyncDirectory(join(this.directory, "new")),
    );
    this.#present.add(key);
    crashPoint("maildir-after-deliver");
  }
}

/**
 * Removes apop's unfinished deliveries of this mailbox from `tmp/`: those written on this
 * host by a process that no longer runs (the pid is in the name), and any older than 36
 * hours. A live process's file is left alone: another apop may be writing it right now.
 */
async function removeDeadTemporaries(tmp: string, account: Account): Promise<void> {
  const here = maildirHostName(hostname());
  for (const name of await readdir(tmp)) {
    const parsed = parseMaildirFileName(name);
    if (parsed === null || parsed.accountTag !== account.tag) continue;
    const path = join(tmp, name);
    const stats = await stat(path).catch(() => null);
    if (stats === null) continue;
    const dead =
      parsed.host === here && (parsed.pid === process.pid || !isProcessAlive(parsed.pid));
    if (dead || Date.now() - stats.mtimeMs > DEAD_TMP_AFTER_MS) await unlink(path).catch(() => {});
  }
}
