import { LocalProtocolError, MemoryStore } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { connect, connectUrl, createPop3Server, type Pop3ServerOptions } from "../src/index.ts";
import { authenticator, perFileTlsServer, startServer } from "./helpers/fixtures.ts";

const pki = perFileTestPki();
const served = perFileTlsServer(pki);

function invalidArgument(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (LocalProtocolError.isInstance(error) && error.code === "invalid-argument") {
      return error.message;
    }
    throw error;
  }
  throw new Error("did not throw");
}

describe("createPop3Server options", () => {
  const base: Pop3ServerOptions = { store: new MemoryStore(), authenticator };

  it.each([
    ["store", { store: {} }],
    ["authenticator", { authenticator: null }],
    ["serverName", { serverName: "has space" }],
    ["serverName", { serverName: "<bad>" }],
    // The timestamp `<clock.random@mail@example.org>` would have two '@' (issue 10, bug 1).
    ["serverName", { serverName: "mail@example.org" }],
    ["tls", { tls: { key: "", cert: "" } }],
    ["tls", { tls: { key: "not pem", cert: "not pem" } }],
    ["maxConnections", { maxConnections: 0 }],
    ["maxConnectionsPerAddress", { maxConnectionsPerAddress: 1.5 }],
    ["authFailureDelayMs", { authFailureDelayMs: -1 }],
    ["tlsHandshakeTimeoutMs", { tlsHandshakeTimeoutMs: 0 }],
    ["limits.commandLine", { limits: { commandLine: 10 } }],
    ["limits.badCommands", { limits: { badCommands: -3 } }],
    ["expire", { expire: "soon" }],
    ["loginDelay", { loginDelay: -5 }],
    ["greeting", { greeting: "two\r\nlines" }],
    ["saslMechanisms", { saslMechanisms: ["PLAIN"] }],
    ["onEvent", { onEvent: "log" }],
  ])("refuses a bad %s", (name, override) => {
    const message = invalidArgument(() =>
      createPop3Server({ ...base, ...(override as Partial<Pop3ServerOptions>) }),
    );
    expect(message.startsWith(name)).toBe(true);
  });

  it("refuses hostname, naming serverName (APOP) and host (bind) instead, as @apop/deno does", () => {
    const message = invalidArgument(() =>
      createPop3Server({ ...base, hostname: "pop.test" } as Pop3ServerOptions),
    );
    expect(message).toBe(
      "hostname is not an option: the APOP name is serverName, the address to bind listen's host",
    );
  });

  it("refuses implicit TLS without a certificate, and a bad port", async () => {
    const server = createPop3Server(base);
    await expect(server.listen({ port: 0, implicitTls: true })).rejects.toThrow(/certificate/);
    await expect(server.listen({ port: 70000 })).rejects.toThrow(/port/);
    await server.close();
  });

  it("offers no STLS without a certificate", async () => {
    const plain = await startServer({ allowPlaintextAuth: true });
    const client = await connect({ host: "127.0.0.1", port: plain.port, tls: "none" });
    const capabilities = await client.capa();
    expect(capabilities?.has("STLS")).toBe(false);
    expect(capabilities?.has("USER")).toBe(true);
    await client.quit();
    await plain.close();
  });

  it("advertises the policy fields in CAPA (RFC 2449 section 6)", async () => {
    const own = await startServer({
      implementation: "apop-test",
      expire: "NEVER",
      loginDelay: 900,
    });
    const client = await connect({ host: "127.0.0.1", port: own.port, tls: "none" });
    const capabilities = await client.capa();
    expect(capabilities?.get("IMPLEMENTATION")).toEqual(["apop-test"]);
    expect(capabilities?.get("EXPIRE")).toEqual(["NEVER"]);
    expect(capabilities?.get("LOGIN-DELAY")).toEqual(["900"]);
    await client.quit();
    await own.close();
  });

  it("survives an onEvent that throws", async () => {
    const own = await startServer({
      onEvent: () => {
        throw new Error("logger down");
      },
    });
    const client = await connect({ host: "127.0.0.1", port: own.port, tls: "none" });
    await client.login({ user: "bob", password: "builder", method: "apop" });
    await client.quit();
    await own.close();
  });
});

describe("connect options", () => {
  it.each([
    [{ host: "", tls: "none" }],
    [{ host: "h", tls: "maybe" }],
    [{ host: "h", tls: "none", port: 0 }],
    [{ host: "h", tls: "none", replyTimeoutMs: -1 }],
  ])("refuses %j", async (options) => {
    const error = await connect(options as never).catch((e: unknown) => e);
    expect(LocalProtocolError.isInstance(error) && error.code).toBe("invalid-argument");
  });
});

describe("connectUrl", () => {
  it("pop3s:// connects with implicit TLS, pop:// with STLS", async () => {
    const implicit = await connectUrl(`pop3s://alice@127.0.0.1:${served.tlsPort}`, { ca: pki.ca });
    expect(implicit.secure).toBe(true);
    await implicit.quit();
    const stls = await connectUrl(`pop://bob;AUTH=+APOP@localhost:${served.port}`, { ca: pki.ca });
    expect(stls.secure).toBe(true);
    await stls.login({ user: "bob", password: "builder", method: "apop" });
    await stls.quit();
  });

  it("pop:// against a server without STLS fails unless the caller opts out of TLS", async () => {
    const plain = await startServer();
    await expect(connectUrl(`pop://127.0.0.1:${plain.port}`)).rejects.toThrow(/STLS/);
    const clear = await connectUrl(`pop://127.0.0.1:${plain.port}`, { tls: "none" });
    expect(clear.secure).toBe(false);
    await clear.quit();
    await plain.close();
  });
});
