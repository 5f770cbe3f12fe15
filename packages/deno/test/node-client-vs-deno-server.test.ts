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

Deno.test("Node client against the Deno server", async (t) => {
  const pki = await createTestPki();
  const servers = startServers({ tls: { cert: pki.cert, key: pki.key } });
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
