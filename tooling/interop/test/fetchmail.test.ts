/**
 * Our server (the apop-server program) against fetchmail, delivering to an MDA script that
 * writes each message to a file.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus } from "../src/corpus.ts";
import { fetchmailForm } from "../src/fetchmail-form.ts";
import {
  type FetchmailSetup,
  prepareFetchmail,
  readFetchmailDeliveries,
  runFetchmail,
} from "../src/run-fetchmail.ts";
import { describeRun, type ToolResult } from "../src/run-tool.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { ALICE, BULK } from "../src/users.ts";
import { crlfToLf, wireForm } from "../src/wire-form.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const bulk = buildBulkCorpus();

/**
 * The corpus messages fetchmail changes by itself (see `fetchmailForm`). Declared, so that a
 * change in what fetchmail alters is noticed rather than absorbed.
 */
const FETCHMAIL_ALTERS = {
  "headers-only": "fetchmail adds the blank line after the header section",
  "long-line-10000": "fetchmail cuts lines after 8,191 wire octets, inserting NUL NUL LF",
};

let aliceSetup: FetchmailSetup | undefined;

const peers = usePeers("fetchmail", {
  apop: [
    [ALICE, corpus],
    [BULK, bulk],
  ],
  dovecot: [[ALICE, corpus]],
});
const apop = peers.apop;

function expectExit(result: ToolResult, code: number): void {
  expect(result.code, describeRun(result)).toBe(code);
}

describe("apop-server with fetchmail", () => {
  check(
    "fetchmail fetches every corpus message over APOP (keep, uidl), byte for byte as its MDA receives it",
    async () => {
      aliceSetup = await prepareFetchmail({
        home: join(peers.dir(), "fetchmail-alice"),
        port: apop().port,
        account: ALICE,
        ca: certificates.ca,
      });
      const result = await runFetchmail(aliceSetup);
      expectExit(result, 0);
      // fetchmail --verbose shows the commands it sent: APOP, and TOP n 99999999 to read.
      const log = result.stdout.toString("utf8");
      expect(log).toMatch(/POP3> APOP alice [0-9a-f]{32}\n/);
      expect(log).toMatch(/POP3> TOP 1 99999999\n/);
      // fetchmail 6.4.37 with `proto APOP` sends neither CAPA nor STLS, although its rc file
      // says sslcertck and sslproto TLS1.2+ ("Require TLS", fetchmail(1)).
      const stls = /POP3> STLS/.test(log);
      const delivered = await readFetchmailDeliveries(aliceSetup);
      expect(delivered).toHaveLength(corpus.length);

      // Which messages fetchmail changes by itself: exactly the declared ones.
      const altered = corpus
        .filter(
          (message) =>
            !fetchmailForm(wireForm(message.stored)).equals(crlfToLf(wireForm(message.stored))),
        )
        .map((message) => message.name);
      expect(altered).toEqual(Object.keys(FETCHMAIL_ALTERS));

      assertAllSame(
        "fetchmail from apop-server",
        corpus.map((message, index) => ({
          name: message.name,
          actual: delivered[index],
          expected: fetchmailForm(wireForm(message.stored)),
        })),
      );

      // The same fetchmail against Dovecot delivers the very same bytes, altered messages
      // included: the changes are fetchmail's, not apop's.
      const dovecotSetup = await prepareFetchmail({
        home: join(peers.dir(), "fetchmail-dovecot"),
        port: peers.dovecot().port,
        account: ALICE,
        ca: certificates.ca,
      });
      const dovecotRun = await runFetchmail(dovecotSetup);
      expectExit(dovecotRun, 0);
      const dovecotStls = /POP3> STLS/.test(dovecotRun.stdout.toString("utf8"));
      const fromDovecot = await readFetchmailDeliveries(dovecotSetup);
      assertAllSame(
        "fetchmail from apop-server vs from Dovecot",
        corpus.map((message, index) => ({
          name: message.name,
          actual: delivered[index],
          expected: fromDovecot[index] as Buffer,
        })),
      );
      return [
        "compared after stripcr (LF line ends)",
        ...Object.entries(FETCHMAIL_ALTERS).map(([name, what]) => `${name}: ${what}`),
        "fetchmail from Dovecot delivers the same bytes",
        ...(stls || dovecotStls
          ? []
          : ["fetchmail's proto APOP sent no STLS to either server despite sslcertck"]),
      ].join("; ");
    },
  );

  check(
    "fetchmail's second run fetches nothing new (its UIDL list holds every message)",
    async () => {
      if (aliceSetup === undefined) throw new Error("the first fetchmail run did not happen");
      const result = await runFetchmail(aliceSetup);
      // Exit code 1: "There was no mail awaiting retrieval" (fetchmail(1), EXIT CODES).
      expectExit(result, 1);
      expect(await readFetchmailDeliveries(aliceSetup)).toHaveLength(corpus.length);
      const ids = await readFile(join(aliceSetup.home, "fetchids"), "utf8");
      for (const entry of peers.delivered(ALICE)) expect(ids).toContain(entry.uniqueName);
      return undefined;
    },
  );

  check("fetchmail with proto POP3 goes into TLS with STLS before it logs in", async () => {
    const setup = await prepareFetchmail({
      home: join(peers.dir(), "fetchmail-stls"),
      port: apop().port,
      account: ALICE,
      ca: certificates.ca,
      proto: "POP3",
    });
    const result = await runFetchmail(setup);
    expectExit(result, 0);
    const log = result.stdout.toString("utf8");
    const stls = log.indexOf("POP3> STLS");
    const login = log.search(/POP3> (AUTH|USER|APOP)/);
    expect(stls, log).toBeGreaterThan(-1);
    expect(login, log).toBeGreaterThan(stls);
    const delivered = await readFetchmailDeliveries(setup);
    assertAllSame(
      "fetchmail over STLS",
      corpus.map((message, index) => ({
        name: message.name,
        actual: delivered[index],
        expected: fetchmailForm(wireForm(message.stored)),
      })),
    );
    return `fetchmail logged in with ${/POP3> (AUTH \S+|USER|APOP)/.exec(log.slice(stls))?.[1]} inside TLS`;
  });

  check("fetchmail fetches the 200 messages of the bulk mailbox over implicit TLS", async () => {
    const setup = await prepareFetchmail({
      home: join(peers.dir(), "fetchmail-bulk"),
      port: apop().tlsPort,
      account: BULK,
      ca: certificates.ca,
      implicitTls: true,
    });
    expectExit(await runFetchmail(setup), 0);
    const delivered = await readFetchmailDeliveries(setup);
    assertAllSame(
      "fetchmail bulk",
      bulk.map((message, index) => ({
        name: message.name,
        actual: delivered[index],
        expected: crlfToLf(wireForm(message.stored)),
      })),
    );
    return "compared after stripcr (LF line ends)";
  });
});
