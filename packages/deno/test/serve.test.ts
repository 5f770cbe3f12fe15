// The Deno server (`serve`) with the Deno client (`connect`) over real loopback sockets:
// STLS through node:tls, implicit TLS, a large message, limits, shutdown and options.
import { equal, match, ok, rejects, throws } from "node:assert";
import { MemoryStore, Pop3Error } from "@apop/core";
import { connect, serve } from "../mod.ts";
import { latin1, TRICKY } from "./fixtures/tricky.mjs";
import { authenticator, startServers, trickyStore, until } from "./helpers/fixtures.ts";
import { createTestPki } from "./helpers/test-pki.ts";

Deno.test("Deno client and Deno server", async (t) => {
  const pki = await createTestPki();
  // 2 MiB with dot lines and bare LFs: streams through the stuffing encoder, node:tls and
  // the transports' backpressure in both directions.
  const unit = "plain line of text\n.dot first\n.\n..\n";
  const big = `Subject: big\n\n${unit.repeat(Math.ceil((2 * 1024 * 1024) / unit.length))}tail`;
  const store = trickyStore();
  const servers = startServers({ tls: { cert: pki.cert, key: pki.key }, store });
  // Whole, not in the 7-octet chunks of the tricky store.
  const bigServers = startServers({
    tls: { cert: pki.cert, key: pki.key },
    store: new MemoryStore({ mailboxes: { carol: [new TextEncoder().encode(big)] } }),
    authenticator: { lookup: () => ({ kind: "clear", secret: "carol" }) },
  });
  const bigArrives = `${big.replaceAll("\n", "\r\n")}\r\n`;
  try {
    await t.step("STLS through node:tls, then USER/PASS, every tricky message", async () => {
      const client = await connect({
        host: "127.0.0.1",
        port: servers.plain.port,
        tls: "starttls",
        ca: [pki.ca],
      });
      equal(client.secure, true);
      await client.login({ user: "alice", password: "wonderland", method: "user" });
      for (const [index, message] of TRICKY.entries()) {
        equal(latin1(await client.retrBytes(index + 1)), message.arrives, message.name);
      }
      await client.quit();
    });

    await t.step("a 2 MiB message byte for byte over STLS and over implicit TLS", async () => {
      for (const [tls, port] of [
        ["starttls", bigServers.plain.port],
        ["implicit", bigServers.implicit?.port as number],
      ] as const) {
        const client = await connect({ host: "localhost", port, tls, ca: [pki.ca] });
        await client.login({ user: "carol", password: "carol" });
        equal(latin1(await client.retrBytes(1)), bigArrives, tls);
        await client.quit();
      }
    });

    await t.step("CAPA in clear lists STLS, and no password method before TLS", async () => {
      const client = await connect({
        host: "127.0.0.1",
        port: servers.plain.port,
        tls: "none",
      });
      const capa = await client.capa();
      ok(capa?.has("STLS"));
      ok(!capa?.has("USER"));
      await client.quit();
    });
  } finally {
    await servers.close();
    await bigServers.close();
    await pki.cleanup();
  }
});

Deno.test("without a certificate, or with starttls: false, STLS is not offered", async () => {
  const pki = await createTestPki();
  const bare = serve({ host: "127.0.0.1", port: 0, store: trickyStore(), authenticator });
  const off = serve({
    host: "127.0.0.1",
    port: 0,
    store: trickyStore(),
    authenticator,
    tls: { cert: pki.cert, key: pki.key },
    starttls: false,
  });
  try {
    for (const server of [bare, off]) {
      equal(server.starttls, false);
      const client = await connect({ host: "127.0.0.1", port: server.port, tls: "none" });
      ok(!(await client.capa())?.has("STLS"));
      await rejects(client.stls(), { name: "RemoteProtocolError", code: "tls-unavailable" });
      await client.quit();
    }
  } finally {
    await bare.close();
    await off.close();
    await pki.cleanup();
  }
});

Deno.test("core's server options reach CAPA: IMPLEMENTATION, EXPIRE, LOGIN-DELAY (RFC 2449 section 6)", async () => {
  const server = serve({
    host: "127.0.0.1",
    port: 0,
    store: trickyStore(),
    authenticator,
    implementation: "apop-deno-test",
    expire: "NEVER",
    loginDelay: 900,
  });
  try {
    const client = await connect({ host: "127.0.0.1", port: server.port, tls: "none" });
    const capa = await client.capa();
    equal(capa?.get("IMPLEMENTATION")?.join(" "), "apop-deno-test");
    equal(capa?.get("EXPIRE")?.join(" "), "NEVER");
    equal(capa?.get("LOGIN-DELAY")?.join(" "), "900");
    await client.quit();
  } finally {
    await server.close();
  }
});

Deno.test("over maxConnectionsPerAddress a client gets -ERR [SYS/TEMP]", async () => {
  const servers = startServers({ maxConnectionsPerAddress: 1 });
  try {
    const first = await connect({ host: "127.0.0.1", port: servers.plain.port, tls: "none" });
    const error = await connect({
      host: "127.0.0.1",
      port: servers.plain.port,
      tls: "none",
    }).catch((e: unknown) => e);
    ok(Pop3Error.isInstance(error), String(error));
    equal(error.code, "sys-temp");
    ok(servers.events.some((e) => e.type === "connection-refused"));
    await first.quit();
  } finally {
    await servers.close();
  }
});

Deno.test("close: stops accepting, drops a session after the grace, applies no deletes", async () => {
  const servers = startServers();
  const client = await connect({ host: "127.0.0.1", port: servers.plain.port, tls: "none" });
  await client.apop("bob", "builder");
  await client.dele(1);
  const closing = servers.plain.close({ graceMs: 50 });
  // Refused, or reset when it reached the backlog just before the listener closed.
  await rejects(
    connect({ host: "127.0.0.1", port: servers.plain.port, tls: "none" }),
    (error) =>
      error instanceof Deno.errors.ConnectionRefused ||
      error instanceof Deno.errors.ConnectionReset,
  );
  await closing;
  await servers.plain.finished;
  equal(servers.plain.connectionCount, 0);
  equal(servers.store.messages("bob").length, 1, "the DELE was not applied");
  ok(!servers.store.isLocked("bob"));
  const closed = servers.events.find((e) => e.type === "connection-closed");
  equal(closed?.type === "connection-closed" && closed.reason, "shutdown");
  await rejects(client.noop());
  await client.close().catch(() => {});
});

Deno.test("a silent client on implicit TLS is dropped after tlsHandshakeTimeoutMs", async () => {
  const pki = await createTestPki();
  const servers = startServers({
    tls: { cert: pki.cert, key: pki.key },
    tlsHandshakeTimeoutMs: 50,
  });
  try {
    const silent = await Deno.connect({
      hostname: "127.0.0.1",
      port: servers.implicit?.port as number,
    });
    await until(() => servers.events.some((e) => e.type === "connection-closed"), "a close");
    const closed = servers.events.find((e) => e.type === "connection-closed");
    ok(closed?.type === "connection-closed");
    equal(closed.reason, "tls-failed");
    match(closed.error ?? "", /did not finish within 50 ms/);
    equal(await silent.read(new Uint8Array(10)), null);
    silent.close();
  } finally {
    await servers.close();
    await pki.cleanup();
  }
});

Deno.test("a connection whose session cannot start is closed at once and reported as connection-failed", async () => {
  // A clock that says NaN makes the greeting's APOP timestamp throw (createApopTimestamp).
  const servers = startServers({
    clock: {
      now: () => Number.NaN,
      setTimer: (ms, callback) => {
        const handle = setTimeout(callback, ms);
        return () => clearTimeout(handle);
      },
    },
  });
  try {
    const peer = await Deno.connect({ hostname: "127.0.0.1", port: servers.plain.port });
    equal(await peer.read(new Uint8Array(10)), null, "closed without a greeting");
    peer.close();
    await until(() => servers.plain.connectionCount === 0, "the connection to be counted out");
    const failed = servers.events.find((e) => e.type === "connection-failed");
    ok(failed?.type === "connection-failed");
    ok(failed.error instanceof RangeError);
    match(failed.error.message, /now must be/);
  } finally {
    await servers.close();
  }
});

Deno.test("an AbortSignal closes the server; `await using` too", async () => {
  const controller = new AbortController();
  const server = serve({
    host: "127.0.0.1",
    port: 0,
    store: new MemoryStore(),
    authenticator,
    signal: controller.signal,
  });
  controller.abort();
  await server.finished;
  {
    await using disposable = serve({
      host: "127.0.0.1",
      port: 0,
      store: new MemoryStore(),
      authenticator,
    });
    ok(disposable.port > 0);
  }
});

Deno.test("bad options fail at once with invalid-argument", async () => {
  const base = { host: "127.0.0.1", port: 0, store: new MemoryStore(), authenticator };
  const cases: [string, Record<string, unknown>][] = [
    ["implicitTls", { implicitTls: true }],
    ["port", { port: 70000 }],
    ["cert", { cert: "-----BEGIN CERTIFICATE-----" }],
    ["tls", { tls: { cert: "not pem", key: "not pem" } }],
    ["host", { host: "" }],
    ["hostname", { hostname: "127.0.0.1" }],
    ["serverName", { serverName: "a b" }],
    // `<clock.random@mail@example.org>` would have two '@' (issue 10, bug 1).
    ["serverName", { serverName: "mail@example.org" }],
    ["limits.nope", { limits: { nope: 1 } }],
    ["store", { store: {} }],
  ];
  for (const [option, extra] of cases) {
    throws(
      () => serve({ ...base, ...extra } as Parameters<typeof serve>[0]),
      (error: Error & { code?: string }) =>
        error.name === "LocalProtocolError" &&
        error.code === "invalid-argument" &&
        error.message.startsWith(option),
      option,
    );
  }
  await rejects(connect({ host: "", tls: "none" }), {
    code: "invalid-argument",
    message: "host must be a non-empty string",
  });
  // Deno's own API names are refused with the name to use, never silently ignored.
  for (const [extra, message] of [
    [{ hostname: "127.0.0.1" }, /^hostname is not an option: name the server with host$/],
    [{ caCerts: ["-----BEGIN CERTIFICATE-----"] }, /^caCerts is not an option/],
    [{ rejectUnauthorized: false }, /^rejectUnauthorized must be true on Deno/],
    [{ ca: ["not pem"] }, /^ca must be a PEM string/],
    [{ servername: "" }, /^servername must be a non-empty string/],
  ] as const) {
    await rejects(
      connect({ host: "127.0.0.1", tls: "none", ...extra } as Parameters<typeof connect>[0]),
      { code: "invalid-argument", message },
    );
  }
  await rejects(connect({ host: "127.0.0.1", tls: "smtp" as "none" }), {
    code: "invalid-argument",
  });
});

Deno.test("@apop/node's option names and meanings work unchanged: host, port, serverName, tls, ca, servername", async () => {
  const pki = await createTestPki();
  // Written as for @apop/node (createPop3Server + listen, connect): only the imports differ.
  const server = serve({
    store: trickyStore(),
    authenticator,
    serverName: "apop.test",
    tls: { cert: pki.cert, key: pki.key },
    host: "127.0.0.1",
    port: 0,
    implicitTls: true,
  });
  try {
    const client = await connect({
      host: "localhost",
      port: server.port,
      tls: "implicit",
      ca: pki.ca, // one PEM string, as Node takes it
    });
    match(client.greeting.timestamp ?? "", /@apop\.test>$/);
    await client.quit();
    // servername is the name checked against the certificate (which names localhost and
    // 127.0.0.1, not this one), as on Node.
    await rejects(
      connect({
        host: "127.0.0.1",
        port: server.port,
        tls: "implicit",
        ca: [pki.ca],
        servername: "pop.example.org",
      }),
      /NotValidForName|not valid for/i,
    );
  } finally {
    await server.close();
    await pki.cleanup();
  }
});
