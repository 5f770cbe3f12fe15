import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "@apop/cli-kit";
import type { Account } from "../state/account.ts";
import { BufferedFileWriter } from "./buffered-file-writer.ts";
import { crashPoint } from "./crash-point.ts";
import { CrlfToLf } from "./crlf-to-lf.ts";
import { fsyncDirectory } from "./fsync-directory.ts";
import { fsyncFd } from "./fsync-fd.ts";
import { writingLocally, writingLocallySync } from "./local-write-error.ts";
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
 * step 1 and lets the caller go on to the next message; `deliver` then does steps 2 to 4 for
 * a batch of staged messages at once: their fsyncs run together, and one sync of `new/`
 * makes all their renames durable. On Linux file systems with a journal (ext4, XFS) every
 * fsync that finds unsynced metadata commits the journal, and while a commit runs, creating
 * or writing a file waits for it: fsyncs of a whole batch, issued together, share commits
 * where one fsync per message as soon as it is written costs one commit each. The name
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
    // Synchronous, like apop's other metadata calls: each takes microseconds, where a round
    // trip through the thread pool costs more (docs/performance.md).
    writingLocallySync({ what: "prepare the Maildir", path: directory }, () => {
      for (const sub of ["tmp", "new", "cur"])
        mkdirSync(join(directory, sub), { recursive: true, mode: 0o700 });
      removeDeadTemporaries(join(directory, "tmp"), account);
      for (const sub of ["new", "cur"]) {
        for (const name of readdirSync(join(directory, sub))) {
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
   * Step 1 for one message: resolves once the whole body is in `tmp/` (the stream is read to
   * its end), not yet synced; `deliver` finishes it. On a failure the `tmp/` file is removed.
   */
  async stage(options: {
    readonly uid: string;
    readonly body: AsyncIterable<Uint8Array>;
    readonly onBytes: (count: number) => void;
  }): Promise<StagedMessage> {
    const key = uidKey(options.uid);
    const name = formatMaildirFileName({
      nowMs: Date.now(),
      pid: process.pid,
      counter: ++this.#counter,
      accountTag: this.#account.tag,
      uidKey: key,
      host: this.#host,
    });
    // Plain concatenation, not path.join (which rescans the whole path): the name has no `/`.
    const temporary = `${this.#tmp}/${name}`;
    const write = { what: "write the message to", path: temporary };
    // open, write, close and rename are synchronous (see `BufferedFileWriter`): each takes
    // microseconds, where a trip through the thread pool costs more than the whole of a small
    // message. Only the fsyncs, which wait for the disk, go to the pool.
    const fd = writingLocallySync(write, () => openSync(temporary, "wx", 0o600));
    try {
      const lines = new CrlfToLf();
      const file = new BufferedFileWriter(fd);
      for await (const chunk of options.body) {
        options.onBytes(chunk.length);
        writingLocallySync(write, () => file.write(lines.push(chunk)));
      }
      writingLocallySync(write, () => {
        file.write(lines.end());
        file.flush();
      });
    } catch (error) {
      discard({ fd, temporary });
      throw error;
    }
    crashPoint("maildir-after-write");
    return { key, fd, temporary, final: `${this.#new}/${name}` };
  }

  /**
   * Steps 2 to 4 for staged messages: every file fsync'd (together) and closed, renamed into
   * `new/`, then one sync of `new/`. Resolves once all of them are delivered. On a failure
   * the files not yet renamed are removed from `tmp/`, and the first error is thrown; those
   * already renamed stay in `new/`, complete, and the next run recognises them by name.
   */
  async deliver(staged: readonly StagedMessage[]): Promise<void> {
    if (staged.length === 0) return;
    let renamed = 0;
    // Whether the file being renamed is closed: an fd is closed at most once, since its
    // number may already belong to a file opened since.
    let closed = false;
    try {
      const synced = await Promise.allSettled(
        staged.map((message) =>
          writingLocally({ what: "sync", path: message.temporary }, () => fsyncFd(message.fd)),
        ),
      );
      const failed = synced.find((result) => result.status === "rejected");
      if (failed !== undefined) throw failed.reason;
      for (const message of staged) {
        closed = true;
        writingLocallySync({ what: "close", path: message.temporary }, () => closeSync(message.fd));
        writingLocallySync({ what: "move the message into", path: message.final }, () =>
          renameSync(message.temporary, message.final),
        );
        renamed++;
        closed = false;
        crashPoint("maildir-after-rename");
      }
    } catch (error) {
      for (const [index, message] of staged.slice(renamed).entries()) {
        discard(message, { closed: index === 0 && closed });
      }
      throw error;
    }
    await writingLocally({ what: "sync the directory", path: this.#new }, () =>
      fsyncDirectory(this.#new),
    );
    for (const { key } of staged) this.#present.add(key);
    crashPoint("maildir-after-deliver");
  }
}

/** A message written to `tmp/` by `MaildirDestination.stage`, open, not yet synced. */
export interface StagedMessage {
  readonly key: string;
  readonly fd: number;
  readonly temporary: string;
  readonly final: string;
}

/** Closes (unless it is) and removes a `tmp/` file that will not be delivered. */
function discard(
  message: { readonly fd: number; readonly temporary: string },
  options: { readonly closed: boolean } = { closed: false },
): void {
  try {
    if (!options.closed) closeSync(message.fd);
  } catch {}
  try {
    unlinkSync(message.temporary);
  } catch {}
}

/**
 * Removes apop's unfinished deliveries of this mailbox from `tmp/`: those written on this
 * host by a process that no longer runs (the pid is in the name), and any older than 36
 * hours. A live process's file is left alone: another apop may be writing it right now.
 */
function removeDeadTemporaries(tmp: string, account: Account): void {
  const here = maildirHostName(hostname());
  for (const name of readdirSync(tmp)) {
    const parsed = parseMaildirFileName(name);
    if (parsed === null || parsed.accountTag !== account.tag) continue;
    const path = join(tmp, name);
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) continue;
    const dead =
      parsed.host === here && (parsed.pid === process.pid || !isProcessAlive(parsed.pid));
    if (dead || Date.now() - stats.mtimeMs > DEAD_TMP_AFTER_MS) {
      try {
        unlinkSync(path);
      } catch {}
    }
  }
}
