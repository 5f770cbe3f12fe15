import * as net from "node:net";
import { LocalProtocolError } from "@apop/core";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { type RawPeer, rawServer } from "@apop/vitest-preset/raw-peer";
import { describe, expect, it } from "vitest";
import {
  type BridgeEvent,
  type BridgeOptions,
  CLOSE_CODES,
  createBridge,
} from "../src/bridge/index.ts";
import { connectBridgeClient } from "../src/browser/index.ts";
import {
  cleanupsAfterEach,
  commandsSeen,
  countingServer,
  HELLO,
  latin1,
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

async function setup(
  options: Partial<BridgeOptions> = {},
  mailboxes?: Record<string, Uint8Array[]>,
): Promise<{ pop3: Pop3; url: string; events: BridgeEvent[] }> {
  const pop3 = await startPop3(pki, mailboxes);
  cleanups.push(() => pop3.close());
  const events: BridgeEvent[] = [];
  const bridge = await createBridge({
    port: 0,
    targets: [
      { name: "local", host: "127.0.0.1", port: pop3.port, tls: "starttls", ca: pki.ca },
      { name: "implicit", host: "127.0.0.1", port: pop3.tlsPort, tls: "implicit", ca: pki.ca },
      { name: "clear", host: "127.0.0.1", port: pop3.port, tls: "none" },
    ],
    allowedOrigins: [ORIGIN],
    onEvent: (event) => events.push(event),
    ...options,
  });
  cleanups.push(() => bridge.close());
  return { pop3, url: `ws://127.0.0.1:${bridge.address?.port}/pop3`, events };
}

/** A clear-text POP3 server that answers each command line with `reply(line)`, recording them. */
async function scriptedServer(
  reply: (line: string, peer: RawPeer) => Promise<void>,
): Promise<{ port: number; commands: string[] }> {
  const commands: string[] = [];
  const server = await rawServer(async (peer) => {
    await peer.write("+OK scripted <1.2@pop.test>\r\n");
    for (let line = await peer.readLine(); line !== null; line = await peer.readLine()) {
      commands.push(line);
      await reply(line, peer);
    }
  });
  cleanups.push(() => server.close());
  return { port: server.port, commands };
}

function peer(url: string, options: { origin?: string; ca?: string } = { origin: ORIGIN }): WsPeer {
  const created = new WsPeer(url, options);
  cleanups.push(async () => created.ws.terminate());
  return created;
}

describe("the bridge's framing", () => {
  it("describes the upstream in one text frame, then relays the original greeting in binary, STLS done", async () => {
    const { pop3, url } = await setup();
    const page = peer(`${url}?target=local`);
    await until(() => page.frames.length >= 2, "the description and the greeting");
    const [first, second] = page.frames;
    expect(first?.text).toBe(true);
    const hello = JSON.parse(first?.data.toString() ?? "");
    expect(hello).toMatchObject({
      type: "upstream",
      target: "local",
      secure: true,
      tls: "starttls",
    });
    expect(hello.greeting).toMatch(/^\+OK .*<[^>]+@pop\.test>$/);
    expect(second?.text).toBe(false);
    expect(second?.data.toString("latin1")).toBe(`${hello.greeting}\r\n`);
    // The bridge's own CAPA and STLS (core's requireTls) never reach the page; the server is
    // inside TLS.
    expect(commandsSeen(pop3.events)).toEqual(["CAPA", "STLS"]);
    expect(pop3.server.connections()[0]?.secure).toBe(true);

    page.ws.send(latin1("CAPA\r\n"));
    await until(() => page.binaryText.includes("\r\n.\r\n"), "the CAPA listing");
    expect(page.binaryText).not.toMatch(/\r\nSTLS\r\n/);
    page.ws.send(latin1("QUIT\r\n"));
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.normal);
    expect(page.closeReason).toMatch(/POP3 server closed/);
    expect(page.frames.filter((frame) => frame.text)).toHaveLength(1);
  });

  it("runs core's Pop3Client through it: APOP, LIST, UIDL, RETR, DELE and QUIT", async () => {
    const { pop3, url } = await setup();
    const { WebSocket } = nodeWebSocket();
    const { client, transport, upstream } = await connectBridgeClient({
      url,
      target: "local",
      WebSocket,
    });
    expect(upstream.secure).toBe(true);
    // ws:// on loopback and TLS beyond the bridge: both hops are private.
    expect(transport.secure).toBe(true);
    expect(client.greeting.timestamp).toMatch(/@pop\.test>$/);
    await client.login({ user: "alice", password: PASSWORD, method: "apop" });
    expect(await client.list()).toHaveLength(2);
    expect((await client.uidl()).map((entry) => entry.uid)).toEqual(["1", "2"]);
    expect(Buffer.from(await client.retrBytes(1))).toEqual(Buffer.from(HELLO));
    await client.dele(1);
    await client.quit();
    expect(pop3.store.messages("alice")).toHaveLength(1);
    const login = pop3.events.find(
      (event) => event.type === "session-event" && event.event.type === "login-succeeded",
    );
    expect(login).toMatchObject({ event: { mechanism: "APOP", user: "alice" } });
  });

  it("closes with 1003 and a reason when the page sends a text frame; the server gets nothing", async () => {
    const { pop3, url } = await setup();
    const page = peer(`${url}?target=local`);
    await until(() => page.frames.length >= 2, "the greeting");
    page.ws.send("CAPA\r\n");
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.unsupportedData);
    expect(page.closeReason).toMatch(/text frames are not accepted/);
    await until(() => pop3.events.some((event) => event.type === "connection-closed"), "the close");
    expect(commandsSeen(pop3.events)).toEqual(["CAPA", "STLS"]);
  });

  it("closes with 1009 on a frame over maxFrameBytes", async () => {
    const { url } = await setup({ maxFrameBytes: 1024 });
    const page = peer(`${url}?target=local`);
    await until(() => page.frames.length >= 2, "the greeting");
    page.ws.send(new Uint8Array(2000));
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.messageTooBig);
  });
});

describe("what the bridge refuses", () => {
  it("refuses a target outside the allow-list with 4403 and connects nothing", async () => {
    const { pop3, url, events } = await setup();
    const elsewhere = await countingServer();
    cleanups.push(() => elsewhere.close());
    for (const target of [`127.0.0.1:${elsewhere.port}`, "nowhere", `localhost:${pop3.port}`]) {
      const page = peer(`${url}?target=${encodeURIComponent(target)}`);
      await page.closed;
      expect(page.closeCode).toBe(CLOSE_CODES.targetNotAllowed);
      expect(page.closeReason).toBe(`not in the bridge's allow-list: ${target}`);
      expect(page.frames).toEqual([]);
    }
    const unnamed = peer(url);
    await unnamed.closed;
    expect(unnamed.closeCode).toBe(CLOSE_CODES.badRequest);
    expect(unnamed.closeReason).toMatch(/target=/);
    expect(elsewhere.count()).toBe(0);
    expect(pop3.events.filter((event) => event.type === "connection-opened")).toEqual([]);
    expect(events.filter((event) => event.type === "upstream-ready")).toEqual([]);
    // An allowed server may also be named by host:port.
    const byAddress = peer(`${url}?target=127.0.0.1:${pop3.port}`);
    await until(() => byAddress.frames.length >= 1, "the description");
    expect(JSON.parse(byAddress.frames[0]?.data.toString() ?? "").target).toBe("local");
  });

  it("refuses other origins, and requests without one, at the upgrade (HTTP 403)", async () => {
    const { pop3, url, events } = await setup();
    const evil = peer(`${url}?target=local`, { origin: "https://evil.example" });
    expect(await evil.opened).toBe(false);
    expect(evil.httpStatus).toBe(403);
    const bare = peer(`${url}?target=local`, {});
    expect(await bare.opened).toBe(false);
    expect(bare.httpStatus).toBe(403);
    expect(events.filter((event) => event.type === "upgrade-refused")).toMatchObject([
      { reason: "origin", origin: "https://evil.example" },
      { reason: "origin", origin: null },
    ]);
    expect(events.filter((event) => event.type === "connection-opened")).toEqual([]);
    expect(pop3.events).toEqual([]);
  });

  it("caps open connections: over maxConnections the page gets 1013", async () => {
    const { url } = await setup({ maxConnections: 1 });
    const first = peer(`${url}?target=local`);
    await until(() => first.frames.length >= 2, "the first session");
    const second = peer(`${url}?target=local`);
    await second.closed;
    expect(second.closeCode).toBe(CLOSE_CODES.tryAgainLater);
    expect(second.closeReason).toMatch(/too many connections/);
    first.ws.close();
    await first.closed;
    const third = peer(`${url}?target=local`);
    await until(() => third.frames.length >= 2, "a session once the first left");
  });

  it("counts upgrade requests that never finish under the caps, and ends them after requestTimeoutMs", async () => {
    const { url, events } = await setup({ maxConnectionsPerAddress: 2, requestTimeoutMs: 1000 });
    const port = Number(new URL(url).port);
    /** A raw TCP client that sends half an upgrade request and then nothing. */
    const hanging = () => {
      const socket = net.connect({ host: "127.0.0.1", port });
      socket.on("error", () => {});
      // Read (and drop) what the server answers, so its close is seen.
      socket.resume();
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      socket.write(`GET /pop3?target=local HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${ORIGIN}\r\n`);
      cleanups.push(async () => socket.destroy());
      return { socket, closed };
    };
    const slow = [hanging(), hanging()];
    await Promise.all(slow.map(({ socket }) => new Promise((r) => socket.once("connect", r))));
    await until(
      () => events.length === 0 && slow.every(({ socket }) => !socket.destroyed),
      "two pending requests",
    );
    // A third from the same address is over the per-address cap: closed before any HTTP.
    const third = hanging();
    await third.closed;
    await until(
      () => events.some((e) => e.type === "upgrade-refused" && e.reason === "pending-limit"),
      "the refusal event",
    );
    // The two that never finish are ended by the server (Node's default would be 60 s or more).
    await Promise.all(slow.map(({ closed }) => closed));
    // Their slots are free again: a real page gets a session.
    const page = peer(`${url}?target=local`);
    await until(() => page.frames.length >= 2, "a session after the hanging requests ended");
  }, 30_000);

  it("caps the bytes toward the page with 4413", async () => {
    const big = latin1(`Subject: big\r\n\r\n${"x".repeat(200_000)}\r\n`);
    const { url } = await setup({ maxBytesToBrowser: 64 * 1024 }, { alice: [big] });
    const { WebSocket } = nodeWebSocket();
    const { client, transport } = await connectBridgeClient({ url, target: "local", WebSocket });
    await client.login({ user: "alice", password: PASSWORD, method: "apop" });
    await expect(client.retrBytes(1)).rejects.toThrow();
    expect(transport.closeEvent).toEqual({
      code: CLOSE_CODES.byteLimit,
      reason: "the bridge's byte limit toward the page was reached",
    });
  });

  it("closes an idle connection with 4408", async () => {
    const { url } = await setup({ idleTimeoutMs: 200 });
    const page = peer(`${url}?target=local`);
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.idleTimeout);
  });

  it("will not serve plain ws:// off loopback unless told to", async () => {
    await expect(
      createBridge({
        port: 0,
        host: "0.0.0.0",
        targets: [{ host: "x", tls: "none" }],
        allowedOrigins: ["*"],
      }),
    ).rejects.toSatisfy(
      (error) => LocalProtocolError.isInstance(error) && /loopback/.test(error.message),
    );
    await expect(
      createBridge({
        port: 0,
        targets: [{ host: "x", tls: "none" }],
        allowedOrigins: ["https://x.test/"],
      }),
    ).rejects.toThrow(/not an origin/);
  });
});

describe("the hop to the server", () => {
  it("implicit TLS is secure, so auto login may use PLAIN; a clear hop is not, so it uses CRAM-MD5", async () => {
    const { pop3, url } = await setup();
    const { WebSocket } = nodeWebSocket();
    const implicit = await connectBridgeClient({ url, target: "implicit", WebSocket });
    expect(implicit.upstream).toMatchObject({ secure: true, tls: "implicit" });
    await implicit.client.login({ user: "alice", password: PASSWORD });
    await implicit.client.quit();

    const clear = await connectBridgeClient({ url, target: "clear", WebSocket });
    expect(clear.upstream).toMatchObject({ secure: false, tls: "none" });
    expect(clear.transport.secure).toBe(false);
    await expect(
      clear.client.login({ user: "alice", password: PASSWORD, method: "user" }),
    ).rejects.toSatisfy((error) => LocalProtocolError.isInstance(error));
    await clear.client.login({ user: "alice", password: PASSWORD });
    await clear.client.quit();

    const mechanisms = pop3.events.flatMap((event) =>
      event.type === "session-event" && event.event.type === "login-succeeded"
        ? [event.event.mechanism]
        : [],
    );
    expect(mechanisms).toEqual(["PLAIN", "CRAM-MD5"]);
    expect(commandsSeen(pop3.events)).not.toContain("USER");
  });

  it("closes with 4502 when the server is down or cannot do STLS, and 4504 when it never greets", async () => {
    const down = await countingServer();
    const downPort = down.port;
    await down.close();
    const refusing = net.createServer((socket) => {
      socket.on("error", () => {});
      socket.write("+OK no TLS here\r\n");
      socket.on("data", () => socket.write("-ERR not today\r\n"));
    });
    // Lists STLS in CAPA, then refuses it.
    const teasing = await scriptedServer((line, peer) =>
      peer.write(line === "CAPA" ? "+OK\r\nSTLS\r\n.\r\n" : "-ERR not today\r\n"),
    );
    // Has no STLS in CAPA: the bridge must not even send STLS.
    const bare = await scriptedServer((_, peer) => peer.write("+OK\r\nUSER\r\n.\r\n"));
    // Reads (so it sees the bridge hang up) but never answers.
    const silent = net.createServer((socket) => socket.on("error", () => {}).resume());
    for (const server of [refusing, silent]) {
      await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    }
    const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;
    const { url } = await setup({
      upstreamTimeoutMs: 300,
      targets: [
        { name: "down", host: "127.0.0.1", port: downPort, tls: "none" },
        { name: "refusing", host: "127.0.0.1", port: portOf(refusing), tls: "starttls" },
        { name: "silent", host: "127.0.0.1", port: portOf(silent), tls: "implicit" },
        { name: "teasing", host: "127.0.0.1", port: teasing.port, tls: "starttls" },
        { name: "bare", host: "127.0.0.1", port: bare.port, tls: "starttls" },
      ],
    });
    const expected = [
      ["down", CLOSE_CODES.upstreamFailed, /^could not reach 127\.0\.0\.1:\d+: .*ECONNREFUSED/],
      // Core's requireTls: a refused CAPA cannot confirm STLS (RFC 2595 section 4).
      ["refusing", CLOSE_CODES.upstreamFailed, /cannot do STLS: the server refused CAPA/],
      ["silent", CLOSE_CODES.upstreamTimeout, /did not get ready within 300 ms/],
      ["teasing", CLOSE_CODES.upstreamFailed, /cannot do STLS: the server refused STLS: not/],
      ["bare", CLOSE_CODES.upstreamFailed, /cannot do STLS: the server does not offer STLS/],
    ] as const;
    for (const [target, code, reason] of expected) {
      const page = peer(`${url}?target=${target}`);
      await page.closed;
      expect([target, page.closeCode]).toEqual([target, code]);
      expect(page.closeReason).toMatch(reason);
      expect(page.frames).toEqual([]);
    }
    expect(teasing.commands).toEqual(["CAPA", "STLS"]);
    expect(bare.commands).toEqual(["CAPA"]);
  });

  it("drops what a server sends in clear behind its STLS +OK (CVE-2011-0411's response side)", async () => {
    let secure = false;
    const injecting = await scriptedServer(async (line, peer) => {
      if (line === "STLS") {
        // The forged reply rides behind the +OK, in the same segment.
        await peer.write("+OK begin TLS\r\n+OK forged\r\nFORGED\r\n.\r\n");
        await peer.startTls({ side: "server", key: pki.key, cert: pki.cert });
        secure = true;
      } else await peer.write(secure ? "+OK\r\nUSER\r\n.\r\n" : "+OK\r\nSTLS\r\n.\r\n");
    });
    const { url } = await setup({
      targets: [
        {
          name: "injecting",
          host: "127.0.0.1",
          port: injecting.port,
          tls: "starttls",
          ca: pki.ca,
        },
      ],
    });
    const page = peer(`${url}?target=injecting`);
    await until(() => page.frames.length >= 2, "the description and the greeting");
    page.ws.send(latin1("CAPA\r\n"));
    await until(() => page.binaryText.includes("\r\n.\r\n"), "the CAPA listing");
    expect(page.binaryText).toBe("+OK scripted <1.2@pop.test>\r\n+OK\r\nUSER\r\n.\r\n");
    expect(injecting.commands).toEqual(["CAPA", "STLS", "CAPA"]);
  });

  it("a page that vanishes mid-RETR: the server sees a plain disconnect and applies no deletes", async () => {
    const big = latin1(`Subject: big\r\n\r\n${"line of text\r\n".repeat(300_000)}`);
    const { pop3, url } = await setup({}, { alice: [HELLO, big] });
    const { WebSocket, created } = nodeWebSocket();
    const { client } = await connectBridgeClient({ url, target: "local", WebSocket });
    await client.login({ user: "alice", password: PASSWORD, method: "apop" });
    await client.dele(1);
    let received = 0;
    await expect(
      (async () => {
        for await (const chunk of client.retr(2)) {
          received += chunk.length;
          // The page's machine drops off the network: no close frame, no FIN.
          created[0]?.terminate();
        }
      })(),
    ).rejects.toThrow();
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(big.length);
    await until(() => pop3.events.some((event) => event.type === "connection-closed"), "the close");
    const closed = pop3.events.find((event) => event.type === "connection-closed");
    expect(closed).toMatchObject({ reason: "peer-closed", user: "alice" });
    expect(
      pop3.events.some(
        (event) => event.type === "session-event" && event.event.type === "update-applied",
      ),
    ).toBe(false);
    expect(commandsSeen(pop3.events)).not.toContain("QUIT");
    expect(pop3.store.messages("alice")).toHaveLength(2);
    expect(pop3.store.isLocked("alice")).toBe(false);
  });
});

describe("wss:// and shutdown", () => {
  it("serves wss:// from a certificate, and close() ends sessions with 1001", async () => {
    const { pop3 } = await setup();
    const bridge = await createBridge({
      port: 0,
      tls: { cert: pki.cert, key: pki.key },
      targets: [{ name: "local", host: "127.0.0.1", port: pop3.port, tls: "starttls", ca: pki.ca }],
      allowedOrigins: [ORIGIN],
    });
    cleanups.push(() => bridge.close());
    const page = peer(`wss://localhost:${bridge.address?.port}/pop3?target=local`, {
      origin: ORIGIN,
      ca: pki.ca,
    });
    await until(() => page.frames.length >= 2, "the greeting over wss");
    expect(bridge.connectionCount).toBe(1);
    await bridge.close();
    await page.closed;
    expect(page.closeCode).toBe(CLOSE_CODES.goingAway);
    await until(() => pop3.events.some((event) => event.type === "connection-closed"), "the close");
  });
});
