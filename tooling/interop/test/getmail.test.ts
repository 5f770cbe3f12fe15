/**
 * Our server (the apop-server program) against getmail6, delivering into a Maildir.
 */
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import { corpusMessageId, maildirFolders, readByMessageId } from "../src/read-delivered.ts";
import {
  type GetmailRuns,
  type GetmailSetup,
  getmailForm,
  prepareGetmail,
  runGetmail,
} from "../src/run-getmail.ts";
import { describeRun } from "../src/run-tool.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { ALICE, BULK } from "../src/users.ts";
import { crlfToLf, wireForm } from "../src/wire-form.ts";
import { listMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
/**
 * A small mailbox for the implicit TLS run: getmail forks once per delivery, and every fork
 * is a chance for its SIGCHLD race (see `runGetmail`), so the 200-message mailbox is left to
 * the other peers.
 */
const small = buildBulkCorpus().slice(0, 20);

/**
 * The corpus messages getmail changes by itself: it parses every message with Python's
 * `email` package and writes it back with the compat32 policy (getmailcore/message.py,
 * `Message.flatten`). Declared, so that a change is noticed rather than absorbed.
 */
const GETMAIL_ALTERS = {
  "headers-only": "getmail (Python's email generator) adds the blank line after the header section",
  "long-header": "getmail (Python's email generator) refolds the 300-octet header at 78 columns",
};

let aliceSetup: GetmailSetup | undefined;

const peers = usePeers("getmail", {
  apop: [
    [ALICE, corpus],
    [BULK, small],
  ],
  dovecot: [[ALICE, corpus]],
});
const apop = peers.apop;

/** getmail's runs ended well: exit 0 and no error line. */
function expectClean(runs: GetmailRuns): void {
  const output = `${runs.last.stdout.toString("utf8")}${runs.last.stderr.toString("utf8")}`;
  expect(runs.last.code, describeRun(runs.last)).toBe(0);
  expect(output, describeRun(runs.last)).not.toMatch(/error/i);
}

/** One getmail fetch into a fresh Maildir; the delivered files by Message-ID. */
async function fetchWithGetmail(options: {
  label: string;
  port: number;
  implicitTls?: boolean;
  account?: typeof ALICE;
}) {
  const setup = await prepareGetmail({
    home: join(peers.dir(), `getmail-${options.label}`),
    port: options.port,
    account: options.account ?? ALICE,
    ca: certificates.ca,
    ...(options.implicitTls === undefined ? {} : { implicitTls: options.implicitTls }),
  });
  const runs = await runGetmail(setup, { fresh: true });
  expectClean(runs);
  const delivered = await readByMessageId(maildirFolders(setup.maildir));
  return { setup, runs, delivered };
}

function raceNote(runs: GetmailRuns): string[] {
  return runs.lostChildren === 0
    ? []
    : [
        `getmail lost a delivery child to its own SIGCHLD race ${runs.lostChildren} time(s); that run was thrown away and repeated`,
      ];
}

async function expectedForms(label: string, messages: readonly CorpusMessage[]): Promise<Buffer[]> {
  return getmailForm({
    dir: join(peers.dir(), `oracle-${label}`),
    wires: messages.map((m) => wireForm(m.stored)),
  });
}

describe("apop-server with getmail6", () => {
  check(
    "getmail6 delivers every corpus message into a Maildir over APOP, byte for byte as getmail writes it",
    async () => {
      const expected = await expectedForms("corpus", corpus);
      // Which messages getmail changes by itself: exactly the declared ones.
      const altered = corpus
        .filter(
          (message, index) =>
            !(expected[index] as Buffer).equals(crlfToLf(wireForm(message.stored))),
        )
        .map((message) => message.name);
      expect(altered).toEqual(Object.keys(GETMAIL_ALTERS));

      const fromApop = await fetchWithGetmail({ label: "alice", port: apop().port });
      aliceSetup = fromApop.setup;
      assertAllSame(
        "getmail from apop-server",
        corpus.map((message, index) => ({
          name: message.name,
          actual: fromApop.delivered.get(corpusMessageId(message.name)),
          expected: expected[index] as Buffer,
        })),
      );

      // The same getmail against Dovecot writes the very same bytes: the changes are getmail's.
      const fromDovecot = await fetchWithGetmail({
        label: "dovecot",
        port: peers.dovecot().port,
      });
      assertAllSame(
        "getmail from apop-server vs from Dovecot",
        corpus.map((message) => ({
          name: message.name,
          actual: fromApop.delivered.get(corpusMessageId(message.name)),
          expected: fromDovecot.delivered.get(corpusMessageId(message.name)) ?? Buffer.alloc(0),
        })),
      );
      return [
        "compared with getmail's own Message.flatten of the RFC 1939 bytes (LF line ends)",
        ...Object.entries(GETMAIL_ALTERS).map(([name, what]) => `${name}: ${what}`),
        "getmail from Dovecot writes the same bytes",
        ...raceNote(fromApop.runs),
        ...raceNote(fromDovecot.runs),
      ].join("; ");
    },
    // Two getmail runs, each possibly repeated after getmail's own race (see runGetmail).
    300_000,
  );

  check(
    "getmail6's second run fetches nothing new (its oldmail file holds every UIDL)",
    async () => {
      if (aliceSetup === undefined) throw new Error("the first getmail run did not happen");
      const before = await listMaildir(aliceSetup.maildir);
      const runs = await runGetmail(aliceSetup);
      expectClean(runs);
      expect(runs.last.stdout.toString("utf8")).toMatch(
        new RegExp(`0 messages \\(0 bytes\\) retrieved, ${corpus.length} skipped`),
      );
      expect(await listMaildir(aliceSetup.maildir)).toEqual(before);
      return undefined;
    },
  );

  check(
    "getmail6 over implicit TLS (SimplePOP3SSLRetriever, ca_certs) delivers 20 small messages",
    async () => {
      const expected = await expectedForms("small", small);
      const { runs, delivered } = await fetchWithGetmail({
        label: "small-tls",
        port: apop().tlsPort,
        implicitTls: true,
        account: BULK,
      });
      assertAllSame(
        "getmail over implicit TLS",
        small.map((message, index) => ({
          name: message.name,
          actual: delivered.get(corpusMessageId(message.name)),
          expected: expected[index] as Buffer,
        })),
      );
      expect(delivered.size).toBe(small.length);
      return ["compared with getmail's own Message.flatten (LF line ends)", ...raceNote(runs)].join(
        "; ",
      );
    },
    200_000,
  );
});
