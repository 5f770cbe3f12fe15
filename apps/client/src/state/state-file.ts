import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import { CliError } from "@apop/cli-kit";
import * as z from "zod/mini";
import { ExitCode } from "../cli/exit-code.ts";
import { AUTH_METHODS, type AuthMethod } from "../cli/parse-arguments.ts";
import { fsyncDirectory } from "../destinations/fsync-directory.ts";
import { localWriteError, writingLocally } from "../destinations/local-write-error.ts";
import { fsyncFd } from "../destinations/fsync-fd.ts";
import { writeAllSync } from "../destinations/write-all.ts";
import type { Account } from "./account.ts";

/** How long a UID no longer listed by the server is remembered (getmail6 keeps 30 days). */
const FORGET_AFTER_MS = 30 * 24 * 60 * 60 * 1000;

/** The methods `auto` may remember: every `--auth` method but `auto`. */
const LOGIN_METHODS = AUTH_METHODS.filter(
  (method): method is Exclude<AuthMethod, "auto"> => method !== "auto",
) as [Exclude<AuthMethod, "auto">, ...Exclude<AuthMethod, "auto">[]];
export type RememberedMethod = (typeof LOGIN_METHODS)[number];

/**
 * The state file's schema, built on first use rather than when the program loads (building
 * zod schemas costs milliseconds, and a first run has no state file to check).
 */
function buildStateSchema() {
  const uidRecordSchema = z.object({
    /** The LIST size when it was fetched. */
    size: z.int().check(z.nonnegative()),
    /** ISO time it was written locally. */
    fetched: z.string(),
    /** ISO time the server last listed it. */
    seen: z.string(),
  });

  /**
   * The mbox write in progress (see `mbox-destination.ts`): saved before the append, cleared
   * once the UID is recorded, so the next run can tell whether an interrupted append completed.
   */
  const mboxJournalSchema = z.object({
    uid: z.string(),
    size: z.int().check(z.nonnegative()),
    mbox: z.string(),
    /** The mbox length before the append. */
    offset: z.int().check(z.nonnegative()),
    /** Newlines written first, to end a previous message that lacked them. */
    prefix: z.string().check(z.regex(/^\n*$/)),
    /** The spool file holding exactly the bytes appended after the prefix. */
    spool: z.string(),
    spoolLength: z.int().check(z.nonnegative()),
    spoolSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  });
  const stateSchema = z.object({
    version: z.literal(1),
    account: z.string(),
    /** Set once a fetch logged in over TLS: RFC 8314 section 5.2, see `tls-latch.ts`. */
    tls: z.boolean(),
    /**
     * The login method that last worked (`auto` tries it first), remembered like the latch.
     * Absent in files written before it existed.
     */
    login: z.optional(z.enum(LOGIN_METHODS)),
    uids: z.record(z.string(), uidRecordSchema),
    journal: z.nullable(mboxJournalSchema),
  });
  return { stateSchema, mboxJournalSchema };
}

let schemas: ReturnType<typeof buildStateSchema> | null = null;
const stateSchemas = (): ReturnType<typeof buildStateSchema> => {
  schemas ??= buildStateSchema();
  return schemas;
};

export type MboxJournal = z.infer<ReturnType<typeof buildStateSchema>["mboxJournalSchema"]>;
type State = z.infer<ReturnType<typeof buildStateSchema>["stateSchema"]>;

/**
 * The per-account state file: which UIDs were written and synced locally, whether the
 * account has used TLS, and the mbox journal. JSON, mode 0600, replaced atomically on every
 * save (written beside it, fsync'd, renamed over it, directory fsync'd), so a crash leaves
 * either the old or the new file, never a torn one.
 */
export class StateFile {
  readonly path: string;
  readonly #state: State;

  private constructor(path: string, state: State) {
    this.path = path;
    this.#state = state;
  }

  /**
   * Reads the state of `account` from `path`; a missing file is an empty state. Throws
   * `CliError` exit 7 for an unreadable or damaged file, and exit 2 when the file belongs to
   * another account (a `--state` mix-up would otherwise skip or delete the wrong mail).
   */
  static async load(options: { path: string; account: Account }): Promise<StateFile> {
    const { path, account } = options;
    let text: string | null = null;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw localWriteError({ what: "read the state file", path, error });
      }
    }
    if (text === null) {
      return new StateFile(path, {
        version: 1,
        account: account.key,
        tls: false,
        uids: {},
        journal: null,
      });
    }
    let parsed: State;
    try {
      parsed = stateSchemas().stateSchema.parse(JSON.parse(text));
    } catch {
      throw new CliError({
        exitCode: ExitCode.localWrite,
        message: `the state file ${path} is damaged; move it away to start afresh (mail still on the server may then be fetched again)`,
      });
    }
    if (parsed.account !== account.key) {
      throw new CliError({
        exitCode: ExitCode.usage,
        message: `the state file ${path} belongs to ${parsed.account}, not ${account.key}`,
      });
    }
    return new StateFile(path, parsed);
  }

  /** Has this UID been written and synced locally by an earlier delivery? */
  has(uid: string): boolean {
    return Object.hasOwn(this.#state.uids, uid);
  }

  /** The LIST size recorded for a UID. */
  sizeOf(uid: string): number | undefined {
    return Object.hasOwn(this.#state.uids, uid) ? this.#state.uids[uid]?.size : undefined;
  }

  /** Records a UID as written and synced. Call `save` to make it durable. */
  record(uid: string, size: number, now: Date): void {
    const time = now.toISOString();
    this.#state.uids[uid] = { size, fetched: time, seen: time };
  }

  /**
   * Notes which UIDs the server lists now, and forgets those it has not listed for 30 days:
   * a server that lists only part of a mailbox for a while (Gmail's "recent" mode) does not
   * make apop fetch old mail again, and the file does not grow forever.
   */
  noteListed(uids: Iterable<string>, now: Date): void {
    const listed = new Set(uids);
    for (const [uid, record] of Object.entries(this.#state.uids)) {
      if (listed.has(uid)) record.seen = now.toISOString();
      else if (now.getTime() - Date.parse(record.seen) > FORGET_AFTER_MS) {
        delete this.#state.uids[uid];
      }
    }
  }

  get loginMethod(): RememberedMethod | undefined {
    return this.#state.login;
  }

  set loginMethod(value: RememberedMethod | undefined) {
    if (value === undefined) delete this.#state.login;
    else this.#state.login = value;
  }

  get tlsUsed(): boolean {
    return this.#state.tls;
  }

  set tlsUsed(value: boolean) {
    this.#state.tls = value;
  }

  get journal(): MboxJournal | null {
    return this.#state.journal;
  }

  set journal(value: MboxJournal | null) {
    this.#state.journal = value;
  }

  /** Replaces the file atomically and durably (see the class comment). Exit 7 on failure. */
  async save(): Promise<void> {
    const path = this.path;
    const temporary = `${path}.${process.pid}.tmp`;
    // Only the fsyncs go through the thread pool; the other calls take microseconds
    // (docs/performance.md).
    await writingLocally({ what: "write the state file", path }, async () => {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const fd = openSync(temporary, "w", 0o600);
      try {
        const bytes = Buffer.from(`${JSON.stringify(this.#state, null, 1)}\n`);
        writeAllSync(fd, bytes);
        await fsyncFd(fd);
      } catch (error) {
        try {
          closeSync(fd);
        } catch {}
        try {
          unlinkSync(temporary);
        } catch {}
        throw error;
      }
      closeSync(fd);
      renameSync(temporary, path);
      await fsyncDirectory(dirname(path));
    });
  }
}
