// The apop NODE client (`connect` from @apop/node, a child process) against the Deno server,
// over real loopback sockets: APOP in clear, STLS (through Deno's node:tls) and implicit TLS.
import { deepStrictEqual, equal, ok } from "node:assert";
import { latin1, listSize, TRICKY } from "./fixtures/tricky.mjs";
import { startServers, until } from "./helpers/fixtures.ts";
import { runNode } from "./helpers/node-process.ts";
import { createTestPki } from "./helpers/test-pki.ts";

interface ClientReport {
  secure?: boolean;
  timestamp?: string | null;
  capa?: string[] | null;
  stat?: { count: number; size: number };
  list?: { message: number; size: number }[];
  messages?: string[];
  quit?: boolean;
  error?: { name: string; code: string | null; message: string };
}

interface ScramReport {
  protocol?: string;
  binding?: string | null;
  sasl?: string[];
  method?: string;
  error?: { name: string; code: string | null; message: string };
}

Deno.test("Node client against the Deno server", async (t) => {
  const pki = await createTestPki();
  const servers = startServers({
    tls: { cert: pki.cert, key: pki.key },
    // OAUTHBEARER and XOAUTH2 (RFC 7628): this test validator accepts `token-for-<user>` only.
    tokenValidator: async ({ user, token }) =>
      token === `token-for-${user}`
        ? { ok: true }
        : { ok: false, status: "invalid_token", reason: "not this user's test token" },
  });
  const implicitPort = servers.implicit?.port as number;
  const logins = () =>
    servers.events.flatMap((e) =>
      e.type === "session-event" && e.event.type === "login-succeeded"
        ? [{ user: e.event.user, mechanism: e.event.mechanism, connection: e.connection }]
        : [],
    );
  const closed = (connection: number) =>
    servers.events.find((e) => e.type === "connection-closed" && e.connection === connection);
  try {
    equal(servers.plain.starttls, true);

    await t.step("APOP in clear: every tricky message byte for byte, DELE applied", async () => {
      const report = await runNode<ClientReport>("node-client.mjs", {
        port: servers.plain.port,
        tls: "none",
        user: "alice",
        password: "wonderland",
        method: "apop",
      });
      equal(report.error, undefined, JSON.stringify(report.error));
      equal(report.secure, false);
      ok(report.timestamp?.endsWith("@deno.test>"));
      ok(report.capa?.includes("STLS"), "a plain listener with a certificate offers STLS");
      deepStrictEqual(
        report.list,
        TRICKY.map((m, i) => ({ message: i + 1, size: listSize(m) })),
      );
      deepStrictEqual(
        report.messages,
        TRICKY.map((m) => m.arrives),
      );
      equal(report.quit, true);
      // QUIT entered UPDATE: message 1 is gone from the store.
      deepStrictEqual(
        servers.store.messages("alice").map(latin1),
        TRICKY.slice(1).map((m) => m.stored),
      );
      deepStrictEqual(logins().at(-1)?.mechanism, "APOP");
    });

    await t.step("STLS through node:tls in Deno, then USER/PASS inside TLS", async () => {
      const report = await runNode<ClientReport>("node-client.mjs", {
        port: servers.plain.port,
        tls: "starttls",
        ca: `${pki.dir}/ca.crt`,
        user: "bob",
        password: "builder",
        method: "user",
      });
      equal(report.error, undefined, JSON.stringify(report.error));
      equal(report.secure, true);
      ok(report.capa !== null && report.capa !== undefined && !report.capa.includes("STLS"));
      deepStrictEqual(report.messages, ["Subject: hi\r\n\r\nbob\r\n"]);
      const login = logins().at(-1);
      deepStrictEqual([login?.user, login?.mechanism], ["bob", "USER"]);
      await until(() => closed(login?.connection as number) !== undefined, "connection-closed");
      const event = closed(login?.connection as number);
      ok(event?.type === "connection-closed");
      deepStrictEqual([event.reason, event.secure, event.error], ["quit", true, null]);
      servers.store.deliver("bob", new TextEncoder().encode("Subject: again\r\n\r\n"));
    });

    await t.step("implicit TLS (node:tls over Deno.listen)", async () => {
      const report = await runNode<ClientReport>("node-client.mjs", {
        port: implicitPort,
        tls: "implicit",
        ca: `${pki.dir}/ca.crt`,
        user: "bob",
        password: "builder",
      });
      equal(report.error, undefined, JSON.stringify(report.error));
      equal(report.secure, true);
      deepStrictEqual(report.messages, ["Subject: again\r\n\r\n"]);
    });

    await t.step("OAUTHBEARER and XOAUTH2 inside TLS, and a refused token", async () => {
      for (const method of ["oauthbearer", "xoauth2"]) {
        servers.store.deliver("bob", new TextEncoder().encode(`Subject: ${method}\r\n\r\n`));
        const report = await runNode<ClientReport>("node-client.mjs", {
          port: implicitPort,
          tls: "implicit",
          ca: `${pki.dir}/ca.crt`,
          user: "bob",
          password: "token-for-bob",
          method,
        });
        equal(report.error, undefined, JSON.stringify(report.error));
        deepStrictEqual(report.messages, [`Subject: ${method}\r\n\r\n`]);
        deepStrictEqual(logins().at(-1)?.mechanism, method.toUpperCase());
      }
      const refused = await runNode<ClientReport>("node-client.mjs", {
        port: implicitPort,
        tls: "implicit",
        ca: `${pki.dir}/ca.crt`,
        user: "bob",
        password: "token-for-alice",
        method: "oauthbearer",
      });
      deepStrictEqual([refused.error?.name, refused.error?.code], ["Pop3Error", "auth"]);
    });

    // The README's table: the Deno server binds with tls-server-end-point (its own certificate,
    // through node:tls) on TLS 1.2; on TLS 1.3 it has no exporter, so it offers no -PLUS.
    await t.step("SCRAM-SHA-256-PLUS with tls-server-end-point on TLS 1.2", async () => {
      const report = await runNode<ScramReport>("node-scram-plus.mjs", {
        port: implicitPort,
        ca: `${pki.dir}/ca.crt`,
        maxVersion: "TLSv1.2",
        user: "bob",
        password: "builder",
      });
      equal(report.error, undefined, JSON.stringify(report.error));
      equal(report.protocol, "TLSv1.2");
      equal(report.binding, "tls-server-end-point");
      ok(report.sasl?.includes("SCRAM-SHA-256-PLUS"), JSON.stringify(report.sasl));
      equal(report.method, "scram-sha-256-plus");
      ok(logins().some((l) => l.user === "bob" && l.mechanism === "SCRAM-SHA-256-PLUS"));
    });

    await t.step(
      "TLS 1.3: no -PLUS offered (no exporter in Deno), plain SCRAM binds to nothing",
      async () => {
        const report = await runNode<ScramReport>("node-scram-plus.mjs", {
          port: implicitPort,
          ca: `${pki.dir}/ca.crt`,
          maxVersion: "TLSv1.3",
          user: "bob",
          password: "builder",
        });
        equal(report.error, undefined, JSON.stringify(report.error));
        equal(report.protocol, "TLSv1.3");
        ok(!report.sasl?.includes("SCRAM-SHA-256-PLUS"), JSON.stringify(report.sasl));
        // Our Node client could bind (tls-exporter) but sees no -PLUS: it says y, and the
        // server, which really cannot bind here, accepts that (RFC 5802 section 6).
        equal(report.method, "scram-sha-256");
      },
    );
  } finally {
    await servers.close();
    await pki.cleanup();
  }
});

Deno.test("a Deno server without a certificate does not offer STLS", async () => {
  const servers = startServers();
  try {
    equal(servers.plain.starttls, false);
    const report = await runNode<ClientReport>("node-client.mjs", {
      port: servers.plain.port,
      tls: "starttls",
      user: "bob",
      password: "builder",
    });
    deepStrictEqual(report.error?.code, "tls-unavailable");
  } finally {
    await servers.close();
  }
});
