import { Pop3Error } from "@apop/core";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { describe, expect, it } from "vitest";
import { CLOSE_CODES, createWebSocketListener } from "../src/bridge/index.ts";
import { connectBridgeClient } from "../src/browser/index.ts";
import {
  cleanupsAfterEach,
  HELLO,
  nodeWebSocket,
  ORIGIN,
  PASSWORD,
  type Pop3,
  startPop3,
  until,
  WsPeer,
} from "./helpers/fixtures.ts";

const pki = perFileTestPki();
const cleanups = cleanupsAfterEach();

/** A POP3 server with no TCP listener at all, reachable only over WebSocket. */
async function setup(
  options: { tls?: boolean; maxConnections?: number } = {},
): Promise<{ pop3: Pop3; url: string }> {
  const pop3 = await startPop3(pki, undefined, {
    listen: false,
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
  });
  cleanups.push(() => pop3.close());
  const listener = await createWebSocketListener({
    pop3Server: pop3.server,
    port: 0,
    allowedOrigins: [ORIGIN],
    ...(options.tls ? { tls: { cert: pki.cert, key: pki.key } } : {}),
  });
  cleanups.push(() => listener.close());
  const scheme = options.tls ? "wss" : "ws";
  return { pop3, url: `${scheme}://localhost:${listener.address?.port}/pop3` };
}

describe("createWebSocketListener", () => {
  it("serves POP3 directly over ws://: login, RETR, DELE and QUIT applied", async () => {
    const { pop3, url } = await setup();
    const { WebSocket } = nodeWebSocket();
    const { client, upstream, transport } = await connectBridgeClient({ url, WebSocket });
    expect(upstream).toMatchObject({ target: null, secure: false, tls: null });
    expect(upstream.greeting).toMatch(/^\+OK .*<[^>]+@pop\.test>$/);
    expect(transport.secure).toBe(false);
    await client.login({ user: "alice", password: PASSWORD });
    expect(await client.list()).toHaveLength(2);
    expect(Buffer.from(await client.retrBytes(1))).toEqual(Buffer.from(HELLO));
    await client.dele(1);
    await client.quit();
    await until(() => pop3.events.at(-1)?.type === "connection-closed", "the close");
    expect(pop3.store.messages("alice")).toHaveLength(1);
    const events = pop3.events.filter((event) => event.type === "session-event");
    // No TLS on the socket: auto login chose CRAM-MD5, which keeps the password off the wire.
    expect(events).toContainEqual(
      expect.objectContaining({
        event: expect.objectContaining({ type: "login-succeeded", mechanism: "CRAM-MD5" }),
      }),
    );
    expect(pop3.events.at(-1)).toMatchObject({
      type: "connection-closed",
      reason: "quit",
      secure: false,
    });
  });

  it("over wss:// the session is secure, so PLAIN is on offer and auto login uses it", async () => {
    const { pop3, url } = await setup({ tls: true });
    const { WebSocket } = nodeWebSocket({ ca: pki.ca });
    const { client, upstream, transport } = await connectBridgeClient({ url, WebSocket });
    expect(upstream.secure).toBe(true);
    expect(transport.secure).toBe(true);
    await client.login({ user: "alice", password: PASSWORD });
    await client.quit();
    expect(pop3.events).toContainEqual(
      expect.objectContaining({
        event: expect.objectContaining({ type: "login-succeeded", mechanism: "PLAIN" }),
      }),
    );
  });

  it("the POP3 server's connection cap applies: the page reads -ERR [SYS/TEMP]", async () => {
    const { url } = await setup({ maxConnections: 1 });
    const { WebSocket } = nodeWebSocket();
    const first = await connectBridgeClient({ url, WebSocket });
    await expect(connectBridgeClient({ url, WebSocket })).rejects.toSatisfy(
      (error) => Pop3Error.isInstance(error) && error.code === "sys-temp",
    );
    await first.client.quit();
  });

  it("closes with 1003 on a text frame, and refuses other origins at the upgrade", async () => {
    const { pop3, url } = await setup();
    const page = new WsPeer(url, { origin: ORIGIN });
    cleanups.push(async () => page.ws.terminate());
    await until(() => page.frames.length >= 2, "the description and the greeting");
    expect(page.frames[0]?.text).toBe(true);
    page.ws.send("CAPA\r\n");
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.unsupportedData);
    await until(() => pop3.events.some((event) => event.type === "connection-closed"), "the close");
    expect(pop3.events.at(-1)).toMatchObject({ type: "connection-closed", reason: "peer-closed" });

    const evil = new WsPeer(url, { origin: "https://evil.example" });
    expect(await evil.opened).toBe(false);
    expect(evil.httpStatus).toBe(403);
  });

  it("pop3Server.close() ends WebSocket sessions without applying deletes", async () => {
    const { pop3, url } = await setup();
    const { WebSocket } = nodeWebSocket();
    const { client, transport } = await connectBridgeClient({ url, WebSocket });
    await client.login({ user: "alice", password: PASSWORD, method: "apop" });
    await client.dele(1);
    await pop3.close();
    await until(() => transport.closeEvent !== null, "the page to see the close");
    expect(pop3.store.messages("alice")).toHaveLength(2);
    expect(pop3.events.at(-1)).toMatchObject({ type: "connection-closed", reason: "shutdown" });
  });
});
