/**
 * apop-server and the `apop` CLI, the built programs, run under Bun instead of Node: apop
 * fetches every corpus message from apop-server into a Maildir over STLS and over implicit
 * TLS, byte for byte, both programs under Bun.
 */
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import { APOP_CLI, BUN } from "../src/programs.ts";
import { corpusMessageId, maildirFolders, readByMessageId } from "../src/read-delivered.ts";
import { describeRun, runTool } from "../src/run-tool.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { type Account, ALICE, BULK } from "../src/users.ts";
import { crlfToLf, wireForm } from "../src/wire-form.ts";
import { listMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const peers = usePeers("bun", {
  apop: [
    [ALICE, corpus],
    [BULK, corpus],
  ],
  runtime: BUN,
});

/** `bun apop fetch <url> --maildir <dir> --delete`, and the Maildir it filled. */
async function fetchUnderBun(url: string, account: Account): Promise<string> {
  const work = peers.dir();
  const maildir = join(work, `fetched-${account.name}`);
  const result = await runTool({
    command: BUN,
    args: [
      APOP_CLI,
      "fetch",
      url,
      "--maildir",
      maildir,
      "--state",
      join(work, `state-${account.name}.json`),
      "--ca",
      certificates.ca,
      "--delete",
      "--quiet",
    ],
    env: { PATH: process.env.PATH, HOME: work, APOP_PASSWORD: account.secret, NO_COLOR: "1" },
  });
  expect(result.code, describeRun(result)).toBe(0);
  return maildir;
}

/** apop writes LF line ends into a Maildir (each CRLF pair becomes LF): compare to that. */
async function compareMaildir(maildir: string, messages: readonly CorpusMessage[]): Promise<void> {
  const delivered = await readByMessageId(maildirFolders(maildir));
  assertAllSame(
    "apop under Bun from apop-server under Bun",
    messages.map((message) => ({
      name: message.name,
      actual: delivered.get(corpusMessageId(message.name)),
      expected: crlfToLf(wireForm(message.stored)),
    })),
  );
  expect(delivered.size).toBe(messages.length);
}

describe("apop and apop-server under Bun", () => {
  check("the Bun that runs them is the pinned one", async () => {
    const result = await runTool({ command: BUN, args: ["--version"] });
    expect(result.stdout.toString().trim()).toBe("1.4.5");
    return `bun ${result.stdout.toString().trim()}`;
  });

  check("apop fetch --delete over STLS delivers every message byte for byte", async () => {
    const url = `pop3://${ALICE.name}@127.0.0.1:${peers.apop().port}`;
    await compareMaildir(await fetchUnderBun(url, ALICE), corpus);
    // --delete: apop-server (under Bun) applied the deletions at QUIT.
    expect(await listMaildir(join(peers.maildirRoot(), ALICE.name))).toEqual([]);
    return undefined;
  });

  check("apop fetch --delete over implicit TLS delivers every message byte for byte", async () => {
    const url = `pop3s://${BULK.name}@127.0.0.1:${peers.apop().tlsPort}`;
    await compareMaildir(await fetchUnderBun(url, BULK), corpus);
    expect(await listMaildir(join(peers.maildirRoot(), BULK.name))).toEqual([]);
    return undefined;
  });
});
