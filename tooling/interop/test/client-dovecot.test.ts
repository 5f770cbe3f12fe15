/**
 * Our client library (@apop/node `connect` + @apop/core `Pop3Client`) against Dovecot's
 * POP3 server, started by the harness with its own configuration.
 */
import { mkdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import type { Pop3Client } from "@apop/core";
import { createMaildirStore, dovecotUidlistSource } from "@apop/maildir";
import { connect, type TlsMode } from "@apop/node";
import { describe, expect, inject } from "vitest";
import { check } from "../src/check.ts";
import { buildBulkCorpus, buildCorpus, type CorpusMessage } from "../src/corpus.ts";
import { readDovecotUidls } from "../src/dovecot-uidlist.ts";
import { assertAllSame } from "../src/same-bytes.ts";
import { type Account, ALICE, BULK, DELETER, KEEPER, SCRAMMER } from "../src/users.ts";
import { expectedTop, listSize, wireForm } from "../src/wire-form.ts";
import { listMaildir } from "../src/write-maildir.ts";
import { usePeers } from "./helpers/peers.ts";

const certificates = inject("certificates");
const corpus = buildCorpus();
const bulk = buildBulkCorpus();
const small = bulk.slice(0, 5);

const peers = usePeers("client-dovecot", {
  dovecot: [
    [ALICE, corpus],
    [BULK, bulk],
    [KEEPER, small],
    [DELETER, small],
    [SCRAMMER, small],
  ],
});
const server = peers.dovecot;

async function open(tls: TlsMode): Promise<Pop3Client> {
  const ca = await readFile(certificates.ca);
  return connect({
    host: "127.0.0.1",
    port: tls === "implicit" ? server().tlsPort : server().port,
    tls,
    ca,
  });
}

/** Opens, logs in with `method`, runs `body`, and QUITs (or drops the connection on failure). */
async function withSession<T>(
  options: {
    tls: TlsMode;
    method: "apop" | "user" | "plain" | "login" | "cram-md5" | "scram-sha-256";
    account?: Account;
  },
  body: (client: Pop3Client) => Promise<T>,
): Promise<T> {
  const account = options.account ?? ALICE;
  const client = await open(options.tls);
  try {
    await client.login({ user: account.name, password: account.secret, method: options.method });
    const result = await body(client);
    await client.quit();
    return result;
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function retrieveAll(client: Pop3Client, messages: readonly CorpusMessage[]) {
  const pairs = [];
  for (const [index, message] of messages.entries()) {
    pairs.push({
      name: message.name,
      actual: await collect(client.retr(index + 1)),
      expected: wireForm(message.stored),
    });
  }
  return pairs;
}

describe("apop client library with Dovecot", () => {
  check("apop client reads Dovecot's CAPA in clear and again after STLS", async () => {
    const client = await open("none");
    try {
      const before = await client.capa();
      expect([...(before?.keys() ?? [])]).toEqual(
        expect.arrayContaining(["STLS", "TOP", "UIDL", "SASL", "USER"]),
      );
      expect(before?.get("SASL")).toEqual(expect.arrayContaining(["PLAIN", "LOGIN", "CRAM-MD5"]));
      await client.stls();
      expect(client.capabilities).toBeNull();
      const after = await client.capa();
      expect([...(after?.keys() ?? [])]).not.toContain("STLS");
      expect([...(after?.keys() ?? [])]).toEqual(
        expect.arrayContaining(["TOP", "UIDL", "SASL", "USER"]),
      );
      await client.quit();
    } finally {
      await client.close().catch(() => {});
    }
    return "Dovecot lists USER in clear: it treats a loopback connection as secure";
  });

  for (const [method, tls] of [
    ["apop", "none"],
    ["user", "starttls"],
    ["plain", "implicit"],
    ["login", "starttls"],
    ["cram-md5", "none"],
    ["scram-sha-256", "none"],
    ["scram-sha-256", "starttls"],
  ] as const) {
    const over =
      tls === "none" ? "in clear" : tls === "starttls" ? "over STLS" : "over implicit TLS";
    check(`apop client logs in to Dovecot with ${method.toUpperCase()} ${over}`, async () => {
      const stat = await withSession({ tls, method }, (client) => client.stat());
      expect(stat.count).toBe(corpus.length);
      return undefined;
    });
  }

  for (const [method, tls] of [
    ["scram-sha-256", "none"],
    ["scram-sha-256", "implicit"],
    ["plain", "implicit"],
  ] as const) {
    check(
      `apop client logs in to Dovecot as a {SCRAM-SHA-256} user with ${method.toUpperCase()} (${tls})`,
      async () => {
        const stat = await withSession({ tls, method, account: SCRAMMER }, (client) =>
          client.stat(),
        );
        expect(stat.count).toBe(small.length);
        return undefined;
      },
    );
  }

  // RFC 6856 section 2.2: no UTF-8 in USER/PASS unless CAPA lists `UTF8 USER`, which Dovecot
  // 2.3 does not; the client refuses before the password goes out (PLAIN above carries it).
  check(
    "apop client refuses USER/PASS with a UTF-8 password to Dovecot, which lists no UTF8 USER",
    async () => {
      const refused = await withSession(
        { tls: "starttls", method: "user", account: SCRAMMER },
        (client) => client.stat(),
      ).catch((error: unknown) => error);
      expect(refused).toMatchObject({
        name: "LocalProtocolError",
        code: "not-supported",
        message: expect.stringContaining("does not offer UTF8 USER"),
      });
      return undefined;
    },
  );

  check(
    "apop client STAT and LIST against Dovecot report the wire size of every message",
    async () => {
      const [stat, list] = await withSession({ tls: "none", method: "apop" }, async (client) => [
        await client.stat(),
        await client.list(),
      ]);
      const sizes = corpus.map((message) => listSize(message.stored));
      expect(stat).toEqual({ count: corpus.length, size: sizes.reduce((a, b) => a + b, 0) });
      expect(list).toEqual(sizes.map((size, index) => ({ message: index + 1, size })));
      expect(
        await withSession({ tls: "none", method: "apop" }, (client) => client.list(2)),
      ).toEqual({
        message: 2,
        size: sizes[1],
      });
      return undefined;
    },
  );

  check(
    "apop client UIDL against Dovecot matches Dovecot's dovecot-uidlist (%08Xu%08Xv)",
    async () => {
      const uidl = await withSession({ tls: "none", method: "apop" }, (client) => client.uidl());
      const expected = await readDovecotUidls(
        server().maildir(ALICE.name),
        server().delivered.get(ALICE.name) ?? [],
      );
      expect(uidl).toEqual(expected.map((uid, index) => ({ message: index + 1, uid })));
      const one = await withSession({ tls: "none", method: "apop" }, (client) => client.uidl(3));
      expect(one).toEqual({ message: 3, uid: expected[2] });
      return undefined;
    },
  );

  check(
    "apop's Maildir store with dovecotUidlistSource serves the UIDLs Dovecot itself shows",
    async () => {
      // A mailbox moved from Dovecot to apop must keep its UIDLs, or every client that leaves
      // mail on the server downloads it all again (the promise of dovecotUidlistSource).
      const fromDovecot = await withSession({ tls: "none", method: "apop" }, (client) =>
        client.uidl(),
      );
      const root = join(peers.dir(), "apop-view");
      await mkdir(root, { recursive: true });
      await symlink(server().maildir(ALICE.name), join(root, ALICE.name)).catch(() => {});
      const store = createMaildirStore({
        root,
        uidSource: dovecotUidlistSource(),
        sizeCache: false,
      });
      const drop = await store.open(ALICE.name);
      const fromApop = drop.messages.map((message, index) => ({
        message: index + 1,
        uid: message.uid,
      }));
      await drop.release();
      const differ = fromApop.filter((entry, index) => entry.uid !== fromDovecot[index]?.uid);
      expect(
        differ.map(
          (entry) =>
            `message ${entry.message}: apop ${entry.uid}, Dovecot ${fromDovecot[entry.message - 1]?.uid}`,
        ),
        "UIDLs of @apop/maildir dovecotUidlistSource() that differ from Dovecot 2.3.19's on the wire",
      ).toEqual([]);
      expect(fromApop).toHaveLength(fromDovecot.length);
      return undefined;
    },
  );

  check(
    "apop client TOP against Dovecot returns the header section and the first body lines",
    async () => {
      const pairs = await withSession({ tls: "none", method: "apop" }, async (client) => {
        const out = [];
        for (const [index, message] of corpus.entries()) {
          for (const lines of [0, 3]) {
            out.push({
              name: `${message.name} TOP ${lines}`,
              actual: await collect(client.top(index + 1, lines)),
              expected: expectedTop(wireForm(message.stored), lines),
            });
          }
        }
        return out;
      });
      assertAllSame("TOP from Dovecot", pairs);
      return undefined;
    },
  );

  check(
    "apop client retrieves every corpus message byte for byte from Dovecot over APOP",
    async () => {
      const pairs = await withSession({ tls: "none", method: "apop" }, (client) =>
        retrieveAll(client, corpus),
      );
      assertAllSame("RETR from Dovecot", pairs);
      return undefined;
    },
  );

  check(
    "apop client retrieves every corpus message byte for byte from Dovecot over STLS",
    async () => {
      const pairs = await withSession({ tls: "starttls", method: "user" }, (client) =>
        retrieveAll(client, corpus),
      );
      assertAllSame("RETR from Dovecot over STLS", pairs);
      return undefined;
    },
  );

  check("apop client retrieves the 200 messages of the bulk mailbox from Dovecot", async () => {
    const pairs = await withSession({ tls: "implicit", method: "plain", account: BULK }, (client) =>
      retrieveAll(client, bulk),
    );
    assertAllSame("bulk from Dovecot", pairs);
    return undefined;
  });

  check("apop client DELE then RSET then QUIT leaves Dovecot's mailbox intact", async () => {
    const before = await listMaildir(server().maildir(KEEPER.name));
    await withSession({ tls: "none", method: "apop", account: KEEPER }, async (client) => {
      await client.dele(1);
      await client.dele(2);
      expect((await client.stat()).count).toBe(small.length - 2);
      await client.rset();
      expect((await client.stat()).count).toBe(small.length);
    });
    const count = await withSession({ tls: "none", method: "apop", account: KEEPER }, (client) =>
      client.stat(),
    );
    expect(count.count).toBe(small.length);
    expect((await listMaildir(server().maildir(KEEPER.name))).length).toBe(before.length);
    return undefined;
  });

  check(
    "apop client DELE then QUIT removes exactly the deleted messages from Dovecot",
    async () => {
      await withSession({ tls: "none", method: "apop", account: DELETER }, async (client) => {
        await client.dele(2);
        await client.dele(4);
      });
      const left = [small[0], small[2], small[4]] as CorpusMessage[];
      const pairs = await withSession(
        { tls: "none", method: "apop", account: DELETER },
        async (client) => {
          expect((await client.stat()).count).toBe(left.length);
          return retrieveAll(client, left);
        },
      );
      assertAllSame("after DELE", pairs);
      expect(await listMaildir(server().maildir(DELETER.name))).toHaveLength(left.length);
      return undefined;
    },
  );
});
