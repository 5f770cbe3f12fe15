import { MemoryStore, type Pop3Client, Pop3Error } from "@apop/core";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { describe, expect, it } from "vitest";
import { connect, type TlsMode } from "../src/index.ts";
import {
  listSize,
  PASSWORD,
  perFileTlsServer,
  startServer,
  TRICKY,
  tenMebibyteMessage,
  text,
  until,
} from "./helpers/fixtures.ts";

const pki = perFileTestPki();
const served = perFileTlsServer(pki);

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

function open(mode: Exclude<TlsMode, "none">): Promise<Pop3Client> {
  return connect({
    host: "127.0.0.1",
    port: mode === "implicit" ? (served.tlsPort as number) : served.port,
    tls: mode,
    ca: pki.ca,
  });
}

describe.each(["starttls", "implicit"] as const)("our client against our server (%s)", (mode) => {
  it("is inside TLS and sees the capabilities of a secure connection (RFC 2449, RFC 2595)", async () => {
    const client = await open(mode);
    expect(client.secure).toBe(true);
    const capabilities = await client.capa();
    expect(capabilities?.has("STLS")).toBe(false);
    expect(capabilities?.has("USER")).toBe(true);
    expect(capabilities?.has("UIDL")).toBe(true);
    expect(capabilities?.has("TOP")).toBe(true);
    expect(capabilities?.get("SASL")).toEqual([
      "SCRAM-SHA-256-PLUS",
      "SCRAM-SHA-256",
      "PLAIN",
      "LOGIN",
      "CRAM-MD5",
    ]);
    expect(client.greeting.timestamp).toMatch(/^<[^<>@]+@pop\.test>$/);
    await client.quit();
  });

  it.each(["apop", "user", "plain", "login", "cram-md5"] as const)(
    "logs in with %s",
    async (method) => {
      const client = await open(mode);
      await client.login({ user: "bob", password: "builder", method });
      expect(client.state).toBe("TRANSACTION");
      expect(await client.stat()).toEqual({ count: 1, size: 20 });
      await client.quit();
      const login = served.events
        .filter((e) => e.type === "session-event" && e.event.type === "login-succeeded")
        .at(-1);
      expect(login).toMatchObject({ event: { user: "bob", mechanism: method.toUpperCase() } });
    },
  );

  it("refuses a wrong password with [AUTH]", async () => {
    const client = await open(mode);
    const error = await client
      .login({ user: "bob", password: "wrong", method: "plain" })
      .catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    await client.quit();
  });

  it("runs STAT, LIST, UIDL, TOP, RETR, NOOP, DELE, RSET and QUIT, every message byte for byte", async () => {
    const own = await startServer({ tls: { key: pki.key, cert: pki.cert } });
    const store = own.store;
    const client = await connect({
      host: "127.0.0.1",
      port: mode === "implicit" ? (own.tlsPort as number) : own.port,
      tls: mode,
      ca: pki.ca,
    });
    await client.login({ user: "alice", password: PASSWORD });
    const stat = await client.stat();
    expect(stat.count).toBe(TRICKY.length);
    expect(stat.size).toBe(TRICKY.reduce((sum, m) => sum + listSize(m), 0));
    const list = await client.list();
    expect(list).toEqual(TRICKY.map((m, i) => ({ message: i + 1, size: listSize(m) })));
    expect(await client.list(3)).toEqual({ message: 3, size: listSize(TRICKY[2] as never) });
    const uids = await client.uidl();
    expect(uids).toHaveLength(TRICKY.length);
    expect(new Set(uids.map((u) => u.uid)).size).toBe(TRICKY.length);
    expect(await client.uidl(2)).toEqual(uids[1]);
    for (const [index, message] of TRICKY.entries()) {
      const body = await collect(client.retr(index + 1));
      expect(text(body), message.name).toBe(text(message.arrives));
      // RFC 1939 section 11: LIST counts exactly what RETR sends (less an added final CRLF).
      expect(body.length - (listSize(message) === message.arrives.length ? 0 : 2)).toBe(
        listSize(message),
      );
    }
    expect(text(await collect(client.top(3, 0)))).toBe("Subject: dots\r\n\r\n");
    expect(text(await collect(client.top(3, 2)))).toBe("Subject: dots\r\n\r\n.hidden\r\n..two\r\n");
    expect(text(await collect(client.top(5, 100)))).toBe(
      text((TRICKY[4] as never as { arrives: Uint8Array }).arrives),
    );
    await client.noop();
    await client.dele(1);
    await expect(client.retr(1)[Symbol.asyncIterator]().next()).rejects.toThrow(Pop3Error);
    await client.rset();
    expect((await client.stat()).count).toBe(TRICKY.length);
    await client.dele(2);
    await client.dele(4);
    await client.quit();
    await until(() => !store.isLocked("alice"), "the maildrop lock to be released");
    const left = store.messages("alice").map(text);
    expect(left).toEqual(TRICKY.filter((_, i) => i !== 1 && i !== 3).map((m) => text(m.stored)));
    await own.close();
  });

  it("streams a 10 MiB message intact", async () => {
    const big = tenMebibyteMessage();
    const store = new MemoryStore({ mailboxes: { carol: [big.stored] }, chunkSize: 64 * 1024 });
    const own = await startServer({ store, tls: { key: pki.key, cert: pki.cert } });
    const client = await connect({
      host: "127.0.0.1",
      port: mode === "implicit" ? (own.tlsPort as number) : own.port,
      tls: mode,
      ca: pki.ca,
    });
    await client.login({ user: "carol", password: "carol-secret" });
    expect((await client.list(1)).size).toBe(big.arrives.length - 2);
    let chunks = 0;
    const parts: Uint8Array[] = [];
    for await (const part of client.retr(1)) {
      chunks++;
      parts.push(part);
    }
    expect(chunks).toBeGreaterThan(1);
    expect(Buffer.compare(Buffer.concat(parts), big.arrives)).toBe(0);
    await client.quit();
    await own.close();
  });
});

describe("in clear", () => {
  it("offers STLS and logs in with APOP and CRAM-MD5 without sending the password", async () => {
    for (const method of ["apop", "cram-md5"] as const) {
      const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
      expect(client.secure).toBe(false);
      const capabilities = await client.capa();
      expect(capabilities?.has("STLS")).toBe(true);
      expect(capabilities?.has("USER")).toBe(false);
      expect(capabilities?.get("SASL")).toEqual(["SCRAM-SHA-256", "CRAM-MD5"]);
      await client.login({ user: "bob", password: "builder", method });
      expect((await client.stat()).count).toBe(1);
      await client.quit();
    }
  });

  it("lets the program upgrade a 'none' connection itself", async () => {
    const client = await connect({
      host: "127.0.0.1",
      port: served.port,
      tls: "none",
      ca: pki.ca,
    });
    await client.stls();
    expect(client.secure).toBe(true);
    await client.login({ user: "bob", password: "builder", method: "user" });
    await client.quit();
  });

  it("the server refuses USER/PASS before TLS, so a password never travels in clear", async () => {
    const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    const error = await client.user("bob", "builder").catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    await client.quit();
  });

  it("never puts a password in an event", async () => {
    const client = await open("starttls");
    await client.login({ user: "bob", password: "builder", method: "user" });
    await client.quit();
    const other = await open("starttls");
    await other.login({ user: "bob", password: "builder", method: "plain" }).catch(() => {});
    await other.quit();
    const log = JSON.stringify(served.events);
    expect(log).toContain("login-succeeded");
    expect(log).toContain("login-requested");
    expect(log).not.toContain("builder");
    expect(log).not.toMatch(/"digest"|"proof"|"challenge"/);
    expect(log).not.toContain(Buffer.from("\0bob\0builder").toString("base64"));
  });
});
