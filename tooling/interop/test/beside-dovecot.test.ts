/**
 * apop-server and Dovecot serving ONE Maildir side by side (docs/scaling.md, "Beside
 * Dovecot"): the UIDLs agree in both directions, so a client that leaves mail on the server
 * downloads nothing twice whichever server answers; and each server refuses a maildrop the
 * other holds (Dovecot with `pop3_lock_session = yes`).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { needs } from "@apop/vitest-preset/needs";
import { RawPeer } from "@apop/vitest-preset/raw-peer";
import { afterAll, beforeAll, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { stopAllChildren } from "../src/children.ts";
import { buildBulkCorpus, buildCorpus } from "../src/corpus.ts";
import { readDovecotUidls } from "../src/dovecot-uidlist.ts";
import { APOP_CLI } from "../src/programs.ts";
import { describeRun, runTool, type ToolResult } from "../src/run-tool.ts";
import { type ApopServer, startApopServer } from "../src/start-apop-server.ts";
import { type Dovecot, startDovecot } from "../src/start-dovecot.ts";
import { startTcpRelay, type TcpRelay } from "../src/tcp-relay.ts";
import { makeTempDir, removeTempDir } from "../src/temp-dir.ts";
import { type Account, ALICE, BULK, DELETER, KEEPER } from "../src/users.ts";
import { listMaildir, writeMaildir } from "../src/write-maildir.ts";

const certificates = inject("certificates");
/** The tricky corpus without its 10 MiB message: sizes and names matter here, not bulk. */
const first = buildCorpus().filter((message) => message.name !== "ten-mib");
const later = buildBulkCorpus().slice(0, 4);

const dovecotInstalled = ["/usr/lib/dovecot/pop3", "/usr/libexec/dovecot/pop3"].some((path) =>
  existsSync(path),
);
const withDovecot = needs({ met: dovecotInstalled, what: "Dovecot's pop3 (npm run setup)" });

let dir: string | undefined;
let dovecot: Dovecot | undefined;
let apop: ApopServer | undefined;
let relay: TcpRelay | undefined;

function made<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} did not start`);
  return value;
}

beforeAll(async () => {
  if (!dovecotInstalled) return;
  dir = await makeTempDir("beside-dovecot");
  dovecot = await startDovecot({
    dir,
    certificates,
    users: [ALICE, KEEPER, DELETER, BULK],
    mail: {
      [ALICE.name]: first,
      [KEEPER.name]: buildBulkCorpus().slice(0, 2),
      // A Maildir Dovecot has never opened: no dovecot-uidlist yet.
      [DELETER.name]: buildBulkCorpus().slice(0, 3),
      // The same, for the remedy: Dovecot indexes it with doveadm before apop serves it.
      [BULK.name]: buildBulkCorpus().slice(0, 3),
    },
    settings: "pop3_lock_session = yes\n",
  });
  // apop-server's root holds `<user>` -> Dovecot's `~/Maildir`: one Maildir per user, shared.
  const root = join(dir, "apop-root");
  await mkdir(root, { mode: 0o755 });
  for (const account of [ALICE, KEEPER, DELETER, BULK])
    await symlink(dovecot.maildir(account.name), join(root, account.name));
  apop = await startApopServer({
    dir,
    maildirRoot: root,
    users: [ALICE, KEEPER, DELETER, BULK],
    certificates,
    allowPlaintextAuth: true,
  });
  relay = await startTcpRelay({ target: dovecot.port });
});

afterAll(async () => {
  await relay?.close();
  await apop?.stop();
  await dovecot?.stop();
  await stopAllChildren();
  await removeTempDir(dir);
});

/** Runs the `apop` CLI (the built program) with the account's password, in the test's folder. */
function apopCli(args: readonly string[], account: Account): Promise<ToolResult> {
  const work = made(dir, "temporary folder");
  return runTool({
    command: process.execPath,
    args: [APOP_CLI, ...args, "--ca", certificates.ca, "--auth", "user"],
    env: { PATH: process.env.PATH, HOME: work, APOP_PASSWORD: account.secret, NO_COLOR: "1" },
    timeoutMs: 120_000,
  });
}

function okRun(result: ToolResult): ToolResult {
  expect(result.code, describeRun(result)).toBe(0);
  return result;
}

/** `apop list --json` straight at one server: its UIDLs and sizes, in message order. */
async function listing(
  port: number,
  account: Account = ALICE,
): Promise<{ uid: string; size: number }[]> {
  const result = okRun(
    await apopCli(["list", `pop3://${account.name}@127.0.0.1:${port}`, "--json"], account),
  );
  const parsed = JSON.parse(result.stdout.toString("utf8")) as {
    messages: { uid: string | null; size: number }[];
  };
  return parsed.messages.map((message) => ({ uid: String(message.uid), size: message.size }));
}

/** The client's view: one address (the relay), one state file, one local Maildir. */
const local = (): string => join(made(dir, "temporary folder"), "client-maildir");
const state = (): string => join(made(dir, "temporary folder"), "client-state.json");
const viaRelay = (): string => `pop3://${ALICE.name}@127.0.0.1:${made(relay, "relay").port}`;

async function clientFetch(): Promise<ToolResult> {
  return okRun(
    await apopCli(["fetch", viaRelay(), "--keep", "--maildir", local(), "--state", state()], ALICE),
  );
}

/** What `apop check` says a fetch would download now. */
async function clientWouldFetch(): Promise<number> {
  const result = okRun(await apopCli(["check", viaRelay(), "--json", "--state", state()], ALICE));
  return (JSON.parse(result.stdout.toString("utf8")) as { new: { count: number } }).new.count;
}

/** What Dovecot logged as an error or warning about its uidlist. */
async function uidlistComplaints(): Promise<string[]> {
  const log = await made(dovecot, "dovecot").log();
  return log
    .split("\n")
    .filter((line) => /uidlist|Broken file|Duplicate file|next_uid|UIDVALIDITY/i.test(line));
}

/** USER/PASS on a raw connection; resolves with the answer to PASS. */
async function login(port: number, account: Account): Promise<{ peer: RawPeer; answer: string }> {
  const peer = await RawPeer.connect(port);
  expect(await peer.readLine()).toMatch(/^\+OK/);
  await peer.write(`USER ${account.name}\r\n`);
  expect(await peer.readLine()).toMatch(/^\+OK/);
  await peer.write(`PASS ${account.secret}\r\n`);
  return { peer, answer: String(await peer.readLine()) };
}

async function quit(peer: RawPeer): Promise<void> {
  await peer.write("QUIT\r\n");
  expect(await peer.readLine()).toMatch(/^\+OK/);
  await peer.closed;
}

withDovecot.describe("apop-server beside Dovecot on one Maildir", () => {
  check(
    "Dovecot then apop: apop-server serves the UIDLs Dovecot gave, and a client fetches nothing twice",
    async () => {
      const server = made(dovecot, "dovecot");
      const maildir = server.maildir(ALICE.name);
      // The client fetches everything from Dovecot; Dovecot writes its dovecot-uidlist.
      okRun(await clientFetch());
      const fetched = await listMaildir(local());
      expect(fetched).toHaveLength(first.length);
      const fromDovecot = await listing(server.port);
      const delivered = server.delivered.get(ALICE.name) ?? [];
      expect(fromDovecot.map((m) => m.uid)).toEqual(await readDovecotUidls(maildir, delivered));
      // The same Maildir through apop-server: the same UIDL and size for every message.
      expect(await listing(made(apop, "apop-server").port)).toEqual(fromDovecot);
      // Switched to apop-server behind the same address: nothing to fetch, nothing fetched.
      made(relay, "relay").target = made(apop, "apop-server").port;
      expect(await clientWouldFetch()).toBe(0);
      okRun(await clientFetch());
      expect(await listMaildir(local())).toEqual(fetched);
      return `${first.length} messages, UIDLs ${fromDovecot[0]?.uid}...`;
    },
  );

  check(
    "apop then Dovecot: mail Dovecot has not indexed, served first by apop, keeps its UIDL in Dovecot",
    async () => {
      const server = made(dovecot, "dovecot");
      const maildir = server.maildir(ALICE.name);
      const before = await listMaildir(local());
      // New mail, delivered after Dovecot last opened the mailbox; the client is on apop-server.
      await writeMaildir({
        dir: maildir,
        messages: later,
        owner: server.mailOwner,
        host: "later",
        later: 1000,
      });
      made(relay, "relay").target = made(apop, "apop-server").port;
      expect(await clientWouldFetch()).toBe(later.length);
      okRun(await clientFetch());
      const fetched = await listMaildir(local());
      expect(fetched).toHaveLength(before.length + later.length);
      const fromApop = await listing(made(apop, "apop-server").port);
      // Dovecot, opening the mailbox afterwards, hands out the very same UIDLs...
      expect(await listing(server.port)).toEqual(fromApop);
      // ...so the client, switched back to Dovecot, has nothing to fetch.
      made(relay, "relay").target = server.port;
      expect(await clientWouldFetch()).toBe(0);
      okRun(await clientFetch());
      expect(await listMaildir(local())).toEqual(fetched);
      // The UIDs apop appended to dovecot-uidlist (the next ones, in delivery order) are the
      // ones Dovecot kept when it rewrote the file (adding its own `W` sizes); no complaint.
      const uidlist = await readFile(join(maildir, "dovecot-uidlist"), "utf8");
      const next = first.length + 1;
      for (let index = 0; index < later.length; index += 1) {
        const record = new RegExp(
          `^${next + index} (?:\\S+ )*:\\d+\\.M${index + 1}P4242\\.later$`,
          "m",
        );
        expect(uidlist, uidlist).toMatch(record);
      }
      expect(await uidlistComplaints()).toEqual([]);
      return `${later.length} new messages, e.g. ${fromApop.at(-1)?.uid}`;
    },
  );

  check(
    "the limit: in a Maildir Dovecot never opened, apop writes no dovecot-uidlist, and Dovecot's first UIDLs differ",
    async () => {
      const server = made(dovecot, "dovecot");
      const maildir = server.maildir(DELETER.name);
      const fromApop = await listing(made(apop, "apop-server").port, DELETER);
      const delivered = server.delivered.get(DELETER.name) ?? [];
      expect(fromApop.map((m) => m.uid)).toEqual(delivered.map((entry) => entry.uniqueName));
      expect(existsSync(join(maildir, "dovecot-uidlist"))).toBe(false);
      // Dovecot's first session numbers the mailbox its own way: new UIDLs for the same mail.
      const fromDovecot = await listing(server.port, DELETER);
      expect(fromDovecot.map((m) => m.uid)).toEqual(await readDovecotUidls(maildir, delivered));
      expect(fromDovecot.map((m) => m.uid)).not.toEqual(fromApop.map((m) => m.uid));
      // From then on apop follows Dovecot's numbering (once changed, then stable).
      expect(await listing(made(apop, "apop-server").port, DELETER)).toEqual(fromDovecot);
      return "hence docs/scaling.md: let Dovecot open a Maildir before apop serves it";
    },
  );

  check(
    "the remedy: once `doveadm mailbox status` has opened the Maildir, both servers agree from the first UIDL",
    async () => {
      const server = made(dovecot, "dovecot");
      const maildir = server.maildir(BULK.name);
      const conf = join(made(dir, "temporary folder"), "dovecot", "dovecot.conf");
      const status = await runTool({
        command: "doveadm",
        args: ["-c", conf, "mailbox", "status", "-u", BULK.name, "messages uidvalidity", "INBOX"],
        timeoutMs: 60_000,
      });
      expect(status.code, describeRun(status)).toBe(0);
      expect(existsSync(join(maildir, "dovecot-uidlist"))).toBe(true);
      const fromApop = await listing(made(apop, "apop-server").port, BULK);
      expect(await listing(server.port, BULK)).toEqual(fromApop);
      return `doveadm said ${JSON.stringify(status.stdout.toString("utf8").trim())}`;
    },
  );

  check(
    "while a Dovecot POP3 session holds a maildrop, apop-server answers -ERR [IN-USE]",
    async () => {
      const held = await login(made(dovecot, "dovecot").port, KEEPER);
      expect(held.answer).toMatch(/^\+OK/);
      const refused = await login(made(apop, "apop-server").port, KEEPER);
      expect(refused.answer).toMatch(/^-ERR \[IN-USE\]/);
      refused.peer.close();
      await quit(held.peer);
      // Dovecot's QUIT released the lock: apop-server serves the maildrop now.
      const served = await login(made(apop, "apop-server").port, KEEPER);
      expect(served.answer).toMatch(/^\+OK/);
      await quit(served.peer);
      return refused.answer;
    },
  );

  check("while an apop-server session holds a maildrop, Dovecot does not serve it", async () => {
    const held = await login(made(apop, "apop-server").port, KEEPER);
    expect(held.answer).toMatch(/^\+OK/);
    // Dovecot waits for its dotlock (10 s in 2.3.19), then refuses.
    const refused = await login(made(dovecot, "dovecot").port, KEEPER);
    expect(refused.answer).toMatch(/^-ERR/);
    refused.peer.close();
    await quit(held.peer);
    const served = await login(made(dovecot, "dovecot").port, KEEPER);
    expect(served.answer).toMatch(/^\+OK/);
    await quit(served.peer);
    return `Dovecot answered ${JSON.stringify(refused.answer)}`;
  });
});
