/**
 * The browser transport's own rules, against a fake bridge: what it accepts as the first
 * frame, and what ends the connection afterwards.
 */
import type * as net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import {
  BridgeError,
  CLOSE_CODES,
  connectBridge,
  connectBridgeClient,
} from "../src/browser/index.ts";
import { nodeWebSocket, until } from "./helpers/fixtures.ts";

const HELLO_FRAME = JSON.stringify({
  type: "upstream",
  target: "fake",
  secure: true,
  tls: "implicit",
  greeting: "+OK fake <1.2@fake.test>",
});

let server: WebSocketServer | null = null;
afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) =>
    server === null ? resolve() : server.close(() => resolve()),
  );
  server = null;
});

/** A fake bridge that runs `script` for each connection and reports how the page closed. */
async function fakeBridge(
  script: (ws: WebSocket) => void,
): Promise<{ url: string; closes: { code: number; reason: string }[] }> {
  const closes: { code: number; reason: string }[] = [];
  server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  server.on("connection", (ws) => {
    ws.on("close", (code, reason) => closes.push({ code, reason: reason.toString() }));
    script(ws);
  });
  await new Promise((resolve) => server?.once("listening", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `ws://127.0.0.1:${port}/pop3`, closes };
}

describe("WebSocketTransport", () => {
  it("a second text frame ends the connection with 1003: reads return null", async () => {
    const { url, closes } = await fakeBridge((ws) => {
      ws.send(HELLO_FRAME);
      ws.send(Buffer.from("+OK fake <1.2@fake.test>\r\n"));
      ws.on("message", () => ws.send("+OK as text"));
    });
    const { WebSocket } = nodeWebSocket();
    const { client, transport } = await connectBridgeClient({ url, WebSocket });
    expect(client.greeting.timestamp).toBe("<1.2@fake.test>");
    await expect(client.capa()).rejects.toThrow(/closed/);
    await expect(transport.read()).resolves.toBeNull();
    // The fake bridge hears the close after the page does: wait for it, however loaded the machine.
    await until(() => closes.length > 0, "the bridge to see the close");
    expect(closes).toEqual([
      { code: CLOSE_CODES.unsupportedData, reason: "a text frame after the upstream description" },
    ]);
  });

  it("a binary frame before the description is refused with 1002 and BridgeError", async () => {
    const { url, closes } = await fakeBridge((ws) => ws.send(Buffer.from("+OK hi\r\n")));
    const { WebSocket } = nodeWebSocket();
    await expect(connectBridge({ url, WebSocket })).rejects.toSatisfy(
      (error) => BridgeError.isInstance(error) && /binary frame came before/.test(error.message),
    );
    await until(() => closes.length > 0, "the bridge to see the close");
    expect(closes[0]?.code).toBe(CLOSE_CODES.protocolError);
  });

  it("a close before the description rejects with the bridge's code and reason", async () => {
    const { url } = await fakeBridge((ws) => ws.close(4403, "not in the bridge's allow-list: x"));
    const { WebSocket } = nodeWebSocket();
    const error = await connectBridge({ url, target: "x", WebSocket }).catch((caught) => caught);
    expect(BridgeError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      closeCode: 4403,
      closeReason: "not in the bridge's allow-list: x",
    });
  });

  it("secure only when the bridge says the server hop is TLS", async () => {
    const { url } = await fakeBridge((ws) => {
      ws.send(JSON.stringify({ ...JSON.parse(HELLO_FRAME), secure: false, tls: "none" }));
      ws.send(Buffer.from("+OK fake <1.2@fake.test>\r\n"));
    });
    const { WebSocket } = nodeWebSocket();
    const { transport } = await connectBridge({ url, WebSocket });
    expect(transport.upstream.secure).toBe(false);
    expect(transport.secure).toBe(false);
    await transport.close();
  });

  it("gives up waiting for the description after connectTimeoutMs", async () => {
    const { url } = await fakeBridge(() => {});
    const { WebSocket } = nodeWebSocket();
    await expect(connectBridge({ url, WebSocket, connectTimeoutMs: 100 })).rejects.toThrow(
      /did not describe the POP3 server within 100 ms/,
    );
  });
});
