// ServerHost over in-memory transports: admission, refusals, events, the connection table and
// graceful shutdown, as @apop/node and @apop/deno drive it (they add sockets and TLS).
import { describe, expect, it } from "vitest";
import {
  type AdmitOptions,
  type Authenticator,
  type ConnectionStats,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  ServerHost,
  type ServerHostConnection,
  type ServerHostEvent,
  type ServerHostOptions,
  type Transport,
} from "../src/index.ts";
import { resolveServerHostOptions } from "../src/internal.ts";
import { ManualClock, realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink } from "./helpers/memory-link.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

const authenticator: Authenticator = {
  lookup: (user) => (user === "alice" ? { kind: "clear", secret: "wonderland" } : null),
};

function setup(options: Partial<ServerHostOptions> & { clock?: ManualClock } = {}) {
  const events: ServerHostEvent[] = [];
  const resolved = resolveServerHostOptions({
    options: {
      store: new MemoryStore({ mailboxes: { alice: [ascii("Subject: hi\r\n\r\nbody\r\n")] } }),
      authenticator,
      authFailureDelayMs: 0,
      onEvent: (event) => events.push(event),
      ...options,
    },
    serverNameOption: "serverName",
    defaultServerName: () => "host.test",
    defaultClock: realClock,
  });
  const host = new ServerHost({ options: resolved, randomBytes: (n) => new Uint8Array(n) });
  return { host, events, resolved };
}

/** `admit` for a peer at 192.0.2.1:40000 on a plain listener, unless told otherwise. */
function admit(host: ServerHost, options: Partial<AdmitOptions> & Pick<AdmitOptions, "run">) {
  return host.admit({
    remoteAddress: "192.0.2.1",
    remotePort: 40000,
    localPort: 110,
    implicitTls: false,
    abort: () => {},
    ...options,
  });
}

/** A connection the way a runtime hands one over: plain, no handshake. */
function open(
  host: ServerHost,
  peer: { remoteAddress?: string; remotePort?: number; stats?: ConnectionStats } = {},
) {
  const link = createMemoryLink({ upgradable: false });
  let aborted = 0;
  const done = admit(host, {
    remoteAddress: peer.remoteAddress ?? "192.0.2.1",
    remotePort: peer.remotePort ?? 40000,
    abort: () => {
      aborted++;
      void link.server.close();
    },
    run: (connection) =>
      host.serve(connection, {
        transport: link.server,
        lastError: () => null,
        ...(peer.stats === undefined ? {} : { stats: () => peer.stats ?? null }),
      }),
  });
  return { link, done, aborts: () => aborted };
}

describe("ServerHost", () => {
  it("serves an admitted connection and reports it opened, its session, and closed", async () => {
    const { host, events } = setup();
    const stats = { bytesRead: 12, bytesWritten: 34 };
    const { link, done } = open(host, { remoteAddress: "::ffff:192.0.2.7", stats });
    expect(done).not.toBeNull();
    expect(host.connectionCount).toBe(1);
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    expect(client.greeting.timestamp).toMatch(/@host\.test>$/);
    await client.login({ user: "alice", password: "wonderland", method: "apop" });
    expect(host.connections()).toEqual([
      {
        connection: 1,
        remoteAddress: "192.0.2.7",
        remotePort: 40000,
        secure: false,
        user: "alice",
        stats,
      },
    ]);
    await client.quit();
    await done;
    expect(host.connectionCount).toBe(0);
    expect(events[0]).toEqual({
      type: "connection-opened",
      connection: 1,
      remoteAddress: "192.0.2.7",
      remotePort: 40000,
      localPort: 110,
      implicitTls: false,
      proxiedBy: null,
    });
    const session = events.filter((e) => e.type === "session-event");
    expect(session.every((e) => e.connection === 1 && e.remoteAddress === "192.0.2.7")).toBe(true);
    expect(session.map((e) => e.event.type)).toContain("login-succeeded");
    expect(events.at(-1)).toEqual({
      type: "connection-closed",
      connection: 1,
      remoteAddress: "192.0.2.7",
      remotePort: 40000,
      reason: "quit",
      user: "alice",
      secure: false,
      error: null,
      stats,
      commands: { APOP: 1, QUIT: 1 },
      messagesSent: 0,
      messageOctets: 0,
      deleted: 0,
    });
  });

  it("refuses past the per-address cap with one -ERR [SYS/TEMP] line, and admits other addresses", async () => {
    const { host, events } = setup({ maxConnectionsPerAddress: 1 });
    const first = open(host, { remoteAddress: "192.0.2.1" });
    const second = createMemoryLink();
    const admitted = admit(host, {
      remoteAddress: "::ffff:192.0.2.1",
      remotePort: 40001,
      run: () => Promise.reject(new Error("never runs")),
    });
    expect(admitted).toBeNull();
    expect(events.at(-1)).toEqual({
      type: "connection-refused",
      remoteAddress: "192.0.2.1",
      remotePort: 40001,
      limit: "maxConnectionsPerAddress",
    });
    const reading = second.client.read();
    await host.refuse(second.server);
    expect(text((await reading) ?? new Uint8Array())).toBe(
      "-ERR [SYS/TEMP] Too many connections, try again later\r\n",
    );
    expect(second.server.closed).toBe(true);
    const other = open(host, { remoteAddress: "192.0.2.2" });
    expect(other.done).not.toBeNull();
    expect(host.connectionCount).toBe(2);
    await first.link.client.close();
    await other.link.client.close();
    await Promise.all([first.done, other.done]);
    expect(host.connectionCount).toBe(0);
    // The slot is free again.
    const again = open(host, { remoteAddress: "192.0.2.1" });
    expect(again.done).not.toBeNull();
    await again.link.client.close();
    await again.done;
  });

  it("gives connections not logged in their own budget: a flood evicts its own oldest, never a session", async () => {
    const { host, events } = setup({ maxPreLoginConnections: 3, maxConnectionsPerAddress: 50 });
    // A user logs in from one address; a flood of idle connections comes from another.
    const user = open(host, { remoteAddress: "203.0.113.9" });
    const client = await Pop3Client.connect({ transport: user.link.client, clock: realClock });
    await client.login({ user: "alice", password: "wonderland", method: "apop" });
    const flood = [1, 2, 3, 4, 5].map((port) =>
      open(host, { remoteAddress: "198.51.100.1", remotePort: port }),
    );
    // Budget 3: the flood holds at most 3 slots, evicting its own oldest each time.
    expect(flood.map((c) => c.aborts())).toEqual([1, 1, 0, 0, 0]);
    // A new client from elsewhere still gets in, and the flood pays for it again.
    const newcomer = open(host, { remoteAddress: "192.0.2.44" });
    expect(newcomer.done).not.toBeNull();
    expect(flood.map((c) => c.aborts())).toEqual([1, 1, 1, 0, 0]);
    expect(user.aborts()).toBe(0);
    expect(await client.stat()).toEqual({ count: 1, size: expect.any(Number) });
    await client.quit();
    await Promise.all(flood.slice(0, 3).map((c) => c.done));
    const evicted = events.filter(
      (e) => e.type === "connection-closed" && e.reason === "pre-login-evicted",
    );
    expect(evicted).toHaveLength(3);
    expect(
      evicted.every((e) => e.type === "connection-closed" && e.remoteAddress === "198.51.100.1"),
    ).toBe(true);
    await host.close({ graceMs: 0 });
  });

  it("counts IPv6 clients by /64 for the per-address cap, and reports the exact address", async () => {
    const { host, events } = setup({ maxConnectionsPerAddress: 2 });
    const first = open(host, { remoteAddress: "2001:db8:5:6::1" });
    const second = open(host, { remoteAddress: "2001:db8:5:6::2" });
    const third = open(host, { remoteAddress: "2001:db8:5:6:ffff::3" });
    expect([first.done === null, second.done === null, third.done === null]).toEqual([
      false,
      false,
      true,
    ]);
    expect(events.find((e) => e.type === "connection-refused")).toMatchObject({
      remoteAddress: "2001:db8:5:6:ffff::3",
      limit: "maxConnectionsPerAddress",
    });
    expect(open(host, { remoteAddress: "2001:db8:5:7::1" }).done).not.toBeNull();
    await host.close({ graceMs: 0 });
  });

  it("refuses past the total cap, and a client sees the refusal as a sys-temp greeting", async () => {
    const { host, events } = setup({ maxConnections: 1 });
    const first = open(host);
    expect(open(host, { remoteAddress: "198.51.100.1" }).done).toBeNull();
    expect(events.at(-1)).toMatchObject({ type: "connection-refused", limit: "maxConnections" });
    const refused = createMemoryLink();
    void host.refuse(refused.server);
    const error = await Pop3Client.connect({ transport: refused.client, clock: realClock }).catch(
      (e: unknown) => e,
    );
    expect(Pop3Error.isInstance(error) && error.code).toBe("sys-temp");
    await first.link.client.close();
    await first.done;
  });

  it("a refusal whose write fails still closes, and never rejects", async () => {
    const { host } = setup();
    let closed = false;
    const broken: Transport = {
      secure: false,
      read: async () => null,
      write: async () => {
        throw new Error("reset");
      },
      close: async () => {
        closed = true;
        throw new Error("already gone");
      },
    };
    await expect(host.refuse(broken)).resolves.toBeUndefined();
    expect(closed).toBe(true);
  });

  it("reports a failed TLS handshake as tls-failed, with no user and no stats", async () => {
    const { host, events } = setup();
    const done = admit(host, {
      localPort: 995,
      implicitTls: true,
      run: async (connection) => {
        await Promise.resolve();
        host.handshakeFailed(connection, "wrong version number");
      },
    });
    await done;
    expect(events.map((e) => e.type)).toEqual(["connection-opened", "connection-closed"]);
    expect(events.at(-1)).toEqual({
      type: "connection-closed",
      connection: 1,
      remoteAddress: "192.0.2.1",
      remotePort: 40000,
      reason: "tls-failed",
      user: null,
      secure: false,
      error: "wrong version number",
      stats: null,
      commands: {},
      messagesSent: 0,
      messageOctets: 0,
      deleted: 0,
    });
    expect(host.connectionCount).toBe(0);
  });

  it("counts a connection out even when its run throws or rejects", async () => {
    const { host } = setup();
    const thrown = admit(host, {
      run: () => {
        throw new Error("synchronous");
      },
    });
    const rejected = admit(host, {
      run: async () => {
        throw new Error("asynchronous");
      },
    });
    await expect(thrown).resolves.toBeUndefined();
    await expect(rejected).resolves.toBeUndefined();
    expect(host.connectionCount).toBe(0);
  });

  it("closes a connection whose session cannot start at once, and reports connection-failed with the error", async () => {
    const { resolved, events } = setup();
    // The random source fails while the greeting's APOP timestamp is made.
    const host = new ServerHost({
      options: resolved,
      randomBytes: () => {
        throw new Error("no entropy");
      },
    });
    const { link, done, aborts } = open(host);
    await done;
    expect(link.server.closed).toBe(true);
    expect(link.server.written).toEqual([]);
    expect(aborts()).toBe(1);
    expect(host.connectionCount).toBe(0);
    const failed = events.at(-1);
    expect(failed).toMatchObject({
      type: "connection-failed",
      connection: 1,
      remoteAddress: "192.0.2.1",
    });
    expect(failed?.type === "connection-failed" && failed.error.message).toBe("no entropy");
  });

  it("reports a run that throws or rejects as connection-failed and aborts it", async () => {
    const { host, events } = setup();
    let aborted = 0;
    await admit(host, {
      abort: () => aborted++,
      run: async () => {
        throw new Error("asynchronous");
      },
    });
    expect(aborted).toBe(1);
    expect(events.map((e) => e.type)).toEqual(["connection-opened", "connection-failed"]);
  });

  it("refuses an APOP host name with '@' when the options are resolved (the timestamp would have two)", () => {
    expect(() => setup({ serverName: "mail@example.org" } as Parameters<typeof setup>[0])).toThrow(
      /^serverName cannot go into an APOP timestamp: .*'@'/,
    );
  });

  it("closes a transport handed to serve for a connection it does not know", async () => {
    const { host, events } = setup();
    const link = createMemoryLink();
    const stranger: ServerHostConnection = { id: 99, remoteAddress: "x", remotePort: 1 };
    await host.serve(stranger, { transport: link.server });
    host.handshakeFailed(stranger, "ignored");
    expect(link.server.closed).toBe(true);
    expect(events).toEqual([]);
  });

  it("stops accepting at once, lets sessions run for the grace, then drops them as shutdown", async () => {
    const clock = new ManualClock();
    const { host, events } = setup({ clock });
    const { link, done, aborts } = open(host);
    await link.client.read(); // the greeting
    let stopped = 0;
    const closing = host.close({
      graceMs: 5000,
      stopAccepting: async () => {
        stopped++;
      },
    });
    expect(stopped).toBe(1);
    expect(host.closing).toBe(true);
    expect(host.close()).toBe(closing);
    clock.advance(4999);
    await Promise.resolve();
    expect(aborts()).toBe(0);
    clock.advance(1);
    await closing;
    await done;
    expect(aborts()).toBe(1);
    expect(stopped).toBe(1);
    expect(events.at(-1)).toMatchObject({
      type: "connection-closed",
      reason: "shutdown",
      user: null,
    });
  });

  it("uses the transport's own abort, lastError and stats when serve is given only the transport", async () => {
    const clock = new ManualClock();
    const { host, events } = setup({ clock });
    const link = createMemoryLink({ upgradable: false });
    const stats = { bytesRead: 5, bytesWritten: 7 };
    let transportAborts = 0;
    let socketAborts = 0;
    const transport: Transport = {
      read: () => link.server.read(),
      write: (bytes) => link.server.write(bytes),
      close: () => link.server.close(),
      get secure() {
        return false;
      },
      abort() {
        transportAborts++;
        void link.server.close();
      },
      lastError: new Error("reset by peer"),
      stats,
    };
    const done = admit(host, {
      abort: () => {
        socketAborts++;
      },
      run: (connection) => host.serve(connection, { transport }),
    });
    await link.client.read(); // the greeting
    expect(host.connections()[0]?.stats).toBe(stats);
    const closing = host.close({ graceMs: 1000 });
    clock.advance(1000);
    await closing;
    await done;
    expect([transportAborts, socketAborts]).toEqual([1, 0]);
    expect(events.at(-1)).toMatchObject({
      type: "connection-closed",
      reason: "shutdown",
      error: "reset by peer",
      stats,
    });
  });

  it("reports connection-failed when the runtime's stats throw at the end, and still counts it out", async () => {
    const { host, events } = setup();
    const link = createMemoryLink({ upgradable: false });
    const done = admit(host, {
      run: (connection) =>
        host.serve(connection, {
          transport: link.server,
          stats: () => {
            throw new Error("stats broke");
          },
        }),
    });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.quit();
    await done;
    expect(events.at(-1)).toMatchObject({ type: "connection-failed" });
    expect((events.at(-1) as { error: Error }).error.message).toBe("stats broke");
    expect(host.connectionCount).toBe(0);
  });

  it("resolves close as soon as the last session ends, before the grace runs out", async () => {
    const clock = new ManualClock();
    const { host } = setup({ clock });
    const { link, done, aborts } = open(host);
    const closing = host.close({ graceMs: 60_000 });
    const client = await Pop3Client.connect({ transport: link.client, clock });
    await client.quit();
    await closing;
    await done;
    expect(aborts()).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it("drops a connection still in its handshake; one that finishes it late is aborted at once", async () => {
    const { host, events } = setup();
    let failHandshake = (): void => {};
    let finishHandshake = (): void => {};
    const failing = admit(host, {
      remoteAddress: "a",
      implicitTls: true,
      abort: () => failHandshake(),
      run: async (connection) => {
        try {
          await new Promise<void>((_, reject) => {
            failHandshake = () => reject(new Error("socket closed"));
          });
        } catch (error) {
          host.handshakeFailed(connection, (error as Error).message);
        }
      },
    });
    const late = createMemoryLink();
    let lateAborts = 0;
    // The socket's abort (none here) does not reach a handshake that is about to finish anyway.
    const finishing = admit(host, {
      remoteAddress: "b",
      implicitTls: true,
      run: async (connection) => {
        await new Promise<void>((resolve) => {
          finishHandshake = resolve;
        });
        await host.serve(connection, {
          transport: late.server,
          abort: () => {
            lateAborts++;
            void late.server.close();
          },
        });
      },
    });
    expect(host.connections().map((c) => [c.secure, c.stats])).toEqual([
      [false, null],
      [false, null],
    ]);
    const closing = host.close({ graceMs: 0 });
    await failing;
    finishHandshake();
    await finishing;
    await closing;
    expect(lateAborts).toBe(1);
    const closed = events.filter((e) => e.type === "connection-closed");
    expect(closed.map((e) => [e.remoteAddress, e.reason])).toEqual([
      ["a", "shutdown"],
      ["b", "shutdown"],
    ]);
  });

  it("waits for refusals still closing before close resolves", async () => {
    const { host } = setup();
    let finishClose = (): void => {};
    const slow: Transport = {
      secure: false,
      read: async () => null,
      write: async () => {},
      close: () =>
        new Promise<void>((resolve) => {
          finishClose = resolve;
        }),
    };
    void host.refuse(slow);
    let closed = false;
    const closing = host.close({ graceMs: 0 }).then(() => {
      closed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(closed).toBe(false);
    finishClose();
    await closing;
    expect(closed).toBe(true);
  });

  it("refuses a bad graceMs with invalid-argument, and stays open", () => {
    const { host } = setup();
    expect(() => host.close({ graceMs: -1 })).toThrow(/graceMs must be >= 0/);
    expect(() => host.close({ graceMs: Number.POSITIVE_INFINITY })).toThrow(/graceMs/);
    expect(host.closing).toBe(false);
  });
});

/** One failed USER/PASS from `remoteAddress` on its own connection: its `-ERR`'s delay. */
function failedLogins(host: ServerHost, events: ServerHostEvent[], clock: ManualClock) {
  let seen = 0;
  return async (remoteAddress: string): Promise<number> => {
    const { link } = open(host, { remoteAddress });
    await link.client.write(ascii("USER alice\r\nPASS wrong\r\n"));
    for (;;) {
      const failed = events.flatMap((e) =>
        e.type === "session-event" && e.event.type === "login-failed" ? [e.event] : [],
      );
      if (failed.length > seen) {
        seen = failed.length;
        clock.advance(20_000);
        await link.client.close();
        return failed.at(-1)?.delayMs ?? -1;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
}

describe("per-address login penalties across connections", () => {
  it("each failure from one address waits longer, whatever the connection; others start afresh", async () => {
    const clock = new ManualClock();
    const { host, events } = setup({ clock, authFailureDelayMs: 1000, allowPlaintextAuth: true });
    const fail = failedLogins(host, events, clock);
    expect(await fail("192.0.2.1")).toBe(1000);
    expect(await fail("::ffff:192.0.2.1")).toBe(2000);
    expect(await fail("192.0.2.1")).toBe(4000);
    expect(await fail("192.0.2.9")).toBe(1000);
  });

  it("counts an IPv6 /64 as one client, by ipv6PrefixLength (addressGroup), and logs each address", async () => {
    const clock = new ManualClock();
    const { host, events } = setup({ clock, authFailureDelayMs: 1000, allowPlaintextAuth: true });
    const fail = failedLogins(host, events, clock);
    expect(await fail("2001:db8:1:2::1")).toBe(1000);
    // Another address of the same /64: the same guesser.
    expect(await fail("2001:db8:1:2:ffff::9")).toBe(2000);
    expect(await fail("2001:db8:1:2::1")).toBe(4000);
    // The next /64 starts afresh.
    expect(await fail("2001:db8:1:3::1")).toBe(1000);
    // The connection events keep the exact address, for the log.
    const opened = events.flatMap((e) => (e.type === "connection-opened" ? [e.remoteAddress] : []));
    expect(opened).toContain("2001:db8:1:2:ffff::9");
  });
});
