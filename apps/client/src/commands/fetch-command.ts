import { mkdirSync, unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CliError } from "@apop/cli-kit";
import { type Pop3Client, RemoteProtocolError } from "@apop/core";
import { classifyError } from "../cli/classify-error.ts";
import type { CliContext } from "../cli/cli-context.ts";
import { ExitCode } from "../cli/exit-code.ts";
import { formatBytes } from "../cli/format-bytes.ts";
import type { CliOptions } from "../cli/parse-arguments.ts";
import { plural } from "../cli/plural.ts";
import { ProgressBar } from "../cli/progress-bar.ts";
import { crashPoint } from "../destinations/crash-point.ts";
import { acquireDotlock } from "../destinations/dotlock.ts";
import { FreeSpaceGuard } from "../destinations/free-space-guard.ts";
import { writingLocallySync } from "../destinations/local-write-error.ts";
import { MaildirBatches } from "../destinations/maildir-batches.ts";
import { MaildirDestination } from "../destinations/maildir-destination.ts";
import { MboxDestination } from "../destinations/mbox-destination.ts";
import { recoverMboxJournal } from "../destinations/recover-mbox-journal.ts";
import { abandonSession } from "../session/end-session.ts";
import { openSession } from "../session/open-session.ts";
import { type LoginPlan, prepareLogin } from "../session/prepare-login.ts";
import { ACCOUNT_LOCK_REFRESH_MS, ACCOUNT_LOCK_STALE_MS } from "../state/account-lock.ts";
import { StateFile } from "../state/state-file.ts";
import { checkTlsLatch } from "../state/tls-latch.ts";
import { type ListedMessage, readListing, trackedUid, untrackedReason } from "./read-listing.ts";

/** A Maildir run saves the state file at most this often (the Maildir is the real record). */
const MAILDIR_STATE_SAVE_MS = 2000;
/**
 * A message at least this large (by LIST) takes a while to arrive: the messages staged
 * before it are delivered first rather than after it.
 */
const MAILDIR_LARGE_OCTETS = 256 * 1024;

/**
 * The most a RETR may send for a message LIST gave as `size` octets: twice that (a server
 * that counts sizes on disk, with LF line ends, as Dovecot's `pop3_fast_size_lookups` does,
 * sends up to twice as much once every LF is CRLF), plus 1 MiB for headers added on the way
 * out. A server past it is cut off (the connection closed, nothing of the message kept): one
 * that streams without end must not fill the disk, and one that cannot count has misled us
 * (RFC 1939 section 11; python/cpython#95252). Never more than `max` (`--max-message-size`),
 * so the announced size alone cannot set the disk budget.
 */
export function retrLimit(options: { size: number; max: number }): number {
  return Math.min(2 * options.size + 1024 * 1024, options.max);
}

type Destination =
  | { readonly kind: "maildir"; readonly maildir: MaildirDestination }
  | { readonly kind: "mbox"; readonly mbox: MboxDestination };

/**
 * `apop fetch <url>`: downloads the messages whose UIDs are not yet local into a Maildir
 * (default `$MAILDIR`, else `~/Maildir`) or an mbox, and with `--delete` removes from the
 * server what is safely local.
 *
 * The order that makes a crash at any instant harmless (no half message, no duplicate, no
 * loss):
 * 1. take the account lock (`<state>.lock`): a second apop for the same account waits for
 *    nothing and exits 5, even on servers that do not lock the maildrop;
 * 2. load the state, finish an interrupted mbox append (`recoverMboxJournal`), check the TLS
 *    latch, and for a Maildir read the UIDs already in `new/` and `cur/`;
 * 3. log in, LIST and UIDL. A message is "local" when its UID is in the state file or in the
 *    Maildir;
 * 4. RETR the messages not local, pipelined when the server offers PIPELINING, each into the
 *    destination: (Maildir) written to `tmp/`; a batch of them then fsync'd together, renamed
 *    into `new/`, `new/` fsync'd once, and only then recorded, while the next batch arrives;
 *    (mbox) appended, fsync'd and recorded in the state file. With `--delete`, DELE what was
 *    local before and what is now durable, and nothing else;
 * 5. save the state file (UIDs, TLS used), fsync'd;
 * 6. QUIT, which is the only thing that makes the server apply the DELEs (RFC 1939 section 6).
 *
 * On any failure or signal before step 6: RSET and QUIT, or drop the connection
 * (`abandonSession`): not one DELE is committed, and the next run starts from what is on
 * disk.
 */
export async function fetchCommand(options: CliOptions, context: CliContext): Promise<void> {
  const plan = await prepareLogin(options, context);
  const { account, statePath } = plan;
  writingLocallySync({ what: "create the state directory", path: dirname(statePath) }, () =>
    mkdirSync(dirname(statePath), { recursive: true, mode: 0o700 }),
  );
  const lock = await acquireDotlock({
    path: `${statePath}.lock`,
    what: `fetching for ${account.key}`,
    staleAfterMs: ACCOUNT_LOCK_STALE_MS,
    waitMs: 0,
    refreshMs: ACCOUNT_LOCK_REFRESH_MS,
  });
  const spool = `${statePath}.spool`;
  let state: StateFile | null = null;
  try {
    state = await StateFile.load({ path: statePath, account });
    await recoverMboxJournal({ state, warn: (message) => context.warn(message) });
    await checkTlsLatch({
      state,
      stateDirectory: plan.stateDirectory,
      account,
      withTls: plan.connection.target.tls !== "none",
      allowDowngrade: options.allowInsecureDowngrade,
      warn: (message) => context.warn(message),
    });
    const destination = await openDestination(options, context, plan, state, spool);
    await runSession({ options, context, plan, state, destination });
  } finally {
    // A journal still pending (an append that failed and could not be undone) needs its
    // spool: the next run compares the mbox with it.
    if (state?.journal === null) {
      try {
        unlinkSync(spool);
      } catch {}
    }
    await lock.release();
  }
}

async function openDestination(
  options: CliOptions,
  context: CliContext,
  plan: LoginPlan,
  state: StateFile,
  spool: string,
): Promise<Destination> {
  if (options.mbox !== undefined) {
    return {
      kind: "mbox",
      mbox: new MboxDestination({ path: resolve(options.mbox), state, spool }),
    };
  }
  const directory = resolve(
    options.maildir ?? context.env.MAILDIR ?? join(context.env.HOME ?? homedir(), "Maildir"),
  );
  return {
    kind: "maildir",
    maildir: await MaildirDestination.open({ directory, account: plan.account }),
  };
}

async function runSession(run: {
  options: CliOptions;
  context: CliContext;
  plan: LoginPlan;
  state: StateFile;
  destination: Destination;
}): Promise<void> {
  const { options, context, plan, state, destination } = run;
  const { account } = plan;
  const server = `${account.host}:${account.port}`;
  const client = await openSession({
    connection: plan.connection,
    credentials: plan.credentials,
    allowPlaintext: options.allowPlaintext,
    remembered: state.loginMethod,
    onLogin: (method) => {
      state.loginMethod = method;
    },
  });

  // A signal closes the connection (which aborts a RETR in progress: its tmp/ file is
  // removed) and the failure path below reports it. A second signal exits at once.
  let signal: NodeJS.Signals | null = null;
  const onSignal = (received: NodeJS.Signals): void => {
    if (signal !== null)
      process.exit(received === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated);
    signal = received;
    void client.close().catch(() => {});
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const stopIfSignalled = (): void => {
    if (signal !== null) throw interrupted(signal);
  };

  let fetched = 0;
  let fetchedBytes = 0;
  let deleted = 0;
  const progress = { bar: null as ProgressBar | null };
  try {
    try {
      const listing = await readListing(client);
      if (!listing.uidl && !options.delete) {
        throw new CliError({
          exitCode: ExitCode.protocol,
          message: `${server} does not support UIDL, so apop cannot tell new mail from mail it already has; use --delete to fetch every message and remove it from the server`,
        });
      }
      if (!listing.uidl) {
        context.warn(
          `${server} does not support UIDL: fetching every message and deleting it; if this run is interrupted before it ends, the next run fetches those messages again`,
        );
      }
      // Messages without a UID of their own cannot be recognised next time: with --keep they
      // would be fetched again on every run (or, with a shared UID, taken for one another and
      // never fetched at all). Refused like a server without UIDL; --delete fetches them.
      const untracked = untrackedReason(listing);
      if (untracked !== null) {
        if (!options.delete) {
          throw new CliError({
            exitCode: ExitCode.protocol,
            message: `${server} cannot be fetched with --keep: ${untracked}, so apop cannot tell new mail from mail it already has; use --delete to fetch those messages and remove them from the server`,
          });
        }
        context.warn(
          `${server}: ${untracked}; fetching those messages and deleting them (an interrupted run may fetch them again)`,
        );
      }
      const now = new Date();
      state.noteListed(
        listing.messages.flatMap((m) => {
          const uid = trackedUid(listing, m);
          return uid === null ? [] : [uid];
        }),
        now,
      );
      const isLocal = (m: ListedMessage): boolean => {
        const uid = trackedUid(listing, m);
        return (
          uid !== null &&
          (state.has(uid) || (destination.kind === "maildir" && destination.maildir.has(uid)))
        );
      };
      const wanted = listing.messages.filter((m) => {
        if (isLocal(m)) return false;
        if (m.size <= options.maxMessageOctets) return true;
        // Like fetchmail's `limit`: left on the server (never deleted), said every run.
        context.warn(
          `${server}: message ${m.number} is ${formatBytes(m.size)}, over --max-message-size ${formatBytes(options.maxMessageOctets)}; left on the server`,
        );
        return false;
      });
      const bar = new ProgressBar({
        stream: context.stderr,
        enabled: context.progress,
        color: context.color,
        totalMessages: wanted.length,
        totalBytes: wanted.reduce((sum, m) => sum + m.size, 0),
      });
      progress.bar = bar;
      let lastSave = Date.now();

      // With --delete, what is already local may go at once; what is fetched, once durable.
      const deletable = options.delete ? listing.messages.filter(isLocal).map((m) => m.number) : [];
      const byNumber = new Map(listing.messages.map((m) => [m.number, m]));
      const space = new FreeSpaceGuard({
        directories:
          destination.kind === "maildir"
            ? [join(destination.maildir.directory, "tmp")]
            : [dirname(destination.mbox.path), dirname(plan.statePath)],
      });
      // Maildir messages are delivered in batches while the next ones arrive; a batch is
      // recorded (and its messages may be deleted on the server) only once it is durable.
      const batches =
        destination.kind === "maildir"
          ? new MaildirBatches<ListedMessage>({
              maildir: destination.maildir,
              recorded: async (messages) => {
                const at = new Date();
                for (const message of messages) {
                  const tracked = trackedUid(listing, message);
                  if (tracked !== null) state.record(tracked, message.size, at);
                  if (options.delete) deletable.push(message.number);
                }
                space.refresh();
                if (Date.now() - lastSave >= MAILDIR_STATE_SAVE_MS) {
                  await state.save();
                  lastSave = Date.now();
                }
              },
            })
          : null;

      // Before any RETR: the largest message must fit, so a server announcing a huge one
      // cannot make us fetch it (the pipeline below asks for messages ahead of writing them).
      if (wanted.length > 0) await space.check(Math.max(...wanted.map((m) => m.size)));
      // RETRs are pipelined (RFC 2449 section 6.6) when the server offers it: the next
      // message is on its way while this one is written and synced.
      const items = client.retrEach({
        messages: wanted.map((m) => m.number),
        maxOctets: (number) =>
          retrLimit({
            size: (byNumber.get(number) as ListedMessage).size,
            max: options.maxMessageOctets,
          }),
      });
      const onBytes = (count: number): void => {
        fetchedBytes += count;
        bar.addBytes(count);
      };
      const receive = async (body: AsyncIterable<Uint8Array>, message: ListedMessage) => {
        const tracked = trackedUid(listing, message);
        const uid = tracked ?? `no-uidl:${now.toISOString()}:${message.number}`;
        // Again for each message, against the last statfs less what was written since (asked
        // anew for each batch): the disk may fill while we write.
        await space.reserve(message.size);
        try {
          if (destination.kind === "maildir") {
            const file = await destination.maildir.stage({ uid, body, onBytes });
            await batches?.add(message, file);
          } else {
            await destination.mbox.deliver({ uid, size: message.size, body, onBytes });
            if (options.delete) deletable.push(message.number);
          }
        } catch (error) {
          if (RemoteProtocolError.isInstance(error) && error.code === "message-too-large") {
            throw new CliError({
              exitCode: ExitCode.protocol,
              message: `${server} sent more than ${retrLimit({ size: message.size, max: options.maxMessageOctets })} octets for message ${message.number}, which LIST gave as ${message.size} octets; stopped, and kept nothing of it`,
              cause: error,
            });
          }
          throw error;
        }
        fetched++;
        bar.messageDone();
      };
      try {
        for await (const item of items) {
          stopIfSignalled();
          if (item.error !== undefined) throw item.error;
          const message = byNumber.get(item.message) as ListedMessage;
          if (message.size >= MAILDIR_LARGE_OCTETS) await batches?.settle();
          await receive(item.body, message);
        }
        await batches?.finish();
      } catch (error) {
        await batches?.abandon();
        throw error;
      }
      if (deletable.length > 0) {
        stopIfSignalled();
        // Only now: every one of them is durable locally (just written, or by an earlier run).
        const refused = await client.deleEach({ messages: deletable });
        if (refused[0] !== undefined) throw refused[0].error;
        deleted += deletable.length;
      }
      bar.clear();
      if (client.secure) state.tlsUsed = true;
      await state.save();
      stopIfSignalled();
      crashPoint("before-quit");
    } catch (error) {
      progress.bar?.clear();
      await abandonSession(client);
      if (signal !== null) throw interrupted(signal);
      throw classifyError({ error, phase: "session", server, user: account.user });
    }
    await commit(client, server, deleted);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }

  const where =
    destination.kind === "maildir" ? destination.maildir.directory : destination.mbox.path;
  const news =
    fetched === 0
      ? `no new mail for ${account.key}`
      : `${plural(fetched, "new message")} (${formatBytes(fetchedBytes)}) for ${account.key} written to ${where}`;
  context.info(
    options.delete ? `${news}; ${plural(deleted, "message")} deleted on the server` : news,
  );
}

/** QUIT: the server applies the DELEs now. A `-ERR` here loses nothing: the mail is local. */
async function commit(client: Pop3Client, server: string, deleted: number): Promise<void> {
  try {
    await client.quit();
  } catch (error) {
    const failure = classifyError({ error, phase: "session", server });
    if (deleted === 0) throw failure;
    throw new CliError({
      exitCode: failure.exitCode,
      message: `every message is safely local, but the server may not have deleted them: ${failure.message}. The next run with --delete tries again`,
      cause: error,
    });
  }
}

function interrupted(signal: NodeJS.Signals): CliError {
  return new CliError({
    exitCode: signal === "SIGINT" ? ExitCode.interrupted : ExitCode.terminated,
    message: `stopped by ${signal}: messages already written are kept, nothing was deleted on the server, and the next run goes on from here`,
  });
}
