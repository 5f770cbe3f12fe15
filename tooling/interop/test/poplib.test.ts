/**
 * Our server (the apop-server program) against Python's standard poplib.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import {
  type PoplibBody,
  type PoplibListing,
  type PoplibStep,
  runPoplib,
  stepValues,
} from "../src/run-poplib.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { ALICE, BULK, DELETER, KEEPER } from "../src/users.ts";
import { expectedTop, listSize, wireForm } from "../src/wire-form.ts";
import { listMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const bulk = buildBulkCorpus();
const small = bulk.slice(0, 5);
/** getmail6 sets the same limit (1 MiB) for its own poplib sessions. */
const MAXLINE = 1 << 20;

let sessions = 0;

const peers = usePeers("poplib", {
  apop: [
    [ALICE, corpus],
    [BULK, bulk],
    [KEEPER, small],
    [DELETER, small],
  ],
  dovecot: [[ALICE, corpus]],
});
const apop = peers.apop;

/** One poplib session against apop-server; every step must succeed. */
async function session(options: {
  steps: PoplibStep[];
  tls?: "none" | "implicit";
}): Promise<unknown[]> {
  const out = join(peers.dir(), `poplib-${++sessions}`);
  await mkdir(out);
  const report = await runPoplib({
    port: options.tls === "implicit" ? apop().tlsPort : apop().port,
    tls: options.tls ?? "none",
    cafile: certificates.ca,
    out,
    steps: options.steps,
    maxline: MAXLINE,
  });
  return stepValues(report, options.steps.length);
}

function retrSteps(messages: readonly CorpusMessage[]): PoplibStep[] {
  return messages.map((_, index) => ["retr", index + 1] as PoplibStep);
}

/** Compares the RETR results (bodies and poplib's octet counts) with the wire forms. */
async function compareRetrieved(
  label: string,
  messages: readonly CorpusMessage[],
  bodies: unknown[],
): Promise<void> {
  const pairs = await Promise.all(
    messages.map(async (message, index) => {
      const body = bodies[index] as PoplibBody;
      return {
        name: message.name,
        actual: await readFile(body.file),
        expected: wireForm(message.stored),
        octets: body.octets,
      };
    }),
  );
  assertAllSame(label, pairs);
  // poplib counts what arrived, line ends included: equal only if every line ended in CRLF.
  const octets = pairs
    .filter((pair) => pair.octets !== pair.expected.length)
    .map((pair) => pair.name);
  expect(octets, "messages whose received octets are not the CRLF wire form").toEqual([]);
}

describe("apop-server with Python poplib", () => {
  check("poplib reads CAPA in clear and again after STLS with a verifying context", async () => {
    const [before, , after] = (await session({
      steps: [["capa"], ["stls"], ["capa"], ["quit"]],
    })) as Record<string, string[]>[];
    expect(Object.keys(before ?? {})).toEqual(
      expect.arrayContaining(["STLS", "TOP", "UIDL", "SASL", "PIPELINING"]),
    );
    // No password in clear by default (RFC 2595 section 2.3): USER appears only inside TLS.
    expect(Object.keys(before ?? {})).not.toContain("USER");
    expect(Object.keys(after ?? {})).toEqual(
      expect.arrayContaining(["USER", "TOP", "UIDL", "SASL"]),
    );
    expect(Object.keys(after ?? {})).not.toContain("STLS");
    return undefined;
  });

  check(
    "poplib logs in with USER/PASS over STLS and retrieves every corpus message byte for byte",
    async () => {
      const values = await session({
        steps: [["stls"], ["user", ALICE.name, ALICE.secret], ...retrSteps(corpus), ["quit"]],
      });
      await compareRetrieved("USER/PASS over STLS", corpus, values.slice(2, -1));
      return undefined;
    },
  );

  check("poplib retrieves every corpus message byte for byte over APOP", async () => {
    const values = await session({
      steps: [["apop", ALICE.name, ALICE.secret], ...retrSteps(corpus), ["quit"]],
    });
    await compareRetrieved("APOP", corpus, values.slice(1, -1));
    return undefined;
  });

  check("poplib logs in with USER/PASS over implicit TLS (POP3_SSL)", async () => {
    const [, stat] = await session({
      tls: "implicit",
      steps: [["user", ALICE.name, ALICE.secret], ["stat"], ["retr", 1], ["quit"]],
    });
    expect(stat).toEqual([
      corpus.length,
      corpus.reduce((sum, message) => sum + listSize(message.stored), 0),
    ]);
    return undefined;
  });

  check("poplib USER/PASS in clear is refused without --allow-plaintext-auth", async () => {
    const out = join(peers.dir(), "poplib-refused");
    await mkdir(out);
    const report = await runPoplib({
      port: apop().port,
      tls: "none",
      cafile: certificates.ca,
      out,
      steps: [["user", ALICE.name, ALICE.secret]],
    });
    expect(report.steps[0]?.error).toMatch(/^error_proto: b'-ERR/);
    return `poplib saw ${report.steps[0]?.error}`;
  });

  check("poplib STAT and LIST report the wire size of every message", async () => {
    const [, stat, list] = await session({
      steps: [["apop", ALICE.name, ALICE.secret], ["stat"], ["list"], ["quit"]],
    });
    const sizes = corpus.map((message) => listSize(message.stored));
    expect(stat).toEqual([corpus.length, sizes.reduce((a, b) => a + b, 0)]);
    expect((list as PoplibListing).lines).toEqual(
      sizes.map((size, index) => `${index + 1} ${size}`),
    );
    return undefined;
  });

  check(
    "poplib UIDL shows every message's Maildir unique name, the same in a second session",
    async () => {
      const steps: PoplibStep[] = [["apop", ALICE.name, ALICE.secret], ["uidl"], ["quit"]];
      const [, first] = await session({ steps });
      const [, second] = await session({ steps });
      const expected = peers
        .delivered(ALICE)
        .map((entry, index) => `${index + 1} ${entry.uniqueName}`);
      expect((first as PoplibListing).lines).toEqual(expected);
      expect((second as PoplibListing).lines).toEqual(expected);
      return undefined;
    },
  );

  check(
    "poplib TOP returns the header section and the first body lines of every message",
    async () => {
      const steps: PoplibStep[] = corpus.flatMap((_, index) => [
        ["top", index + 1, 0] as PoplibStep,
        ["top", index + 1, 3] as PoplibStep,
      ]);
      const values = await session({
        steps: [["apop", ALICE.name, ALICE.secret], ...steps, ["quit"]],
      });
      const pairs = await Promise.all(
        corpus.flatMap((message, index) =>
          [0, 3].map(async (lines, which) => ({
            name: `${message.name} TOP ${lines}`,
            actual: await readFile((values[1 + index * 2 + which] as PoplibBody).file),
            expected: expectedTop(wireForm(message.stored), lines),
          })),
        ),
      );
      assertAllSame("TOP", pairs);
      return undefined;
    },
  );

  check("poplib retrieves the 200 messages of the bulk mailbox byte for byte", async () => {
    const values = await session({
      steps: [["apop", BULK.name, BULK.secret], ...retrSteps(bulk), ["quit"]],
    });
    await compareRetrieved("bulk", bulk, values.slice(1, -1));
    return undefined;
  });

  check("poplib DELE then RSET then QUIT leaves the mailbox intact", async () => {
    const before = await listMaildir(join(peers.maildirRoot(), KEEPER.name));
    const [, , , rset, stat] = await session({
      steps: [
        ["apop", KEEPER.name, KEEPER.secret],
        ["dele", 1],
        ["dele", 3],
        ["rset"],
        ["stat"],
        ["quit"],
      ],
    });
    expect(rset).toMatch(/^\+OK/);
    expect((stat as number[])[0]).toBe(small.length);
    const [, list] = await session({
      steps: [["apop", KEEPER.name, KEEPER.secret], ["list"], ["quit"]],
    });
    expect((list as PoplibListing).lines).toHaveLength(small.length);
    expect(await listMaildir(join(peers.maildirRoot(), KEEPER.name))).toEqual(before);
    return undefined;
  });

  check("poplib DELE then QUIT removes exactly the deleted messages", async () => {
    await session({
      steps: [["apop", DELETER.name, DELETER.secret], ["dele", 1], ["dele", 3], ["quit"]],
    });
    const left = [small[1], small[3], small[4]] as CorpusMessage[];
    const values = await session({
      steps: [["apop", DELETER.name, DELETER.secret], ["stat"], ...retrSteps(left), ["quit"]],
    });
    expect(values[1]).toEqual([
      left.length,
      left.reduce((sum, message) => sum + listSize(message.stored), 0),
    ]);
    await compareRetrieved("after DELE", left, values.slice(2, -1));
    expect(await listMaildir(join(peers.maildirRoot(), DELETER.name))).toHaveLength(left.length);
    return undefined;
  });

  check(
    "poplib with its default 2,048-octet line limit fails on the 10,000-octet line from apop and from Dovecot alike",
    async () => {
      const index = corpus.findIndex((message) => message.name === "long-line-10000");
      const fromApop = await runPoplibRaw(apop().port, index + 1);
      const fromDovecot = await runPoplibRaw(peers.dovecot().port, index + 1);
      expect(fromApop.steps[1]?.error, JSON.stringify(fromApop)).toBe("error_proto: line too long");
      expect(
        fromDovecot.steps[1]?.error,
        `${JSON.stringify(fromDovecot)}\n${await peers.dovecot().log()}`,
      ).toBe("error_proto: line too long");
      return "poplib's own _MAXLINE; every other check raises it to 1 MiB, as getmail6 does";
    },
  );
});

/** APOP and one RETR with poplib's default `_MAXLINE`. */
async function runPoplibRaw(port: number, message: number) {
  const out = join(peers.dir(), `poplib-raw-${port}`);
  await mkdir(out, { recursive: true });
  return runPoplib({
    port,
    tls: "none",
    cafile: certificates.ca,
    out,
    steps: [["apop", ALICE.name, ALICE.secret], ["retr", message], ["quit"]],
  });
}
