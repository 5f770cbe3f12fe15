// PROXY protocol on real sockets: a trusted balancer's header names the client that the
// caps and events see, on plain and implicit TLS listeners; everyone else is refused.
import * as net from "node:net";
import * as tls from "node:tls";
import { formatProxyHeader, type ProxyHeader } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "../../../tooling/vitest/per-file.ts";
import { latin1, startServer, until } from "./helpers/fixtures.ts";
import { RawPeer } from "@apop/vitest-preset/raw-peer";

const pki = perFileTestPki();

const client = (address: string, port: number): ProxyHeader => ({
  version: 2,
  endpoints: {
    sourceAddress: address,
    sourcePort: port,
    destinationAddress: "127.0.0.1",
    destinationPort: 110,
  },
});

describe("PROXY protocol", () => {
  it("admits and reports the client a v1 or v2 header names, with the first command in the same packet", async () => {
    const served = await startServer({ proxyProtocol: { trusted: ["127.0.0.1"] } });
    for (const version of [1, 2] as const) {
      const peer = await RawPeer.connect(served.port);
      const header = formatProxyHeader({
        ...client(`203.0.113.${version}`, 5000 + version),
        version,
      });
      await peer.write(Buffer.concat([header, latin1("CAPA\r\n")]));
      expect(await peer.readLine()).toMatch(/^\+OK/);
      expect(await peer.readLine()).toMatch(/^\+OK/);
      peer.close();
    }
    await until(() => served.server.connectionCount === 0);
    const opened = served.events.filter((e) => e.type === "connection-opened");
    expect(opened).toMatchObject([
      { remoteAddress: "203.0.113.1", remotePort: 5001, proxiedBy: "127.0.0.1" },
      { remoteAddress: "203.0.113.2", remotePort: 5002, proxiedBy: "127.0.0.1" },
    ]);
    await served.close();
  });

  it("counts the per-address cap by the named client, not by the balancer", async () => {
    const served = await startServer({
      proxyProtocol: { trusted: ["127.0.0.1"] },
      maxConnectionsPerAddress: 1,
    });
    const connectAs = async (address: string): Promise<RawPeer> => {
      const peer = await RawPeer.connect(served.port);
      await peer.write(formatProxyHeader(client(address, 1)));
      return peer;
    };
    const first = await connectAs("198.51.100.1");
    const other = await connectAs("198.51.100.2");
    const again = await connectAs("198.51.100.1");
    expect(await first.readLine()).toMatch(/^\+OK/);
    expect(await other.readLine()).toMatch(/^\+OK/);
    expect(await again.readToEnd()).toMatch(/^-ERR \[SYS\/TEMP\]/);
    first.close();
    other.close();
    await served.close();
  });

  it("passes a v2 LOCAL health check through as the balancer's own connection", async () => {
    const served = await startServer({ proxyProtocol: { trusted: ["127.0.0.1"] } });
    const peer = await RawPeer.connect(served.port);
    await peer.write(formatProxyHeader({ version: 2, endpoints: null }));
    expect(await peer.readLine()).toMatch(/^\+OK/);
    peer.close();
    await until(() => served.server.connectionCount === 0);
    expect(served.events.find((e) => e.type === "connection-opened")).toMatchObject({
      remoteAddress: "127.0.0.1",
      proxiedBy: "127.0.0.1",
      // The listener's port (the server listened on port 0 and reports the one it got).
      localPort: served.port,
    });
    await served.close();
  });

  it("reads the header before an implicit TLS handshake that arrives in the same packet", async () => {
    const served = await startServer({
      proxyProtocol: { trusted: ["127.0.0.1"] },
      tls: { key: pki.key, cert: pki.cert },
    });
    const raw = net.connect({ host: "127.0.0.1", port: served.tlsPort as number });
    await new Promise((resolve) => raw.once("connect", resolve));
    raw.cork();
    raw.write(formatProxyHeader(client("192.0.2.44", 4444)));
    const secured = tls.connect({ socket: raw, ca: pki.ca, servername: "localhost" });
    process.nextTick(() => raw.uncork());
    const greeting = await new Promise<string>((resolve, reject) => {
      secured.once("data", (chunk: Buffer) => resolve(chunk.toString("latin1")));
      secured.once("error", reject);
    });
    expect(greeting).toMatch(/^\+OK/);
    secured.destroy();
    await until(() => served.server.connectionCount === 0);
    expect(served.events.find((e) => e.type === "connection-opened")).toMatchObject({
      remoteAddress: "192.0.2.44",
      implicitTls: true,
    });
    await served.close();
  });

  it("closes a trusted source that sends no header, a broken one, or nothing in time, without a greeting", async () => {
    const served = await startServer({
      proxyProtocol: { trusted: ["127.0.0.1"], headerTimeoutMs: 200 },
    });
    const missing = await RawPeer.connect(served.port);
    await missing.write("CAPA\r\n");
    expect(await missing.readToEnd()).toBe("");
    const broken = await RawPeer.connect(served.port);
    await broken.write("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n");
    expect(await broken.readToEnd()).toBe("");
    const silent = await RawPeer.connect(served.port);
    expect(await silent.readToEnd()).toBe("");
    const refusals = served.events.flatMap((e) => (e.type === "proxy-refused" ? [e.refusal] : []));
    expect(refusals).toEqual(["missing", "invalid", "timeout"]);
    expect(served.events.some((e) => e.type === "connection-opened")).toBe(false);
    await served.close();
  });

  it("refuses a header from a source that is not trusted, and serves that source otherwise", async () => {
    const served = await startServer({ proxyProtocol: { trusted: ["127.0.0.2"] } });
    const spoofer = await RawPeer.connect(served.port, "127.0.0.1");
    expect(await spoofer.readLine()).toMatch(/^\+OK/);
    await spoofer.write(formatProxyHeader({ ...client("10.0.0.1", 1), version: 1 }));
    expect(await spoofer.readToEnd()).toBe("");
    const direct = await RawPeer.connect(served.port, "127.0.0.1");
    expect(await direct.readLine()).toMatch(/^\+OK/);
    await direct.write("QUIT\r\n");
    expect(await direct.readToEnd()).toMatch(/^\+OK/);
    expect(served.events).toContainEqual(
      expect.objectContaining({
        type: "proxy-refused",
        refusal: "untrusted",
        remoteAddress: "127.0.0.1",
      }),
    );
    // The balancer at 127.0.0.2 must send one.
    const balancer = await RawPeer.connect(served.port, "127.0.0.1", "127.0.0.2");
    await balancer.write(formatProxyHeader(client("192.0.2.9", 9)));
    expect(await balancer.readLine()).toMatch(/^\+OK/);
    balancer.close();
    await served.close();
  });
});
