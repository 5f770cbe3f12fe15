import { apopDigest, MemoryStore, Pop3Error } from "@apop/core";
import { describe, expect, it } from "vitest";
import { perFileTestPki } from "@apop/vitest-preset/per-file";
import { RawPeer } from "@apop/vitest-preset/raw-peer";
import { ManualClock } from "../../core/test/helpers/manual-clock.ts";
import { connect } from "../src/index.ts";
import { latin1, startServer, until } from "./helpers/fixtures.ts";

const pki = perFileTestPki();

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));
// The transport pauses its socket once the queue reaches the high-water mark (64 KiB), so the
// queue may pass it by one read of the runtime: up to 64 KiB on Node, 512 KiB on Bun (whose
// sockets read into one 512 KiB buffer). Bounded either way, which is what these tests check.
const HIGH_WATER_MARK = 64 * 1024;
const MAX_QUEUED = HIGH_WATER_MARK + (process.versions.bun === undefined ? 64 : 512) * 1024;

/** A login and a STAT: the server is still doing its job. */
async function stillServes(port: number): Promise<void> {
  const client = await connect({ host: "127.0.0.1", port, tls: "none" });
  await client.login({ user: "bob", password: "builder", method: "apop" });
  expect((await client.stat()).count).toBe(1);
  await client.quit();
}

describe("a connection whose session cannot start", () => {
  it("is closed at once without a byte, and reported as connection-failed with the error", async () => {
    // A clock that says NaN makes the greeting's APOP timestamp throw (createApopTimestamp).
    const served = await startServer({
      clock: {
        now: () => Number.NaN,
        setTimer: (ms, callback) => {
          const handle = setTimeout(callback, ms);
          return () => clearTimeout(handle);
        },
      },
    });
    const peer = await RawPeer.connect(served.port);
    expect(await peer.readToEnd()).toBe("");
    await until(() => served.server.connectionCount === 0, "the connection to be counted out");
    const failed = served.events.find((event) => event.type === "connection-failed");
    expect(failed?.type === "connection-failed" && failed.error).toBeInstanceOf(RangeError);
    expect(failed?.type === "connection-failed" && failed.error.message).toMatch(/now must be/);
    await served.close(0);
  });
});

describe("connection limits", () => {
  it("over maxConnections: one -ERR [SYS/TEMP] line, closed; everyone else still served", async () => {
    const served = await startServer({ maxConnections: 2 });
    const first = await RawPeer.connect(served.port);
    const second = await RawPeer.connect(served.port);
    await first.readLine();
    await second.readLine();
    const third = await RawPeer.connect(served.port);
    expect(await third.readToEnd()).toBe(
      "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
    );
    // Our client reads that as a retryable failure, not as bad credentials.
    const error = await connect({ host: "127.0.0.1", port: served.port, tls: "none" }).catch(
      (e: unknown) => e,
    );
    expect(Pop3Error.isInstance(error) && error.code).toBe("sys-temp");
    expect(served.events).toContainEqual(
      expect.objectContaining({ type: "connection-refused", limit: "maxConnections" }),
    );
    first.close();
    await until(() => served.server.connectionCount === 1, "a slot to free up");
    await stillServes(served.port);
    second.close();
    await served.close();
  });

  it("over maxConnectionsPerAddress: that address is refused, another address is served", async () => {
    const served = await startServer({ maxConnectionsPerAddress: 1 });
    const first = await RawPeer.connect(served.port);
    expect(await first.readLine()).toMatch(/^\+OK/);
    const again = await RawPeer.connect(served.port);
    expect(await again.readToEnd()).toMatch(/^-ERR \[SYS\/TEMP\] Too many connections/);
    // 127.0.0.2 is loopback too, but another client address.
    const other = await RawPeer.connect(served.port, "127.0.0.1", "127.0.0.2");
    expect(await other.readLine()).toMatch(/^\+OK/);
    await other.write("QUIT\r\n");
    expect(await other.readLine()).toMatch(/^\+OK/);
    expect(served.events).toContainEqual(
      expect.objectContaining({
        type: "connection-refused",
        remoteAddress: "127.0.0.1",
        limit: "maxConnectionsPerAddress",
      }),
    );
    first.close();
    await until(() => served.server.connectionCount === 0, "the first to leave");
    await stillServes(served.port);
    await served.close();
  });

  it("on an implicit TLS listener, an extra connection is closed before any handshake", async () => {
    const served = await startServer({ maxConnections: 1, tls: { key: pki.key, cert: pki.cert } });
    const holder = await RawPeer.connect(served.port);
    await holder.readLine();
    const error = await connect({
      host: "127.0.0.1",
      port: served.tlsPort as number,
      tls: "implicit",
      ca: pki.ca,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    holder.close();
    await served.close();
  });
});

describe("a flood of input", () => {
  it("a 10 MiB line without LF gets -ERR, input stays bounded, and others are served meanwhile", async () => {
    const clock = new ManualClock();
    const served = await startServer({ clock, authFailureDelayMs: 2000 });
    const flooder = await RawPeer.connect(served.port);
    const greeting = (await flooder.readLine()) as string;
    const timestamp = /<[^>]+>/.exec(greeting)?.[0] as string;
    // A wrong APOP digest: the server waits 2 s (on the manual clock) before answering and
    // reads nothing meanwhile, so the flood piles up against its transport.
    await flooder.write(`APOP alice ${apopDigest({ timestamp, secret: "wrong" })}\r\n`);
    await until(() => clock.pending > 0, "the failure delay to start");
    const flood = Buffer.alloc(10 * 1024 * 1024, 0x41);
    const flooding = flooder.write(flood);
    const stats = () => served.server.connections()[0]?.stats;
    await until(() => (stats()?.bufferedInput ?? 0) >= HIGH_WATER_MARK, "the input queue to fill");
    await settle();
    await settle();
    expect(stats()?.bufferedInput).toBeLessThanOrEqual(MAX_QUEUED);
    expect(stats()?.bytesRead).toBeLessThan(flood.length / 4);

    // While that connection is stuck, another client is served in full.
    await stillServes(served.port);

    clock.advance(2000);
    expect(await flooder.readLine()).toMatch(/^-ERR \[AUTH\]/);
    expect(await flooder.readLine()).toBe("-ERR Line too long");
    await flooding;
    await flooder.write("\r\nQUIT\r\n");
    expect(await flooder.readLine()).toMatch(/^\+OK/);
    await flooder.closed;
    await until(() => served.server.connectionCount === 0, "the flooder to leave");
    const closed = served.events.find((e) => e.type === "connection-closed" && e.connection === 1);
    expect(closed).toMatchObject({ reason: "quit" });
    const peak = closed?.type === "connection-closed" ? closed.stats?.peakBufferedInput : -1;
    expect(peak).toBeGreaterThanOrEqual(HIGH_WATER_MARK);
    expect(peak).toBeLessThanOrEqual(MAX_QUEUED);
    await served.close();
  });
});

describe("graceful shutdown", () => {
  it("stops accepting, lets a session QUIT and apply its deletes, drops the rest without deleting", async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({
      mailboxes: { alice: [latin1("a\r\n")], bob: [latin1("b\r\n")] },
    });
    const served = await startServer({ clock, store });
    const idle = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await idle.login({ user: "alice", password: "wonderland", method: "apop" });
    await idle.dele(1);
    const finishing = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await finishing.login({ user: "bob", password: "builder", method: "apop" });
    await finishing.dele(1);

    let closed = false;
    const closing = served.server.close({ graceMs: 1000 }).then(() => {
      closed = true;
    });
    await expect(connect({ host: "127.0.0.1", port: served.port, tls: "none" })).rejects.toThrow(
      /ECONNREFUSED/,
    );
    await finishing.quit();
    expect(store.messages("bob")).toEqual([]);
    await settle();
    expect(closed).toBe(false);
    expect(served.server.connectionCount).toBe(1);

    clock.advance(1000);
    await closing;
    expect(served.server.connectionCount).toBe(0);
    // RFC 1939 section 6: no QUIT, no UPDATE, nothing deleted.
    expect(store.messages("alice")).toHaveLength(1);
    expect(store.isLocked("alice")).toBe(false);
    expect(served.events).toContainEqual(
      expect.objectContaining({ type: "connection-closed", reason: "shutdown", user: "alice" }),
    );
    await expect(idle.noop()).rejects.toThrow();
  });

  it("a session dropped after DELE deletes nothing and frees the maildrop", async () => {
    const served = await startServer();
    const before = served.store.messages("bob");
    const client = await connect({ host: "127.0.0.1", port: served.port, tls: "none" });
    await client.login({ user: "bob", password: "builder", method: "apop" });
    await client.dele(1);
    await client.close();
    await until(() => served.server.connectionCount === 0, "the server to notice");
    expect(served.store.messages("bob")).toEqual(before);
    expect(served.store.isLocked("bob")).toBe(false);
    expect(served.events).toContainEqual(
      expect.objectContaining({ type: "connection-closed", reason: "peer-closed", user: "bob" }),
    );
    await served.close();
  });

  it("refuses listen() after close(), and close() is idempotent", async () => {
    const served = await startServer();
    const first = served.server.close();
    expect(served.server.close()).toBe(first);
    await first;
    await expect(served.server.listen({ port: 0 })).rejects.toThrow(/closing/);
  });
});

describe("a client that shuts down its side after sending", () => {
  it("still gets every reply (half-close), even those that take a while", async () => {
    // A failed login waits before its -ERR: the replies come after the client's FIN.
    const served = await startServer({ authFailureDelayMs: 20 });
    const raw = await RawPeer.connect(served.port);
    await raw.readLine();
    raw.socket.end(`CAPA\r\nAPOP alice ${"0".repeat(32)}\r\nQUIT\r\n`);
    const rest = await raw.readToEnd();
    expect(rest).toMatch(
      /^\+OK Capability list follows\r\n[\s\S]*\r\n\.\r\n-ERR \[AUTH\][^\r]*\r\n\+OK[^\r]*\r\n$/,
    );
    await until(() => served.server.connectionCount === 0, "the server to close");
    await served.close();
  });
});
