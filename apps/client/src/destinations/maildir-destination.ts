import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "@apop/cli-kit";
import type { Account } from "../state/account.ts";
import { BufferedFileWriter } from "./buffered-file-writer.ts";
import { crashPoint } from "./crash-point.ts";
import { CrlfToLf } from "./crlf-to-lf.ts";
import { fsyncDirectory } from "./fsync-directory.ts";
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
 * Only then is the delivery done, and only then may the caller DELE the message. `stage` does
 * steps 1 to 3 and lets the caller go on to the next message while the file is synced and
 * renamed; `syncNew` then does step 4 once for every message staged so far (one directory sync
 * makes all their renames durable), and only after it are they delivered. The name
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
  /** Computed once: the host name and folders do not change during a run. */
  readonly #host = hostname();
  readonly #tmp: string;
  readonly #new: string;
  /** UID keys renamed into `new/` whose directory entry is not synced yet. */
  #renamed: string[] = [];
  #counter = 0;

  private constructor(directory: string, account: Account, present: Set<string>) {
    this.directory = directory;
    this.#account = account;
    this.#present = present;
    this.#tmp = join(directory, "tmp");
    this.#new = join(directory, "new");
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
    const { renamed } = await this.stage(options);
    await renamed;
    await this.syncNew();
  }

  /**
   * Steps 1 to 3 for one message: resolves once the whole body is in `tmp/` (the stream is
   * read to its end), with `renamed`, which settles once the file is synced, closed and
   * renamed into `new/` (rejecting with the `CliError` of a failed step, the `tmp/` file then
   * removed). The message is not delivered before `syncNew` after `renamed`.
   */
  async stage(options: {
    readonly uid: string;
    readonly body: AsyncIterable<Uint8Array>;
    readonly onBytes: (count: number) => void;
  }): Promise<{ readonly renamed: Promise<void> }> {
    const key = uidKey(options.uid);
    const name = formatMaildirFileName({
      nowMs: Date.now(),
      pid: process.pid,
      counter: ++this.#counter,
      accountTag: this.#account.tag,
      uidKey: key,
      host: this.#host,
    });
    const temporary = join(this.#tmp, name);
    const final = join(this.#new, name);
    const write = { what: "write the message to", path: temporary };
    const handle = await writingLocally(write, () => open(temporary, "wx", 0o600));
    const abandon = async (error: unknown, closed: boolean): Promise<never> => {
      if (!closed) await handle.close().catch(() => {});
      await unlink(temporary).catch(() => {});
      throw error;
    };
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
    } catch (error) {
      return abandon(error, false);
    }
    crashPoint("maildir-after-write");
    const renamed = (async () => {
      let closed = false;
      try {
        await writingLocally({ what: "sync", path: temporary }, () => handle.sync());
        closed = true;
        await writingLocally({ what: "close", path: temporary }, () => handle.close());
        await writingLocally({ what: "move the message into", path: final }, () =>
          rename(temporary, final),
        );
      } catch (error) {
        return abandon(error, closed);
      }
      this.#renamed.push(key);
      crashPoint("maildir-after-rename");
    })();
    // Awaited by the caller; until then a failure must not count as unhandled.
    renamed.catch(() => {});
    return { renamed };
  }

  /**
   * Step 4 for every message renamed into `new/` since the last call: one sync of `new/`
   * makes all those renames durable; they are delivered from now on.
   */
  async syncNew(): Promise<void> {
    const renamed = this.#renamed;
    if (renamed.length === 0) return;
    this.#renamed = [];
    await writingLocally({ what: "sync the directory", path: this.#new }, () =>
      fsyncDirectory(this.#new),
    );
    for (const key of renamed) this.#present.add(key);
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
