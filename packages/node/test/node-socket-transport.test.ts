import * as net from "node:net";
import { RemoteProtocolError } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { RawPeer } from "@apop/vitest-preset/raw-peer";
import { ManualClock } from "../../core/test/helpers/manual-clock.ts";
import { NodeSocketTransport } from "../src/index.ts";
import { text, until } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

/** A connected pair over loopback: our side as a plain socket, the other as a RawPeer. */
async function socketPair(): Promise<{ ours: net.Socket; peer: RawPeer; done(): void }> {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => {
    server.once("connection", resolve);
  });
  await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
  const peer = await RawPeer.connect((server.address() as net.AddressInfo).port);
  const ours = await accepted;
  return { ours, peer, done: () => server.close() };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe("NodeSocketTransport reads", () => {
  it("pauses the socket past the high-water mark, so a flood is not buffered without bound", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({ socket: ours, highWaterMark: 64 * 1024 });
    const flood = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const writing = peer.write(flood);
    await until(() => transport.bufferedBytes >= 64 * 1024, "the queue to fill");
    await settle();
    await settle();
    // At most one more socket read (64 KiB) lands after the pause.
    expect(transport.bufferedBytes).toBeLessThanOrEqual(128 * 1024);
    expect(transport.stats.bytesRead).toBeLessThan(flood.length);
    let total = 0;
    while (total < flood.length) {
      const chunk = await transport.read();
      expect(chunk).not.toBeNull();
      total += (chunk as Uint8Array).length;
    }
    await writing;
    expect(total).toBe(flood.length);
    expect(transport.stats.peakBufferedInput).toBeLessThanOrEqual(128 * 1024);
    await transport.close();
    done();
  });

  it("returns null once the peer closes, after what was queued", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({ socket: ours });
    await peer.write("last words\r\n");
    peer.socket.end();
    expect(text((await transport.read()) as Uint8Array)).toBe("last words\r\n");
    expect(await transport.read()).toBeNull();
    await transport.close();
    done();
  });
});

describe("NodeSocketTransport writes", () => {
  it("resolves a write once the socket is done with the bytes, not when it is under the high-water mark", async () => {
    // A high-water mark far above the write, so `socket.write` returns true at once; the
    // peer reads nothing, so the kernel takes only its buffers' worth and libuv holds the
    // rest of the bytes the caller would otherwise be free to reuse.
    const server = net.createServer({ highWaterMark: 128 * 1024 * 1024 });
    const accepted = new Promise<net.Socket>((resolve) => {
      server.once("connection", resolve);
    });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: "127.0.0.1" }, resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    client.pause();
    const ours = await accepted;
    const transport = new NodeSocketTransport({ socket: ours });
    expect(transport.releasesWrittenBytes).toBe(true);
    const bytes = Buffer.alloc(32 * 1024 * 1024, 0x62);
    let written = false;
    const writing = transport.write(bytes).then(() => {
      written = true;
    });
    await settle();
    await settle();
    expect(ours.writableLength).toBeGreaterThan(0);
    expect(written).toBe(false);
    let received = 0;
    client.on("data", (chunk: Buffer) => {
      received += chunk.length;
    });
    client.resume();
    await writing;
    await until(() => received === bytes.length, "the peer to read everything");
    client.destroy();
    await transport.close();
    server.close();
  });
});

describe("NodeSocketTransport listeners", () => {
  it("shares one set of socket listeners among transports, each reaching its own", async () => {
    const a = await socketPair();
    const b = await socketPair();
    const first = new NodeSocketTransport({ socket: a.ours });
    const second = new NodeSocketTransport({ socket: b.ours });
    for (const event of ["data", "end", "error", "drain", "finish", "close"]) {
      expect(a.ours.listeners(event), event).toEqual(b.ours.listeners(event));
    }
    await a.peer.write("to the first\r\n");
    await b.peer.write("to the second\r\n");
    expect(text((await second.read()) as Uint8Array)).toBe("to the second\r\n");
    expect(text((await first.read()) as Uint8Array)).toBe("to the first\r\n");
    a.ours.emit("error", new Error("only the first"));
    expect(first.lastError?.message).toBe("only the first");
    expect(second.lastError).toBeNull();
    a.peer.socket.end();
    expect(await first.read()).toBeNull();
    await Promise.all([first.close(), second.close()]);
    a.done();
    b.done();
  });
});

describe("NodeSocketTransport writes", () => {
  it("waits for 'drain' when the peer does not read, and never holds more than one write", async () => {
    const { ours, peer, done } = await socketPair();
    peer.socket.pause();
    const transport = new NodeSocketTransport({ socket: ours });
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    let written = 0;
    // Write until a write has to wait: the kernel buffers are full.
    for (;;) {
      const write = transport.write(chunk);
      written += chunk.length;
      const waited = await Promise.race([write.then(() => false), settle().then(() => true)]);
      if (waited) {
        expect(transport.stats.backpressureWaits).toBeGreaterThan(0);
        expect(transport.stats.bufferedOutput).toBeLessThanOrEqual(2 * chunk.length);
        peer.socket.resume();
        await write;
        break;
      }
    }
    expect(transport.stats.bytesWritten).toBe(written);
    expect(transport.stats.peakBufferedOutput).toBeLessThanOrEqual(2 * chunk.length);
    await transport.close();
    expect((await peer.readToEnd()).length).toBe(written);
    done();
  });

  it("rejects writes and ends reads once the connection is gone", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({ socket: ours });
    const reading = transport.read();
    peer.close();
    expect(await reading).toBeNull();
    await until(() => ours.destroyed, "the socket to close");
    const error = await transport.write(Buffer.from("x")).catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("connection-closed");
    done();
  });
});

describe("NodeSocketTransport close", () => {
  it("is idempotent, flushes what was written, and ends a pending read", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({ socket: ours });
    const reading = transport.read();
    await transport.write(Buffer.from("+OK bye\r\n"));
    const first = transport.close();
    expect(transport.close()).toBe(first);
    expect(await reading).toBeNull();
    expect(await peer.readToEnd()).toBe("+OK bye\r\n");
    await first;
    expect(await transport.read()).toBeNull();
    await expect(transport.write(Buffer.from("late"))).rejects.toThrow(/closed/);
    done();
  });

  it("sends a TLS close_notify: the peer sees a clean end, not a reset", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({
      socket: ours,
      startTls: { side: "client", host: "127.0.0.1", ca: pki.ca },
    });
    await Promise.all([
      upgrade(transport),
      peer.startTls({ side: "server", key: pki.key, cert: pki.cert }),
    ]);
    let peerError: Error | null = null;
    peer.socket.on("error", (error) => {
      peerError = error;
    });
    await transport.write(Buffer.from("inside\r\n"));
    await transport.close();
    expect(await peer.readToEnd()).toBe("inside\r\n");
    expect(peerError).toBeNull();
    done();
  });
});

describe("NodeSocketTransport upgrade (RFC 2595 section 4)", () => {
  it("has no upgrade without startTls, or when already secure", async () => {
    const { ours, peer, done } = await socketPair();
    expect(new NodeSocketTransport({ socket: ours }).upgrade).toBeUndefined();
    expect(
      new NodeSocketTransport({
        socket: ours,
        secure: true,
        startTls: { side: "client", host: "127.0.0.1" },
      }).upgrade,
    ).toBeUndefined();
    peer.close();
    done();
  });

  it("server side: drops clear bytes queued before the handshake (CVE-2011-0411)", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({
      socket: ours,
      startTls: { side: "server", secureContext: await context() },
    });
    await peer.write("USER injected\r\n");
    await until(() => transport.bufferedBytes > 0, "the clear bytes to be queued");
    await Promise.all([upgrade(transport), peer.startTls({ side: "client", ca: pki.ca })]);
    expect(transport.secure).toBe(true);
    expect(transport.bufferedBytes).toBe(0);
    await peer.write("CAPA\r\n");
    expect(text((await transport.read()) as Uint8Array)).toBe("CAPA\r\n");
    await transport.close();
    done();
  });

  it("client side: drops clear replies queued before the handshake (response injection)", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({
      socket: ours,
      startTls: { side: "client", host: "127.0.0.1", ca: pki.ca },
    });
    await peer.write("+OK injected\r\n");
    await until(() => transport.bufferedBytes > 0, "the clear bytes to be queued");
    await Promise.all([
      upgrade(transport),
      peer.startTls({ side: "server", key: pki.key, cert: pki.cert }),
    ]);
    expect(transport.bufferedBytes).toBe(0);
    await peer.write("+OK inside\r\n");
    expect(text((await transport.read()) as Uint8Array)).toBe("+OK inside\r\n");
    await transport.close();
    done();
  });

  it("a read pending during the handshake receives the first decrypted bytes", async () => {
    const { ours, peer, done } = await socketPair();
    const transport = new NodeSocketTransport({
      socket: ours,
      startTls: { side: "server", secureContext: await context() },
    });
    const upgrading = upgrade(transport);
    const reading = transport.read();
    await peer.startTls({ side: "client", ca: pki.ca });
    await upgrading;
    await peer.write("NOOP\r\n");
    expect(text((await reading) as Uint8Array)).toBe("NOOP\r\n");
    await transport.close();
    done();
  });

  it("gives up on a handshake that never comes (fetchmail CVE-2011-1947)", async () => {
    const { ours, peer, done } = await socketPair();
    const clock = new ManualClock();
    const transport = new NodeSocketTransport({
      socket: ours,
      clock,
      tlsHandshakeTimeoutMs: 5000,
      startTls: { side: "server", secureContext: await context() },
    });
    const upgrading = upgrade(transport).catch((e: unknown) => e);
    clock.advance(4999);
    await settle();
    expect(ours.destroyed).toBe(false);
    clock.advance(1);
    const error = await upgrading;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("timeout");
    expect(await transport.read()).toBeNull();
    await peer.closed;
    done();
  });
});

/** The transport's upgrade, which these tests configured. */
function upgrade(transport: NodeSocketTransport): Promise<void> {
  if (transport.upgrade === undefined) throw new Error("no upgrade on this transport");
  return transport.upgrade();
}

async function context() {
  const tls = await import("node:tls");
  return tls.createSecureContext({ key: pki.key, cert: pki.cert });
}
