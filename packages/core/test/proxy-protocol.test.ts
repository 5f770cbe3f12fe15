// PROXY protocol in the runtime-neutral host: a trusted balancer's header is read before
// admission and names the client the caps, events and logs see; anything else is refused.
import { describe, expect, it } from "vitest";
import {
  formatProxyHeader,
  MemoryStore,
  ServerHost,
  type ServerHostEvent,
  type ServerHostOptions,
} from "../src/index.ts";
import { resolveServerHostOptions } from "../src/internal.ts";
import { ManualClock, realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

function setup(options: Partial<ServerHostOptions> = {}) {
  const events: ServerHostEvent[] = [];
  const resolved = resolveServerHostOptions({
    options: {
      store: new MemoryStore({ mailboxes: { alice: [] } }),
      authenticator: { lookup: () => null },
      proxyProtocol: { trusted: ["127.0.0.1", "10.0.0.0/8"] },
      onEvent: (event) => events.push(event),
      ...options,
    },
    serverNameOption: "serverName",
    defaultServerName: () => "host.test",
    defaultClock: realClock,
  });
  return {
    host: new ServerHost({ options: resolved, randomBytes: (n) => new Uint8Array(n) }),
    events,
  };
}

/** A `read` that hands out the given chunks, then waits for ever (a silent peer). */
function chunks(...parts: Uint8Array[]): () => Promise<Uint8Array | null> {
  return () => {
    const next = parts.shift();
    return next === undefined ? new Promise(() => {}) : Promise.resolve(next);
  };
}

const v2 = formatProxyHeader({
  version: 2,
  endpoints: {
    sourceAddress: "203.0.113.9",
    sourcePort: 51000,
    destinationAddress: "10.0.0.5",
    destinationPort: 110,
  },
});

describe("PROXY protocol (ServerHost)", () => {
  it("reads a header only from trusted sources, dual-stack forms included", () => {
    const { host } = setup();
    expect(host.proxyMode("127.0.0.1")).toBe("read-header");
    expect(host.proxyMode("::ffff:10.9.8.7")).toBe("read-header");
    expect(host.proxyMode("192.0.2.1")).toBe("admit");
    expect(setup({ proxyProtocol: { trusted: [] } }).host.proxyMode("127.0.0.1")).toBe("admit");
  });

  it("names the client from a v2 header split across reads, and keeps the bytes after it", async () => {
    const { host } = setup();
    const whole = await host.readProxyHeader({
      remoteAddress: "127.0.0.1",
      remotePort: 40000,
      read: chunks(v2.subarray(0, 5), Uint8Array.of(...v2.subarray(5), 0x16, 0x03)),
    });
    expect(whole).toEqual({
      remoteAddress: "203.0.113.9",
      remotePort: 51000,
      proxiedBy: "127.0.0.1",
      rest: Uint8Array.of(0x16, 0x03),
    });
  });

  it("admits a v2 LOCAL health check as the balancer itself", async () => {
    const { host } = setup();
    const local = formatProxyHeader({ version: 2, endpoints: null });
    expect(
      await host.readProxyHeader({ remoteAddress: "10.1.1.1", remotePort: 7, read: chunks(local) }),
    ).toEqual({
      remoteAddress: "10.1.1.1",
      remotePort: 7,
      proxiedBy: "10.1.1.1",
      rest: new Uint8Array(0),
    });
  });

  it.each([
    ["missing", [ascii("CAPA\r\n")]],
    ["invalid", [ascii("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n")]],
  ])("refuses a trusted source whose header is %s", async (refusal, parts) => {
    const { host, events } = setup();
    const peer = await host.readProxyHeader({
      remoteAddress: "127.0.0.1",
      remotePort: 1,
      read: chunks(...parts),
    });
    expect(peer).toBeNull();
    expect(events).toMatchObject([{ type: "proxy-refused", remoteAddress: "127.0.0.1", refusal }]);
  });

  it("refuses a trusted source that closes or stays silent past the header timeout", async () => {
    const clock = new ManualClock();
    const { host, events } = setup({
      clock,
      proxyProtocol: { trusted: ["127.0.0.1"], headerTimeoutMs: 3000 },
    });
    expect(
      await host.readProxyHeader({
        remoteAddress: "127.0.0.1",
        remotePort: 1,
        read: async () => null,
      }),
    ).toBeNull();
    const silent = host.readProxyHeader({
      remoteAddress: "127.0.0.1",
      remotePort: 2,
      read: chunks(v2.subarray(0, 10)),
    });
    await Promise.resolve();
    clock.advance(2999);
    clock.advance(1);
    expect(await silent).toBeNull();
    expect(events.map((e) => e.type === "proxy-refused" && e.refusal)).toEqual([
      "closed",
      "timeout",
    ]);
  });

  /** A plain connection from 192.0.2.1, which no test trusts, served over a memory link. */
  function admitUntrusted(host: ReturnType<typeof setup>["host"]) {
    const link = createMemoryLink({ upgradable: false });
    const done = host.admit({
      remoteAddress: "192.0.2.1",
      remotePort: 4,
      localPort: 110,
      implicitTls: false,
      abort: () => {},
      run: (connection) => host.serve(connection, { transport: link.server }),
    });
    return { link, done };
  }

  it("closes a connection from an untrusted source that sends a header, after the greeting", async () => {
    const { host, events } = setup();
    const { link, done } = admitUntrusted(host);
    expect(text((await link.client.read()) as Uint8Array)).toMatch(/^\+OK/);
    await link.client.write(v2.subarray(0, 6));
    await link.client.write(v2.subarray(6));
    await done;
    expect(await link.client.read()).toBeNull();
    expect(events.filter((e) => e.type !== "session-event").map((e) => e.type)).toEqual([
      "connection-opened",
      "proxy-refused",
      "connection-closed",
    ]);
    expect(events[1]).toMatchObject({ refusal: "untrusted", remoteAddress: "192.0.2.1" });
  });

  it("serves an untrusted client whose first bytes only look like a header for a while", async () => {
    const { host, events } = setup();
    const { link, done } = admitUntrusted(host);
    await link.client.read();
    await link.client.write(ascii("PRO"));
    await link.client.write(ascii("XX\r\nQUIT\r\n"));
    let reply = "";
    for (let chunk = await link.client.read(); chunk !== null; chunk = await link.client.read())
      reply += text(chunk);
    await done;
    expect(reply).toMatch(/^-ERR.*\r\n\+OK/s);
    expect(events.some((e) => e.type === "proxy-refused")).toBe(false);
  });

  it("refuses a trusted-source list it cannot read, naming the entry", () => {
    expect(() => setup({ proxyProtocol: { trusted: ["10.0.0.0/40"] } })).toThrow(
      /proxyProtocol.trusted.*10\.0\.0\.0\/40/,
    );
    expect(() => setup({ proxyProtocol: { trusted: ["::1"], headerTimeoutMs: 0 } })).toThrow(
      /headerTimeoutMs/,
    );
  });
});
