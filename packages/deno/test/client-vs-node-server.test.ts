// The Deno client (`connect`) against the apop NODE server, a child process, over real
// loopback sockets: APOP in clear, USER/PASS after STLS, implicit TLS, and the STLS policy.
import { deepStrictEqual, equal, ok, rejects } from "node:assert";
import { RemoteProtocolError } from "@apop/core";
import { connect, connectUrl } from "../mod.ts";
import { latin1, listSize, TRICKY } from "./fixtures/tricky.mjs";
import { type NodeService, startNodeService } from "./helpers/node-process.ts";
import { createTestPki, type TestPki } from "./helpers/test-pki.ts";

type Ports = { plain: number; implicit: number | null };

Deno.test("Deno client against the Node server", async (t) => {
  const pki: TestPki = await createTestPki();
  const node: NodeService<Ports> = await startNodeService<Ports>("node-server.mjs", {
    pki: pki.dir,
  });
  const { plain, implicit } = node.ready;
  try {
    await t.step(
      "APOP in clear: every tricky message byte for byte, DELE applied at QUIT",
      async () => {
        const client = await connect({ host: "127.0.0.1", port: plain, tls: "none" });
        equal(client.secure, false);
        ok(client.greeting.timestamp?.endsWith("@node.test>"));
        await client.login({ user: "alice", password: "wonderland", method: "apop" });
        const stat = await client.stat();
        equal(stat.count, TRICKY.length);
        equal(
          stat.size,
          TRICKY.reduce((sum, m) => sum + listSize(m), 0),
        );
        deepStrictEqual(
          await client.list(),
          TRICKY.map((m, i) => ({ message: i + 1, size: listSize(m) })),
        );
        equal((await client.uidl()).length, TRICKY.length);
        for (const [index, message] of TRICKY.entries()) {
          equal(latin1(await client.retrBytes(index + 1)), message.arrives, message.name);
        }
        // A body abandoned half way is drained, so the next reply still lines up.
        for await (const _ of client.retr(9)) break;
        await client.noop();
        await client.dele(1);
        await client.quit();
        deepStrictEqual(await node.until((l) => l.login === "alice"), {
          login: "alice",
          mechanism: "APOP",
          secure: false,
        });
        await node.until((l) => l.closed === "quit" && l.user === "alice");

        const again = await connect({ host: "127.0.0.1", port: plain, tls: "none" });
        await again.apop("alice", "wonderland");
        equal((await again.stat()).count, TRICKY.length - 1);
        await again.quit();
      },
    );

    await t.step("STLS, then USER/PASS inside TLS", async () => {
      const client = await connect({
        host: "127.0.0.1",
        port: plain,
        tls: "starttls",
        ca: [pki.ca],
      });
      equal(client.secure, true);
      // RFC 2595 section 4: capabilities are asked again inside TLS; STLS is gone.
      const capa = await client.capa();
      ok(capa?.has("USER"));
      ok(!capa?.has("STLS"));
      await client.login({ user: "bob", password: "builder", method: "user" });
      equal(latin1(await client.retrBytes(1)), "Subject: hi\r\n\r\nbob\r\n");
      await client.quit();
      deepStrictEqual(await node.until((l) => l.login === "bob"), {
        login: "bob",
        mechanism: "USER",
        secure: true,
      });
    });

    await t.step("implicit TLS", async () => {
      const client = await connect({
        host: "localhost",
        port: implicit as number,
        tls: "implicit",
        ca: [pki.ca],
      });
      equal(client.secure, true);
      await client.login({ user: "bob", password: "builder" });
      equal((await client.stat()).count, 1);
      await client.quit();
    });

    await t.step("OAUTHBEARER and XOAUTH2 inside TLS, and a refused token", async () => {
      for (const method of ["oauthbearer", "xoauth2"] as const) {
        const client = await connect({
          host: "localhost",
          port: implicit as number,
          tls: "implicit",
          ca: [pki.ca],
        });
        const sasl = (await client.capa())?.get("SASL") ?? [];
        ok(sasl.includes(method.toUpperCase()), JSON.stringify(sasl));
        await client.login({ user: "bob", password: "token-for-bob", method });
        equal((await client.stat()).count, 1);
        await client.quit();
        deepStrictEqual(
          await node.until((l) => l.login === "bob" && l.mechanism === method.toUpperCase()),
          { login: "bob", mechanism: method.toUpperCase(), secure: true },
        );
      }
      const wrong = await connect({
        host: "localhost",
        port: implicit as number,
        tls: "implicit",
        ca: [pki.ca],
      });
      // RFC 7628 section 3.2.2: the server's JSON status, then -ERR [AUTH] to the dummy reply.
      await rejects(
        wrong.login({ user: "bob", password: "token-for-alice", method: "oauthbearer" }),
        (error: Error & { code?: string }) => error.name === "Pop3Error" && error.code === "auth",
      );
      await wrong.quit();
    });

    await t.step(
      "SCRAM-SHA-256 in clear (Deno's TLS gives no channel binding, so no -PLUS)",
      async () => {
        const client = await connect({ host: "127.0.0.1", port: plain, tls: "none" });
        await client.login({ user: "bob", password: "builder", method: "scram-sha-256" });
        equal((await client.stat()).count, 1);
        await client.quit();
        const wrong = await connect({ host: "127.0.0.1", port: plain, tls: "none" });
        await rejects(wrong.login({ user: "bob", password: "wrong", method: "scram-sha-256" }), {
          name: "Pop3Error",
        });
        await wrong.quit();
      },
    );

    await t.step("connectUrl: pop3s:// is implicit TLS, pop:// is STLS", async () => {
      for (const url of [`pop3s://bob@localhost:${implicit}`, `pop://bob@127.0.0.1:${plain}`]) {
        const client = await connectUrl(url, { ca: [pki.ca] });
        equal(client.secure, true, url);
        await client.login({ user: "bob", password: "builder" });
        equal((await client.stat()).count, 1, url);
        await client.quit();
      }
    });

    await t.step("refuses a certificate from an unknown CA, on STLS and implicit TLS", async () => {
      await rejects(
        connect({ host: "127.0.0.1", port: plain, tls: "starttls", ca: [pki.otherCa] }),
        /UnknownIssuer/,
      );
      await rejects(
        connect({
          host: "127.0.0.1",
          port: implicit as number,
          tls: "implicit",
          ca: [pki.otherCa],
        }),
        /UnknownIssuer/,
      );
    });

    await t.step("a password never goes out in clear unless allowed", async () => {
      const client = await connect({ host: "127.0.0.1", port: plain, tls: "none" });
      await rejects(client.login({ user: "bob", password: "builder", method: "user" }), {
        name: "LocalProtocolError",
        code: "not-supported",
      });
      await client.quit();
    });
  } finally {
    await node.stop();
    await pki.cleanup();
  }
});

Deno.test("starttls against a server without STLS fails with tls-unavailable", async () => {
  const node = await startNodeService<Ports>("node-server.mjs", { pki: null });
  try {
    const error = await connect({
      host: "127.0.0.1",
      port: node.ready.plain,
      tls: "starttls",
    }).catch((e: unknown) => e);
    ok(RemoteProtocolError.isInstance(error), String(error));
    equal(error.code, "tls-unavailable");
    // Nothing but CAPA went out: not even STLS, and then the client hung up.
    await node.until((l) => l.closed === "peer-closed");
    deepStrictEqual(
      node.lines.flatMap((l) => ("command" in l ? [l.command] : [])),
      ["CAPA"],
    );
  } finally {
    await node.stop();
  }
});
