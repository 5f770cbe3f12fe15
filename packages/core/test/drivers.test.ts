import { describe, expect, it } from "vitest";
import {
  type Authenticator,
  type Credential,
  cramMd5Server,
  MemoryStore,
  Pop3Client,
  Pop3Error,
  plainServer,
  RemoteProtocolError,
  type ServeConnectionOptions,
  type ServeEvent,
  type ServeResult,
  serveConnection,
} from "../src/index.ts";
import { loginServer } from "../src/internal.ts";
import { ManualClock, realClock } from "./helpers/manual-clock.ts";
import { createMemoryLink, type MemoryTransport } from "./helpers/memory-link.ts";

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

/** Messages that trip naive stuffing and line handling (RFC 1939 section 3). */
const TRICKY: Record<string, { stored: string; arrives: string }> = {
  empty: { stored: "", arrives: "" },
  dotLines: { stored: ".\r\n..\r\n.x\r\nend\r\n", arrives: ".\r\n..\r\n.x\r\nend\r\n" },
  bareLf: { stored: "a\nb\n.\nc\n", arrives: "a\r\nb\r\n.\r\nc\r\n" },
  noFinalNewline: {
    stored: "Subject: x\r\n\r\nlast line",
    arrives: "Subject: x\r\n\r\nlast line\r\n",
  },
  crDot: { stored: "x\r.\r\ny\r\n", arrives: "x\r.\r\ny\r\n" },
  eightBit: {
    stored: "Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\r\n",
    arrives: "Subject: \xe9t\xe9\r\n\r\n\xff\x80\x00\r\n",
  },
};

const accounts: Record<string, Credential> = {
  alice: { kind: "clear", secret: "wonderland" },
  hashed: { kind: "hashed", verify: (password) => password === "hashed-secret" },
  "j\u00fcrgen": { kind: "clear", secret: "gr\u00fc\u00dfe" },
};
const authenticator: Authenticator = { lookup: (user) => accounts[user] ?? null };

function setup(
  options: {
    store?: MemoryStore;
    secure?: boolean;
    clock?: ManualClock | typeof realClock;
    policy?: ServeConnectionOptions["policy"];
    limits?: ServeConnectionOptions["limits"];
    authFailureDelayMs?: number;
  } = {},
) {
  const store =
    options.store ??
    new MemoryStore({
      mailboxes: { alice: Object.values(TRICKY).map((m) => ascii(m.stored)) },
      chunkSize: 3,
    });
  const link = createMemoryLink({ secure: options.secure ?? false });
  const clock = options.clock ?? realClock;
  const events: ServeEvent[] = [];
  const closed: ServeResult[] = [];
  const served = serveConnection({
    transport: link.server,
    store,
    authenticator,
    clock,
    randomBytes: (length) => new Uint8Array(length).fill(7),
    hostname: "test.invalid",
    policy: { saslMechanisms: [plainServer, loginServer, cramMd5Server], ...options.policy },
    authFailureDelayMs: options.authFailureDelayMs ?? 0,
    onEvent: (event) => events.push(event),
    onClosed: (result) => closed.push(result),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  return { store, link, clock, events, closed, served };
}

/** A client of a server the test plays by hand: it has greeted, and says nothing more unasked. */
async function scriptedServer(options: { clock: ManualClock; replyTimeoutMs: number }) {
  const link = createMemoryLink();
  await link.server.write(ascii("+OK hello\r\n"));
  const client = await Pop3Client.connect({
    transport: link.client,
    clock: options.clock,
    limits: { replyTimeoutMs: options.replyTimeoutMs },
  });
  return { link, client };
}

/** A scripted server that lists PIPELINING and accepts USER/PASS: the client is logged in. */
async function pipeliningLogin(clock: ManualClock) {
  const { link, client } = await scriptedServer({ clock, replyTimeoutMs: 5000 });
  const capa = client.capa();
  await new Promise((resolve) => setTimeout(resolve, 10));
  await link.server.write(ascii("+OK\r\nPIPELINING\r\n.\r\n"));
  await capa;
  const login = client.user("alice", "wonderland");
  await new Promise((resolve) => setTimeout(resolve, 10));
  await link.server.write(ascii("+OK\r\n"));
  await new Promise((resolve) => setTimeout(resolve, 10));
  await link.server.write(ascii("+OK\r\n"));
  await login;
  return { link, client };
}

async function collect(iterable: AsyncIterable<Uint8Array>): Promise<string> {
  let out = "";
  for await (const chunk of iterable) out += text(chunk);
  return out;
}

describe("serveConnection with Pop3Client", () => {
  it("runs a whole session: APOP, STAT, LIST, UIDL, RETR and TOP byte for byte, DELE, QUIT", async () => {
    const { store, link, closed, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    expect(client.greeting.timestamp).toMatch(/^<.+@test\.invalid>$/);
    await client.login({ user: "alice", password: "wonderland", method: "apop" });
    const names = Object.keys(TRICKY);
    const stat = await client.stat();
    expect(stat.count).toBe(names.length);
    const list = await client.list();
    expect(list.map((entry) => entry.size)).toEqual(
      Object.values(TRICKY).map(
        (m) => m.arrives.length - (m.stored.endsWith("\n") || m.stored === "" ? 0 : 2),
      ),
    );
    const uids = await client.uidl();
    expect(new Set(uids.map((u) => u.uid)).size).toBe(names.length);
    for (const [index, name] of names.entries()) {
      expect(await collect(client.retr(index + 1)), name).toBe(
        (TRICKY[name] as { arrives: string }).arrives,
      );
    }
    expect(await collect(client.top(4, 0))).toBe("Subject: x\r\n\r\n");
    expect(await client.list(2)).toEqual({ message: 2, size: 16 });
    await client.dele(1);
    await client.dele(3);
    await expect(client.retr(1)[Symbol.asyncIterator]().next()).rejects.toThrow(Pop3Error);
    await client.quit();
    const result = await served;
    expect(result.reason).toBe("quit");
    expect(result.user).toBe("alice");
    // Every RETR and the TOP; the RETR of a deleted message sent nothing.
    expect(result.messagesSent).toBe(names.length + 1);
    expect(result.deleted).toBe(2);
    expect(result.commands).toMatchObject({ APOP: 1, RETR: names.length + 1, TOP: 1, DELE: 2 });
    // `onClosed` heard the very result the promise resolved with, once.
    expect(closed).toHaveLength(1);
    expect(closed[0]).toBe(result);
    expect(store.messages("alice").map(text)).toEqual(
      names
        .filter((_, i) => i !== 0 && i !== 2)
        .map((name) => (TRICKY[name] as { stored: string }).stored),
    );
    expect(store.isLocked("alice")).toBe(false);
  });

  it("deletes nothing when the connection drops after DELE (RFC 1939 section 6)", async () => {
    const { store, link, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await client.dele(1);
    await client.close();
    expect((await served).reason).toBe("peer-closed");
    expect(store.messages("alice")).toHaveLength(Object.keys(TRICKY).length);
    expect(store.isLocked("alice")).toBe(false);
  });

  it("RSET unmarks deletions so QUIT removes nothing", async () => {
    const { store, link, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await client.dele(1);
    await client.rset();
    await client.noop();
    await client.quit();
    await served;
    expect(store.messages("alice")).toHaveLength(Object.keys(TRICKY).length);
  });

  it("answers a wrong APOP digest with [AUTH] and lets the client try again", async () => {
    const { link, events } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const error = await client.apop("alice", "wrong").catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("auth");
    await client.apop("alice", "wonderland");
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-failed", user: "alice", reason: "auth" }),
    );
    await client.quit();
  });

  it("fails APOP for a user with a hashed secret exactly like a wrong digest, and accepts PASS over TLS", async () => {
    const { link } = setup({ secure: true });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const apop = await client.apop("hashed", "hashed-secret").catch((e: unknown) => e);
    const unknown = await client.apop("nobody", "x").catch((e: unknown) => e);
    expect((apop as Pop3Error).message).toBe((unknown as Pop3Error).message);
    await client.user("hashed", "hashed-secret");
    expect(client.state).toBe("TRANSACTION");
    await client.quit();
  });

  it("waits the same failure delay for an unknown user as for a wrong password", async () => {
    const clock = new ManualClock();
    const { link } = setup({ clock, authFailureDelayMs: 2000 });
    const client = await Pop3Client.connect({
      transport: link.client,
      clock,
      limits: { replyTimeoutMs: 60_000 },
    });
    for (const user of ["alice", "nobody"]) {
      let settled = false;
      const attempt = client.apop(user, "wrong").catch(() => {
        settled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      clock.advance(1999);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(settled, `${user} before the delay`).toBe(false);
      clock.advance(1);
      await attempt;
      expect(settled, `${user} after the delay`).toBe(true);
    }
    await client.close();
  });

  it("gives a second login to a held maildrop [IN-USE], not [AUTH]", async () => {
    const store = new MemoryStore({ mailboxes: { alice: [ascii("x\r\n")] } });
    const first = setup({ store });
    const second = setup({ store });
    const a = await Pop3Client.connect({ transport: first.link.client, clock: realClock });
    await a.apop("alice", "wonderland");
    const b = await Pop3Client.connect({ transport: second.link.client, clock: realClock });
    const error = await b.apop("alice", "wonderland").catch((e: unknown) => e);
    expect(Pop3Error.isInstance(error) && error.code).toBe("in-use");
    await a.quit();
    await b.apop("alice", "wonderland");
    await b.quit();
  });

  it("refuses USER before TLS with [AUTH] and hides USER/PLAIN from CAPA; allows both after STLS", async () => {
    const { link } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const before = await client.capa();
    expect(before?.has("STLS")).toBe(true);
    expect(before?.has("USER")).toBe(false);
    expect(before?.get("SASL")).toEqual(["CRAM-MD5"]);
    await expect(
      client.login({ user: "alice", password: "wonderland", method: "user" }),
    ).rejects.toThrow(/in clear/);
    const refused = await client.user("alice", "wonderland").catch((e: unknown) => e);
    expect(Pop3Error.isInstance(refused) && refused.code).toBe("auth");
    await client.stls();
    expect(client.secure).toBe(true);
    expect(client.capabilities).toBeNull();
    const after = await client.capa();
    expect(after?.has("STLS")).toBe(false);
    expect(after?.has("USER")).toBe(true);
    expect(after?.get("SASL")).toEqual(["PLAIN", "LOGIN", "CRAM-MD5"]);
    await client.login({ user: "alice", password: "wonderland" });
    await client.quit();
  });

  it.each(["plain", "login", "cram-md5"] as const)("logs in with SASL %s", async (method) => {
    const { link, events } = setup({ secure: true });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.login({ user: "alice", password: "wonderland", method });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: method.toUpperCase() }),
    );
    await client.quit();
  });

  it("auto login picks CRAM-MD5 in clear and PLAIN inside TLS", async () => {
    for (const secure of [false, true]) {
      const { link, events } = setup({ secure });
      const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
      await client.login({ user: "alice", password: "wonderland" });
      expect(events).toContainEqual(
        expect.objectContaining({
          type: "login-succeeded",
          mechanism: secure ? "PLAIN" : "CRAM-MD5",
        }),
      );
      await client.quit();
    }
  });

  it("auto login with allowPlaintext still picks CRAM-MD5 in clear: the flag permits, never prefers (issue 10, bug 2)", async () => {
    const { link, events } = setup({ policy: { allowPlaintextAuth: true } });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    expect(saslOffered(await client.capa())).toEqual(["PLAIN", "LOGIN", "CRAM-MD5"]);
    await client.login({ user: "alice", password: "wonderland", allowPlaintext: true });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "CRAM-MD5" }),
    );
    await client.quit();
  });

  it("auto login falls back to APOP when the server offers no SASL, and refuses a plaintext-only server", async () => {
    const withApop = setup({ policy: { saslMechanisms: [] } });
    const client = await Pop3Client.connect({ transport: withApop.link.client, clock: realClock });
    await client.login({ user: "alice", password: "wonderland" });
    expect(withApop.events).toContainEqual(
      expect.objectContaining({ type: "login-succeeded", mechanism: "APOP" }),
    );
    await client.quit();
    const plainOnly = setup({ policy: { saslMechanisms: [], apop: false } });
    const refused = await Pop3Client.connect({
      transport: plainOnly.link.client,
      clock: realClock,
    });
    await expect(refused.login({ user: "alice", password: "wonderland" })).rejects.toThrow(
      /password safe/,
    );
    await refused.close();
  });

  it("never reuses a message buffer over a transport that may still hold what it wrote", async () => {
    // Chunks of 100 kB: RETR goes through the encoder's kernel path, each chunk is written on
    // its own (no joining copy), and the encoder would reuse its output buffer where the
    // transport allows (`releasesWrittenBytes`). This one keeps every written buffer without
    // copying, and does not allow it.
    const message = ascii("0123456789abcdef\n.dot\r\n".repeat(12000));
    const store = new MemoryStore({ mailboxes: { alice: [message] }, chunkSize: 100_000 });
    const link = createMemoryLink();
    const held: Uint8Array[] = [];
    const holding = {
      ...link.server,
      write: (bytes: Uint8Array) => {
        held.push(bytes);
        return link.server.write(bytes);
      },
    };
    const served = serveConnection({
      transport: holding,
      store,
      authenticator,
      clock: realClock,
      randomBytes: (length) => new Uint8Array(length).fill(7),
      hostname: "test.invalid",
    });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    const received = await collect(client.retr(1));
    await client.quit();
    await served;
    const wire = held.map(text).join("");
    const body = "0123456789abcdef\r\n..dot\r\n".repeat(12000);
    expect(wire).toContain(`\r\n${body}.\r\n`);
    expect(received).toBe("0123456789abcdef\r\n.dot\r\n".repeat(12000));
  });

  it("keeps a command that arrives while a deadline's turn runs, and answers it after", async () => {
    // A real timer may fire a little before the clock reaches the deadline: that turn changes
    // nothing, and a command read meanwhile must wait for the next turn, not be lost.
    const timers: (() => void)[] = [];
    const early = {
      now: () => 1_000,
      setTimer: (_ms: number, callback: () => void) => {
        timers.push(callback);
        return () => {};
      },
    };
    const { link, served } = setup({ clock: early as unknown as ManualClock });
    expect(text((await link.client.read()) as Uint8Array)).toMatch(/^\+OK /);
    // The driver is waiting: a read outstanding and its one timer set (the last one).
    await new Promise((resolve) => setTimeout(resolve, 20));
    const armed = timers.length;
    void link.client.write(ascii("QUIT\r\n"));
    (timers.at(-1) as () => void)(); // fires before the read's reaction runs
    expect(armed).toBeGreaterThan(0);
    // Early, so it was set again for the rest of the deadline.
    expect(timers.length).toBe(armed + 1);
    expect(text((await link.client.read()) as Uint8Array)).toMatch(/^\+OK /);
    expect((await served).reason).toBe("quit");
  });

  it("resolves when onClosed throws (documented not to; a host's bug must not hang the session)", async () => {
    const link = createMemoryLink();
    const served = serveConnection({
      transport: link.server,
      store: new MemoryStore({ mailboxes: { alice: [] } }),
      authenticator,
      clock: realClock,
      randomBytes: (length) => new Uint8Array(length).fill(7),
      hostname: "test.invalid",
      onClosed: () => {
        throw new Error("host bug");
      },
    });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.quit();
    expect((await served).reason).toBe("quit");
  });

  it("an abandoned RETR is drained so the next command reads its own reply", async () => {
    const store = new MemoryStore({
      mailboxes: { alice: [ascii("line\r\n".repeat(1000)), ascii("second\r\n")] },
      chunkSize: 64,
    });
    const { link } = setup({ store });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    for await (const chunk of client.retr(1)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(await collect(client.retr(2))).toBe("second\r\n");
    await client.quit();
  });

  it("closes an idle TRANSACTION session at the autologout deadline without UPDATE", async () => {
    const clock = new ManualClock();
    const { store, link, served } = setup({ clock });
    const client = await Pop3Client.connect({
      transport: link.client,
      clock,
      limits: { replyTimeoutMs: 3_600_000 },
    });
    await client.apop("alice", "wonderland");
    await client.dele(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(10 * 60 * 1000 - 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(link.server.closed).toBe(false);
    clock.advance(1);
    const result = await served;
    expect(result.reason).toBe("timeout");
    expect(store.messages("alice")).toHaveLength(Object.keys(TRICKY).length);
  });

  it("sets one timer for a whole session, its writes' deadlines and its waits' alike", async () => {
    const clock = new ManualClock();
    let set = 0;
    const counting = {
      now: () => clock.now(),
      setTimer: (ms: number, callback: () => void) => {
        set++;
        return clock.setTimer(ms, callback);
      },
    };
    const { link, served } = setup({ clock: counting as unknown as ManualClock });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await client.stat();
    await collect(client.retr(1));
    await client.quit();
    expect((await served).reason).toBe("quit");
    expect(set).toBe(1);
    // Cancelled at the end: nothing keeps the closed connection.
    expect(clock.pending).toBe(0);
  });

  it("a deadline sooner than the armed timer sets it again, and it fires on time", async () => {
    // The greeting's write and the wait for a login are given 20 minutes; after the login the
    // autologout (10 minutes) is sooner, so the one timer must move earlier.
    const clock = new ManualClock();
    const { link, served } = setup({
      clock,
      limits: { authorizationTimeoutMs: 20 * 60 * 1000, loginDeadlineMs: 20 * 60 * 1000 },
    });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(10 * 60 * 1000 - 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(link.server.closed).toBe(false);
    clock.advance(1);
    expect((await served).reason).toBe("timeout");
    expect(clock.pending).toBe(0);
  });

  it("keeps one deadline timer per session, however many turns it served; the last one is the autologout", async () => {
    const clock = new ManualClock();
    const { link, served } = setup({ clock });
    // The client on real time: every timer of `clock` is the server's.
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    for (let turn = 0; turn < 20; turn++) await client.noop();
    await client.stat();
    await new Promise((resolve) => setTimeout(resolve, 10));
    // The one timer serves every turn (`Connection.#setDeadline`).
    expect(clock.pending).toBe(1);
    clock.advance(10 * 60 * 1000);
    expect((await served).reason).toBe("timeout");
    expect(clock.pending).toBe(0);
  });

  it("the client gives up on a server that stops answering, with a timeout error", async () => {
    const clock = new ManualClock();
    const { link, client } = await scriptedServer({ clock, replyTimeoutMs: 5000 });
    const capa = client.capa().catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(4999);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(link.client.closed).toBe(false);
    clock.advance(1);
    const error = await capa;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("timeout");
    expect(link.client.closed).toBe(true);
  });
});

describe("UTF-8 user names and passwords (RFC 6856 section 2.2)", () => {
  const utf8Store = (): MemoryStore => new MemoryStore({ mailboxes: { "j\u00fcrgen": [] } });
  const sent = (link: { client: MemoryTransport }): string[] =>
    new TextDecoder()
      .decode(Uint8Array.from(link.client.written.flatMap((chunk) => [...chunk])))
      .split("\r\n")
      .filter((line) => line !== "");

  it("sends UTF8 before a UTF-8 USER/PASS to a server that lists UTF8 USER", async () => {
    const { link } = setup({ store: utf8Store(), policy: { allowPlaintextAuth: true } });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await expect(
      client.login({
        user: "j\u00fcrgen",
        password: "gr\u00fc\u00dfe",
        method: "user",
        allowPlaintext: true,
      }),
    ).resolves.toBe("user");
    expect(sent(link)).toEqual(["CAPA", "UTF8", "USER j\u00fcrgen", "PASS gr\u00fc\u00dfe"]);
    await client.quit();
  });

  it("sends APOP with a SASLprepped name and secret after UTF8", async () => {
    const { link } = setup({ store: utf8Store() });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    // SASLprep's NFKC turns the NFD name ("u" + U+0308) into the stored NFC one.
    await client.login({ user: "ju\u0308rgen", password: "gr\u00fc\u00dfe", method: "apop" });
    expect(sent(link).slice(0, 2)).toEqual(["CAPA", "UTF8"]);
    expect(sent(link)[2]).toMatch(/^APOP j\u00fcrgen [0-9a-f]{32}$/);
    await client.quit();
  });

  it("sends ASCII credentials without a CAPA or UTF8 round trip", async () => {
    const { link } = setup({ policy: { allowPlaintextAuth: true } });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.login({
      user: "alice",
      password: "wonderland",
      method: "user",
      allowPlaintext: true,
    });
    expect(sent(link)).toEqual(["USER alice", "PASS wonderland"]);
    await client.quit();
  });

  it("refuses to send UTF-8 credentials to a server without UTF8 USER, and sends nothing of them", async () => {
    const clock = new ManualClock();
    const { link, client } = await scriptedServer({ clock, replyTimeoutMs: 60_000 });
    const login = client.user("j\u00fcrgen", "gr\u00fc\u00dfe").catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await link.server.write(ascii("+OK\r\nUSER\r\nUTF8\r\n.\r\n"));
    expect(await login).toMatchObject({
      name: "LocalProtocolError",
      code: "not-supported",
      message: expect.stringContaining("UTF8 USER (RFC 6856 section 2.2)"),
    });
    expect(sent(link)).toEqual(["CAPA"]);
  });
});

describe("Pop3Client pipelined RETR and DELE (RFC 2449 section 6.6)", () => {
  const writesWith = (written: readonly Uint8Array[], keyword: string): number[] =>
    written.map((bytes) => text(bytes).split(`${keyword} `).length - 1).filter((n) => n > 0);

  it("retrEach streams every message byte for byte, several RETRs per write", async () => {
    const { link, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    const names = Object.keys(TRICKY);
    const got: string[] = [];
    for await (const item of client.retrEach({ messages: names.map((_, i) => i + 1) })) {
      if (item.error !== undefined) throw item.error;
      got.push(await collect(item.body));
    }
    expect(got).toEqual(names.map((name) => (TRICKY[name] as { arrives: string }).arrives));
    expect(Math.max(...writesWith(link.client.written, "RETR"))).toBe(names.length);
    await client.quit();
    expect((await served).reason).toBe("quit");
  });

  it("retrEach sends one RETR at a time to a server without PIPELINING", async () => {
    const { link } = setup({ policy: { pipelining: false } });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    let count = 0;
    for await (const item of client.retrEach({ messages: [1, 2, 3] })) {
      if (item.body !== undefined) await collect(item.body);
      count++;
    }
    expect(count).toBe(3);
    expect(writesWith(link.client.written, "RETR")).toEqual([1, 1, 1]);
    await client.quit();
  });

  it("retrEach: -ERR is an item, an unread body is dropped, and breaking off leaves the client in step", async () => {
    const store = new MemoryStore({
      mailboxes: { alice: [ascii("one\r\n".repeat(500)), ascii("two\r\n"), ascii("three\r\n")] },
      chunkSize: 64,
    });
    const { link } = setup({ store });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await client.dele(2);
    const items: string[] = [];
    for await (const item of client.retrEach({ messages: [1, 2, 3] })) {
      // Message 1's body is never read: asking for the next item drops it.
      if (item.error !== undefined) items.push(`${item.message}: ${item.error.message}`);
      else
        items.push(
          item.message === 1 ? "1: unread" : `${item.message}: ${await collect(item.body)}`,
        );
    }
    expect(items[0]).toBe("1: unread");
    expect(items[1]).toMatch(/^2: /);
    expect(items[2]).toBe("3: three\r\n");
    for await (const item of client.retrEach({ messages: [1, 3] })) {
      expect(item.message).toBe(1);
      break;
    }
    expect(await client.list(3)).toEqual({ message: 3, size: 7 });
    await client.quit();
  });

  it("deleEach marks every message in one write and reports the ones refused", async () => {
    const { store, link, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    await client.dele(2);
    const refused = await client.deleEach({ messages: [1, 2, 3] });
    expect(refused.map((r) => r.message)).toEqual([2]);
    expect(refused[0]?.error).toBeInstanceOf(Pop3Error);
    expect(Math.max(...writesWith(link.client.written, "DELE"))).toBe(3);
    await client.quit();
    await served;
    expect(store.messages("alice")).toHaveLength(Object.keys(TRICKY).length - 3);
  });

  it("listEach and uidlEach ask about several messages in one write, each -ERR a result, in order", async () => {
    const { link, served } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    const all = await client.list();
    const uids = await client.uidl();
    await client.dele(2);
    const asked = [3, 2, 1, 99];
    const sizes = await client.listEach({ messages: asked });
    expect(sizes.map((r) => r.message)).toEqual(asked);
    expect(sizes[0]).toEqual({ message: 3, size: all[2]?.size });
    expect(sizes[2]).toEqual({ message: 1, size: all[0]?.size });
    expect([sizes[1]?.error, sizes[3]?.error].every((e) => e instanceof Pop3Error)).toBe(true);
    const ids = await client.uidlEach({ messages: asked, window: 2 });
    expect(ids.map((r) => r.uid ?? r.error?.command)).toEqual([
      uids[2]?.uid,
      "UIDL",
      uids[0]?.uid,
      "UIDL",
    ]);
    expect(writesWith(link.client.written, "LIST")).toContain(4);
    expect(Math.max(...writesWith(link.client.written, "UIDL"))).toBe(2);
    // Every reply was read: the next command gets its own.
    expect(await client.list(1)).toEqual(all[0]);
    await client.quit();
    expect((await served).reason).toBe("quit");
  });

  it("listEach refuses a reply about another message, yet reads every reply first", async () => {
    const clock = new ManualClock();
    const { link, client } = await pipeliningLogin(clock);
    const sizes = client.listEach({ messages: [1, 2] }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await link.server.write(ascii("+OK 2 120\r\n+OK 2 120\r\n"));
    const error = await sizes;
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("bad-response");
    const noop = client.noop();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await link.server.write(ascii("+OK\r\n"));
    await noop;
  });

  it("starts the reply timer when a pipelined batch is sent, not at the last reply before it", async () => {
    const clock = new ManualClock();
    const { link, client } = await pipeliningLogin(clock);
    // The reader paused longer than the reply timeout: nothing was owed, so nothing timed out.
    clock.advance(60_000);
    const refused = client.deleEach({ messages: [1, 2] });
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(4999);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(link.client.closed).toBe(false);
    await link.server.write(ascii("+OK marked\r\n-ERR no such message\r\n"));
    expect((await refused).map((r) => r.message)).toEqual([2]);
    const top = client.topEach({ messages: [1], lines: 0 });
    const first = top.next();
    clock.advance(60_000 - 4999);
    await new Promise((resolve) => setTimeout(resolve, 10));
    clock.advance(4999);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(link.client.closed).toBe(false);
    await link.server.write(ascii("+OK\r\nSubject: x\r\n\r\n.\r\n"));
    expect(text((await first).value?.data ?? new Uint8Array())).toBe("Subject: x\r\n\r\n");
    await top.return();
    clock.advance(5000);
  });

  it("refuses a bad message number or window before sending anything", async () => {
    const { link } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.apop("alice", "wonderland");
    const before = link.client.written.length;
    await expect(client.deleEach({ messages: [0] })).rejects.toMatchObject({
      code: "invalid-argument",
    });
    await expect(client.retrEach({ messages: [1], window: 0 }).next()).rejects.toMatchObject({
      code: "invalid-argument",
    });
    expect(link.client.written.length).toBe(before);
    await client.quit();
  });
});

describe("STARTTLS injection", () => {
  it("the server never runs commands that arrived in clear behind STLS (CVE-2011-0411)", async () => {
    const { link, served } = setup({ policy: { allowPlaintextAuth: true } });
    const raw: MemoryTransport = link.client;
    await raw.read(); // greeting
    await raw.write(ascii("STLS\r\nUSER alice\r\nPASS wonderland\r\n"));
    expect(text((await raw.read()) as Uint8Array)).toBe("+OK Begin TLS negotiation\r\n");
    await raw.upgrade?.();
    await raw.write(ascii("STAT\r\n"));
    const reply = text((await raw.read()) as Uint8Array);
    expect(reply).toMatch(/^-ERR STAT is not valid in the AUTHORIZATION state/);
    await raw.write(ascii("QUIT\r\n"));
    await served;
  });

  it("the client drops what the server sent behind its STLS reply (response injection)", async () => {
    const link = createMemoryLink();
    const server = link.server;
    await server.write(ascii("+OK ready\r\n"));
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const serverSide = (async () => {
      expect(text((await server.read()) as Uint8Array)).toBe("STLS\r\n");
      await server.write(ascii("+OK Begin TLS\r\n+OK injected\r\n"));
      await server.upgrade?.();
      expect(text((await server.read()) as Uint8Array)).toBe("CAPA\r\n");
      await server.write(ascii("-ERR the real reply\r\n"));
    })();
    await client.stls();
    // The injected "+OK" would make CAPA succeed; the real reply is -ERR (no CAPA: null).
    expect(await client.capa()).toBeNull();
    await serverSide;
  });

  it("requireTls refuses a server whose CAPA lacks STLS and sends nothing after CAPA", async () => {
    const { link, served } = setup({ policy: { tlsAvailable: false } });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const error = await client.requireTls().catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("tls-unavailable");
    await client.close();
    await served;
    expect(link.client.written.map(text)).toEqual(["CAPA\r\n"]);
  });

  it("requireTls upgrades when STLS is offered", async () => {
    const { link } = setup();
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.requireTls();
    expect(client.secure).toBe(true);
    await client.quit();
  });

  it("connect with requireTls upgrades before it returns", async () => {
    const { link } = setup();
    const client = await Pop3Client.connect({
      transport: link.client,
      clock: realClock,
      requireTls: true,
    });
    expect(client.secure).toBe(true);
    await client.quit();
  });

  it("connect with requireTls closes the connection and throws tls-unavailable without STLS", async () => {
    const { link, served } = setup({ policy: { tlsAvailable: false } });
    const error = await Pop3Client.connect({
      transport: link.client,
      clock: realClock,
      requireTls: true,
    }).catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("tls-unavailable");
    expect(link.client.closed).toBe(true);
    await served;
    expect(link.client.written.map(text)).toEqual(["CAPA\r\n"]);
  });

  it("the client refuses to go on in clear when the server refuses STLS", async () => {
    const link = createMemoryLink();
    await link.server.write(ascii("+OK ready\r\n"));
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    const reply = (async () => {
      await link.server.read();
      await link.server.write(ascii("-ERR [SYS/PERM] no TLS here\r\n"));
    })();
    const error = await client.stls().catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("tls-unavailable");
    await reply;
  });
});

describe("hostile peers over any transport", () => {
  it("the client refuses bytes the server sends while no command is pending, on the next call", async () => {
    const link = createMemoryLink();
    await link.server.write(ascii("+OK ready\r\n"));
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    // A forged reply to the CAPA the client has not sent yet (EAST `unsolicited`).
    await link.server.write(ascii("+OK\r\nSTLS\r\n.\r\n"));
    for (let i = 0; i < 10 && client.state !== "CLOSED"; i++) await Promise.resolve();
    const error = await client.capa().catch((e: unknown) => e);
    expect(RemoteProtocolError.isInstance(error) && error.code).toBe("unexpected-data");
    expect(link.client.written).toEqual([]);
  });

  it("the server answers 300 pipelined listings in order, writing as it goes", async () => {
    const store = new MemoryStore({
      mailboxes: { alice: Array.from({ length: 500 }, (_, i) => ascii(`Subject: ${i}\r\n\r\n`)) },
    });
    const { link, served } = setup({ store, secure: true });
    await link.client.read();
    await link.client.write(
      ascii(`USER alice\r\nPASS wonderland\r\n${"UIDL\r\n".repeat(300)}QUIT\r\n`),
    );
    await served;
    const writes = link.server.written;
    // No write carries more than the reply budget and one listing (about 6 KiB).
    expect(Math.max(...writes.map((bytes) => bytes.length))).toBeLessThan(64 * 1024 + 8 * 1024);
    const output = writes.map(text).join("");
    expect(output.split("+OK Unique-ID listing follows\r\n")).toHaveLength(301);
    expect(output).toMatch(/\+OK POP3 server signing off \(500 messages left\)\r\n$/);
  });
});

describe("serveConnection events", () => {
  it("never carry a password or a digest", async () => {
    const { link, events, served } = setup({ secure: true });
    const client = await Pop3Client.connect({ transport: link.client, clock: realClock });
    await client.login({
      user: "alice",
      password: "wonderland",
      method: "user",
      allowPlaintext: true,
    });
    await client.quit();
    await served;
    await client.close();
    const logged = JSON.stringify(events);
    expect(logged).toContain('"login-requested"');
    expect(logged).not.toContain("wonderland");
    expect(logged).not.toContain("proof");
  });
});

function saslOffered(capabilities: ReadonlyMap<string, readonly string[]> | null): string[] {
  return [...(capabilities?.get("SASL") ?? [])];
}
