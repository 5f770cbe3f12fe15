/**
 * The `apop` CLI (the built program) fetching from Dovecot into a Maildir.
 */
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import { APOP_CLI } from "../src/programs.ts";
import { corpusMessageId, maildirFolders, readByMessageId } from "../src/read-delivered.ts";
import { describeRun, runTool, type ToolResult } from "../src/run-tool.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { type Account, ALICE, BULK, DELETER } from "../src/users.ts";
import { crlfToLf, wireForm } from "../src/wire-form.ts";
import { listMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const bulk = buildBulkCorpus();
const small = bulk.slice(0, 5);

const peers = usePeers("cli-dovecot", {
  dovecot: [
    [ALICE, corpus],
    [BULK, bulk],
    [DELETER, small],
  ],
});
const server = peers.dovecot;

/** `apop fetch <url> --maildir <dir> --state <file> --ca <ca> [...]`, password from APOP_PASSWORD. */
async function apopFetch(options: {
  url: string;
  account: Account;
  maildir: string;
  extra?: readonly string[];
}): Promise<ToolResult> {
  const work = peers.dir();
  return runTool({
    command: process.execPath,
    args: [
      APOP_CLI,
      "fetch",
      options.url,
      "--maildir",
      options.maildir,
      "--state",
      join(
        work,
        `state-${options.account.name}-${options.url.startsWith("pop3s") ? "tls" : "stls"}.json`,
      ),
      "--ca",
      certificates.ca,
      "--quiet",
      ...(options.extra ?? []),
    ],
    env: {
      PATH: process.env.PATH,
      HOME: work,
      APOP_PASSWORD: options.account.secret,
      NO_COLOR: "1",
    },
    timeoutMs: 120_000,
  });
}

function expectExit(result: ToolResult, code: number): void {
  expect(result.code, describeRun(result)).toBe(code);
}

/**
 * apop's Maildir files hold LF line ends (its documented transformation: only each CRLF pair
 * becomes LF), so each message must be the wire form with CRLF turned to LF.
 */
async function compareMaildir(
  label: string,
  maildir: string,
  messages: readonly CorpusMessage[],
): Promise<void> {
  const delivered = await readByMessageId(maildirFolders(maildir));
  assertAllSame(
    label,
    messages.map((message) => ({
      name: message.name,
      actual: delivered.get(corpusMessageId(message.name)),
      expected: crlfToLf(wireForm(message.stored)),
    })),
  );
  expect(delivered.size).toBe(messages.length);
}

describe("apop fetch (CLI) with Dovecot", () => {
  const aliceMaildir = (): string => join(peers.dir(), "fetched-alice");

  check(
    "apop fetch delivers every corpus message from Dovecot into a Maildir (STLS, APOP)",
    async () => {
      const url = `pop3://${ALICE.name}@127.0.0.1:${server().port}`;
      const result = await apopFetch({
        url,
        account: ALICE,
        maildir: aliceMaildir(),
        extra: ["--auth", "apop"],
      });
      expectExit(result, 0);
      await compareMaildir("apop fetch from Dovecot", aliceMaildir(), corpus);
      return "compared after apop's CRLF-to-LF, its documented Maildir form";
    },
  );

  check("apop fetch's second run from Dovecot fetches nothing new", async () => {
    const url = `pop3://${ALICE.name}@127.0.0.1:${server().port}`;
    const before = await listMaildir(aliceMaildir());
    const result = await apopFetch({
      url,
      account: ALICE,
      maildir: aliceMaildir(),
      extra: ["--auth", "apop"],
    });
    expectExit(result, 0);
    expect(await listMaildir(aliceMaildir())).toEqual(before);
    return undefined;
  });

  check(
    "apop fetch over pop3s:// (implicit TLS) with USER/PASS delivers the 200 bulk messages",
    async () => {
      const maildir = join(peers.dir(), "fetched-bulk");
      const url = `pop3s://${BULK.name}@127.0.0.1:${server().tlsPort}`;
      const result = await apopFetch({ url, account: BULK, maildir, extra: ["--auth", "user"] });
      expectExit(result, 0);
      await compareMaildir("apop fetch bulk from Dovecot", maildir, bulk);
      return undefined;
    },
  );

  check(
    "apop fetch --delete empties Dovecot's mailbox once the messages are in the Maildir",
    async () => {
      const maildir = join(peers.dir(), "fetched-deleter");
      const url = `pop3://${DELETER.name}@127.0.0.1:${server().port}`;
      const result = await apopFetch({
        url,
        account: DELETER,
        maildir,
        extra: ["--auth", "cram-md5", "--delete"],
      });
      expectExit(result, 0);
      await compareMaildir("apop fetch --delete from Dovecot", maildir, small);
      expect(await listMaildir(server().maildir(DELETER.name))).toEqual([]);
      return undefined;
    },
  );
});
